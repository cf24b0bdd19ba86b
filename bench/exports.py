"""A 1,000,000-row CSV export in constant memory: `data.export` against the obvious way.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/postgres \\
    .venv/bin/python -m bench.exports [--rows 1000000]

Makes its own database (`<name>_bench_exports`), writes `--rows` events over one month,
then runs each export in a process of its own and reads that process's peak resident
memory (ru_maxrss) and time:
- streamed: the project's `data.export` (rows read in chunks of 5,000 and written into the
  zip through a temporary file, then stored);
- baseline: the same rows loaded into a list, written to a CSV in memory, zipped in memory.
Prints the figures and the memory ratio; the target is a peak under 256 MB. Not a test.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import time

from bench.common import ROOT, fresh_postgres

FILL = """
INSERT INTO analytics_events (event_name, user_id, session_id, message_id, properties,
    timestamp, created_at)
SELECT (ARRAY['page.viewed','product.viewed','cart.updated','order.completed'])[1 + n %% 4],
    'user-' || (n %% 50000), 's-' || (n %% 150000), 'm-' || n,
    jsonb_build_object('productId', 'sku-' || (n %% 900), 'total', (n %% 300) + 0.99),
    timestamptz '2026-10-01' + ((n - 1)::float / %s) * interval '30 days', now()
FROM generate_series(1, %s) AS n
"""


def child(way: str) -> None:
    """Run one export in this process and print its figures as JSON."""
    import django

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "benchbarrier.settings")
    django.setup()
    from analytics import exports, query
    from analytics.models import Event
    from jobs.models import Job

    period = query.parse_period(None, "2026-10-01", "2026-10-31")
    started = time.perf_counter()
    if way == "streamed":
        job = Job.objects.create(job_type="data.export", payload={})
        rows = exports.export_events(job, period)["rows"]
    else:
        import csv
        import io
        import zipfile

        found = list(Event.objects.filter(timestamp__gte=period.start, timestamp__lt=period.end)
                     .order_by("timestamp", "id").values_list(*exports.COLUMNS))  # fmt: skip
        text = io.StringIO()
        writer = csv.writer(text)
        for row in found:
            writer.writerow([*row[:5], row[5].isoformat(), json.dumps(row[6])])
        buffer = io.BytesIO()
        with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as archive:
            archive.writestr("events.csv", text.getvalue())
        rows = len(found)
    seconds = time.perf_counter() - started
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(json.dumps({"rows": rows, "seconds": seconds, "peak_mb": peak_mb}))


def measure(way: str) -> dict:
    done = subprocess.run([sys.executable, "-m", "bench.exports", "--child", way], cwd=ROOT,
                          check=True, capture_output=True, text=True)  # fmt: skip
    return json.loads(done.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--child", choices=["streamed", "baseline"])
    args = parser.parse_args()
    if args.child:
        child(args.child)
        return
    fresh_postgres("bench_exports")
    os.environ.setdefault("MEDIA_ROOT", str(ROOT / "var" / "bench-media"))
    from django.db import connection

    print(f"== writing {args.rows:,} events")
    with connection.cursor() as cursor:
        cursor.execute(FILL, [args.rows, args.rows])
        cursor.execute("ANALYZE analytics_events")
    streamed, baseline = measure("streamed"), measure("baseline")
    for name, found in (("streamed (data.export)", streamed), ("baseline (in memory)", baseline)):
        print(f"{name:24} {found['rows']:>10,} rows  {found['seconds']:6.1f} s  "
              f"peak {found['peak_mb']:7.1f} MB")  # fmt: skip
    print(f"memory: the baseline needs {baseline['peak_mb'] / streamed['peak_mb']:.1f}x the "
          f"streamed export's peak; target < 256 MB: "
          f"{'met' if streamed['peak_mb'] < 256 else 'MISSED'}")  # fmt: skip


if __name__ == "__main__":
    main()
