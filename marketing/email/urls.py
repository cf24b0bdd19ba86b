from __future__ import annotations

from django.urls import path

from marketing.email import views

urlpatterns = [
    path("unsubscribe/<str:token>", views.unsubscribe, name="email-unsubscribe"),
    path("o/<str:token>.gif", views.open_pixel, name="email-open"),
    path("c/<str:token>", views.click, name="email-click"),
]
