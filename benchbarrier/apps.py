from __future__ import annotations

from importlib import import_module

from django.apps import AppConfig
from django.conf import settings
from django.db.models.signals import post_migrate
from django.utils.module_loading import autodiscover_modules


class KernelConfig(AppConfig):
    """The platform kernel: API keys, audit log, worker heartbeats, health checks, the
    event bus's consumer registry (filled from each app's `consumers.py`), the bot's
    actions (`bot_actions.py`), monitoring (`monitoring.py`) and what each app holds about
    a person (`personal_data.py`)."""

    name = "benchbarrier"
    label = "benchbarrier"
    verbose_name = "Platform"

    def ready(self) -> None:
        from benchbarrier.api import schema  # noqa: F401  (registers OpenAPI extensions)

        autodiscover_modules("consumers")
        autodiscover_modules("bot_actions")  # what the support bot can do, by app
        autodiscover_modules("monitoring")  # alert signals and database gauges, by app
        autodiscover_modules("personal_data")  # export, erasure and retention, by app
        post_migrate.connect(_install_rules, sender=self)
        for module in settings.EVENT_CONSUMER_MODULES:
            import_module(module)


def _install_rules(**kwargs: object) -> None:
    """The shipped alert rules exist after every migrate (edits kept)."""
    from benchbarrier.alert_rules import install_rules

    install_rules()
