from __future__ import annotations

from django.apps import AppConfig
from django.db.models.signals import post_migrate


class MarketingConfig(AppConfig):
    """Customers, segments, email delivery, campaigns and sequences."""

    name = "marketing"
    verbose_name = "Marketing"

    def ready(self) -> None:
        from anymail.signals import tracking

        from benchbarrier.mailer import register_mailer
        from marketing.email import webhooks
        from marketing.email.mailer import EmailPathMailer

        register_mailer(EmailPathMailer())
        from marketing import checks, dimensions  # noqa: F401  (registries)

        tracking.connect(webhooks.on_tracking, dispatch_uid="marketing.esp_tracking")
        post_migrate.connect(_install_email_templates, sender=self)
        post_migrate.connect(_install_sequences, sender=self)


def _install_email_templates(**kwargs: object) -> None:
    """Shipped email templates are in the database after every migrate (edits kept)."""
    from marketing.email.rendering import install_default_templates

    install_default_templates()


def _install_sequences(**kwargs: object) -> None:
    """The seed's three sequences exist after every migrate (paused when new)."""
    from marketing.campaigns.sequences import install_all

    install_all()
