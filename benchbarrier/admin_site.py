"""The admin site marketers use: its home is a dashboard of the business (panels the
apps register), and its navigation is grouped by what they do (Audience, Automation,
Content, Analytics, Operations, Settings) rather than by Django app. Installed as the
default admin site through BackOfficeAdminConfig (INSTALLED_APPS)."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.contrib.admin.apps import AdminConfig
from django.http import HttpRequest
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils.text import slugify

from benchbarrier import clock
from benchbarrier.dashboard import SECTIONS, panels, section_of


class BackOfficeSite(admin.AdminSite):
    site_header = "BenchBarrier Automation"
    site_title = "BenchBarrier Automation"
    index_title = "Today"
    index_template = "admin/dashboard.html"

    def get_app_list(self, request: HttpRequest, app_label: str | None = None) -> list[dict]:
        """The navigation: one entry per section, its models sorted by name. An app's
        own page (`/admin/marketing/`) keeps Django's list of that app."""
        if app_label is not None:
            return super().get_app_list(request, app_label)
        sections: dict[str, list[dict]] = {name: [] for name in SECTIONS}
        for app in self._build_app_dict(request).values():
            for model in app["models"]:
                section, superusers_only = section_of(
                    app["app_label"], model["object_name"].lower()
                )
                if superusers_only and not request.user.is_superuser:
                    continue
                sections[section].append(model)
        return [
            {
                "name": name,
                "app_label": slugify(name),
                "app_url": f"{self.index_url()}#section-{slugify(name)}",
                "has_module_perms": True,
                "models": sorted(models, key=lambda m: str(m["name"]).lower()),
            }
            for name, models in sections.items()
            if models
        ]

    def index_url(self) -> str:
        return reverse("admin:index", current_app=self.name)

    def index(self, request: HttpRequest, extra_context: dict[str, Any] | None = None) -> Any:
        context = {
            **self.each_context(request),
            "title": self.index_title,
            "subtitle": None,
            "app_list": self.get_app_list(request),
            "panels": panels(request),
            "today": clock.now(),
            **(extra_context or {}),
        }
        request.current_app = self.name
        return TemplateResponse(request, self.index_template, context)


class BackOfficeAdminConfig(AdminConfig):
    default_site = "benchbarrier.admin_site.BackOfficeSite"
