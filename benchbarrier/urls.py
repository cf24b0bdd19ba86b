from __future__ import annotations

from django.conf import settings
from django.conf.urls.static import static
from django.contrib import admin
from django.urls import include, path, re_path
from django.views.generic import RedirectView
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView

from analytics.metrics_views import download as analytics_download
from benchbarrier.api import errors
from marketing.email.webhooks import anymail_urlpatterns

urlpatterns = [
    path("", RedirectView.as_view(url="/admin/", permanent=False)),
    path("admin/", admin.site.urls),
    path("api/schema/", SpectacularAPIView.as_view(), name="api-schema"),
    path("api/docs/", SpectacularSwaggerSplitView.as_view(url_name="api-schema"), name="api-docs"),
    path("api/", include("benchbarrier.api.urls")),
    path("api/automation/", include("jobs.urls")),
    path("api/automation/", include("workflows.urls")),
    path("api/analytics/", include("analytics.urls")),
    path("api/marketing/", include("marketing.urls")),
    path("api/ai/", include("ai_content.urls")),
    path("api/chat/", include("chatbot.urls")),
    re_path(r"^api/", errors.json_not_found),
    path("email/", include("marketing.email.urls")),
    path("", include("marketing.sms.urls")),
    path("exports/<str:token>", analytics_download, name="data-export-download"),
    path("anymail/", include((anymail_urlpatterns(), "anymail"))),
]

if settings.DEBUG:  # production serves media from its storage or web server
    urlpatterns += static(settings.MEDIA_URL, document_root=settings.MEDIA_ROOT)

handler400 = "benchbarrier.views.bad_request"
handler500 = "benchbarrier.views.server_error"
