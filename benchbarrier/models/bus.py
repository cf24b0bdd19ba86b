from __future__ import annotations

from django.db import models

from benchbarrier import clock


class BusDelivery(models.Model):
    """A batch of events one consumer has processed: written in the same transaction
    as the consumer's own changes, so a batch delivered again (a worker died before
    recording that its job completed) is skipped, not processed twice."""

    consumer = models.CharField(max_length=100)
    batch = models.CharField(max_length=64, help_text="The delivering job's id.")
    delivered_at = models.DateTimeField(default=clock.now)

    class Meta:
        db_table = "bus_deliveries"
        constraints = [
            models.UniqueConstraint(fields=["consumer", "batch"], name="bus_deliveries_unique")
        ]
        indexes = [models.Index(fields=["delivered_at"], name="bus_deliveries_age")]
        verbose_name_plural = "bus deliveries"

    def __str__(self) -> str:
        return f"{self.consumer} took batch {self.batch}"
