"""How analytics_events stays fast by time at scale: BRIN index, B-tree, or monthly
range partitions, measured on the same rows.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/postgres \\
    .venv/bin/python -m bench.events_index [--rows 3000000]

Makes its own database (`<name>_bench_index`), writes `--rows` events spread over 12
months in arrival order, and for each layout prints the index size, and the time of a
one-day and a one-week count (median of 5 runs, warm cache). The project uses BRIN
(migration analytics 0002); this script is the evidence. Not a test.
"""

from __future__ import annotations

import argparse
import os
import statistics
import time
from urllib.parse import urlsplit, urlunsplit

import psycopg

COLUMNS = """id bigserial, event_name varchar(100) NOT NULL, user_id varchar(255),
    session_id varchar(255), message_id varchar(100) NOT NULL, properties jsonb NOT NULL,
    timestamp timestamptz NOT NULL, created_at timestamptz NOT NULL"""
FILL = """INSERT INTO {table} (event_name, user_id, session_id, message_id, properties,
    timestamp, created_at)
SELECT (ARRAY['product.viewed','cart.updated','user.login','order.completed'])[1 + n %% 4],
    'user-' || (n %% 50000), 's-' || (n %% 150000), 'm-' || n, '{{"productId": "sku-1"}}',
    timestamptz '2026-01-01' + ((n - 1)::float / %s) * interval '365 days', now()
FROM generate_series(1, %s) AS n"""


def timed(conn: psycopg.Connection, sql: str) -> float:
    runs = []
    for _ in range(5):
        started = time.perf_counter()
        conn.execute(sql).fetchall()
        runs.append(time.perf_counter() - started)
    return statistics.median(runs) * 1000


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=3_000_000)
    args = parser.parse_args()

    source = urlsplit(os.environ.get("DATABASE_URL", "postgres://postgres@127.0.0.1/postgres"))
    name = f"{source.path.lstrip('/') or 'postgres'}_bench_index"
    with psycopg.connect(urlunsplit(source._replace(path="/postgres")), autocommit=True) as c:
        c.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        c.execute(f'CREATE DATABASE "{name}"')
    conn = psycopg.connect(urlunsplit(source._replace(path=f"/{name}")), autocommit=True)

    conn.execute(f"CREATE TABLE plain ({COLUMNS})")
    conn.execute(f"CREATE TABLE parted ({COLUMNS}) PARTITION BY RANGE (timestamp)")
    for month in range(1, 13):
        start = f"2026-{month:02d}-01"
        end = "2027-01-01" if month == 12 else f"2026-{month + 1:02d}-01"
        conn.execute(
            f"CREATE TABLE parted_{month:02d} PARTITION OF parted "
            f"FOR VALUES FROM ('{start}') TO ('{end}')"
        )
    started = time.perf_counter()
    for table in ("plain", "parted"):
        conn.execute(FILL.format(table=table), [args.rows, args.rows])
        conn.execute(f"VACUUM ANALYZE {table}")
    print(f"{args.rows:,} events per layout written in {time.perf_counter() - started:.0f} s")

    day = "timestamp >= '2026-06-10' AND timestamp < '2026-06-11'"
    week = "timestamp >= '2026-06-10' AND timestamp < '2026-06-17'"
    count = "SELECT count(*), count(DISTINCT user_id) FROM {table} WHERE {where}"
    rows = []
    for layout, index_sql, table in [
        ("no time index (seq scan)", None, "plain"),
        ("BRIN (pages_per_range 32)", "CREATE INDEX t_brin ON plain USING brin (timestamp) "
         "WITH (pages_per_range = 32)", "plain"),
        ("B-tree", "CREATE INDEX t_btree ON plain (timestamp)", "plain"),
        ("monthly partitions", None, "parted"),
    ]:  # fmt: skip
        size = "-"
        conn.execute("DROP INDEX IF EXISTS t_brin")
        conn.execute("DROP INDEX IF EXISTS t_btree")
        if index_sql:
            conn.execute(index_sql)
            conn.execute("ANALYZE plain")
            index = index_sql.split()[2]
            size = conn.execute(f"SELECT pg_size_pretty(pg_relation_size('{index}'))").fetchone()[
                0
            ]
        rows.append((layout, size, timed(conn, count.format(table=table, where=day)),
                     timed(conn, count.format(table=table, where=week))))  # fmt: skip
    print(f"{'layout':28} {'index size':>11} {'1 day':>9} {'1 week':>9}")
    for layout, size, one_day, one_week in rows:
        print(f"{layout:28} {size:>11} {one_day:7.1f}ms {one_week:7.1f}ms")
    conn.close()


if __name__ == "__main__":
    main()
