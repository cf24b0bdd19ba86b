from __future__ import annotations

from django.urls import path

from marketing import email_views

urlpatterns = [
    path("unsubscribe/<str:token>", email_views.unsubscribe, name="email-unsubscribe"),
    path("o/<str:token>.gif", email_views.open_pixel, name="email-open"),
    path("c/<str:token>", email_views.click, name="email-click"),
]
