from __future__ import annotations

from django.apps import AppConfig


class MarketingConfig(AppConfig):
    """Customers, segments, email delivery, campaigns and sequences."""

    name = "marketing"
    verbose_name = "Marketing"

    def ready(self) -> None:
        from benchbarrier.events import events_stored
        from marketing import listeners

        events_stored.connect(
            listeners.update_customer_stats, dispatch_uid="marketing.customer_stats"
        )
