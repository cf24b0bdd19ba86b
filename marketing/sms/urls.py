from __future__ import annotations

from django.urls import path

from marketing.push import views as push_views
from marketing.sms import views

urlpatterns = [
    path("sms/twilio/status", views.status_callback, name="sms-twilio-status"),
    path("sms/twilio/inbound", views.inbound, name="sms-twilio-inbound"),
    path("s/<int:message_id>.<int:index>.<str:check>", views.short_link, name="sms-link"),
    path("p/<int:message_id>.<str:check>", push_views.click, name="push-click"),
    path("p/<int:message_id>.<str:check>/shown", push_views.shown, name="push-shown"),
]
