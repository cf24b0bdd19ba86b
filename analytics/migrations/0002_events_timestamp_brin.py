"""A BRIN index on analytics_events.timestamp (PostgreSQL only).

Events are appended roughly in time order, so the table's physical order follows
`timestamp` and a BRIN index (a few hundred kilobytes at 100 million rows, against
gigabytes for a B-tree) lets time-range scans skip every block outside the range.
Range partitions were the alternative; they were not chosen because a unique
`message_id` would then have to include the partition key, which breaks dedup across
months (README, "Events at scale").
"""

from django.db import migrations

INDEX = "idx_events_timestamp_brin"


def create(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(
            f"CREATE INDEX IF NOT EXISTS {INDEX} ON analytics_events "
            "USING brin (timestamp) WITH (pages_per_range = 32)"
        )


def drop(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(f"DROP INDEX IF EXISTS {INDEX}")


class Migration(migrations.Migration):
    dependencies = [("analytics", "0001_initial")]

    operations = [migrations.RunPython(create, drop)]
