"""Helpers the benchmarks share: a fresh database on the same server, migrated."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

ROOT = Path(__file__).resolve().parents[1]


def fresh_postgres(suffix: str) -> str:
    """Create `<name>_<suffix>` next to DATABASE_URL's database, migrate it, point this
    process (and its children) at it, and set up Django. Returns its URL."""
    source = os.environ.get("DATABASE_URL", "")
    if not source.startswith("postgres"):
        raise SystemExit("set DATABASE_URL=postgres://... first")
    import psycopg

    parts = urlsplit(source)
    name = f"{parts.path.lstrip('/') or 'postgres'}_{suffix}"
    url = urlunsplit(parts._replace(path=f"/{name}"))
    admin = urlunsplit(parts._replace(path="/postgres"))
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{name}"')
    os.environ["DATABASE_URL"] = url
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "benchbarrier.settings")
    os.environ.setdefault("LOG_LEVEL", "WARNING")
    subprocess.run([sys.executable, "manage.py", "migrate", "-v0"], cwd=ROOT, check=True)
    import django

    django.setup()
    return url
