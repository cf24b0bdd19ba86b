"""Settings come from the environment; each case runs in a fresh interpreter."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
PROBE = (
    "import json, django; django.setup(); from django.conf import settings as s; "
    "print(json.dumps({'engine': s.DATABASES['default']['ENGINE'], "
    "'name': str(s.DATABASES['default']['NAME']), 'broker': s.CELERY_BROKER_URL, "
    "'cache': s.CACHES['default']['BACKEND'], 'results': s.CELERY_RESULT_BACKEND}))"
)
PRODUCTION = {
    "DEBUG": "0",
    "SECRET_KEY": "q8Vx2-LmP0rT7zKw_9NbY4sHd6GfJ1uEa3ZcXo5RiWnQ8tVb2MkLp",
    "ALLOWED_HOSTS": "ops.example.com",
}


def run(tmp_path: Path, code: list[str], **env: str) -> subprocess.CompletedProcess:
    clean = {
        k: v
        for k, v in os.environ.items()
        if k not in {"DATABASE_URL", "REDIS_URL", "CACHE_URL", "DEBUG", "SECRET_KEY"}
    }
    clean.update({"DATA_DIR": str(tmp_path), "DJANGO_SETTINGS_MODULE": "benchbarrier.settings"})
    clean.update(env)
    return subprocess.run(
        [sys.executable, *code], cwd=ROOT, env=clean, capture_output=True, text=True, timeout=60
    )


def probe(tmp_path: Path, **env: str) -> dict:
    result = run(tmp_path, ["-c", PROBE], **env)
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


def test_defaults_need_no_servers(tmp_path):
    found = probe(tmp_path)
    assert found["engine"] == "django.db.backends.sqlite3"
    assert found["name"] == str(tmp_path / "db.sqlite3")
    assert found["broker"].startswith("filesystem://")
    assert found["results"].startswith("file://")
    assert found["cache"].endswith("FileBasedCache")


def test_database_and_redis_urls_are_honoured(tmp_path):
    found = probe(
        tmp_path,
        DATABASE_URL="postgres://shop:pw@db.internal:5433/automation",
        REDIS_URL="redis://cache.internal:6379/3",
    )
    assert found["engine"] == "django.db.backends.postgresql"
    assert found["name"] == "automation"
    assert found["broker"] == "redis://cache.internal:6379/3"
    assert found["results"] == "redis://cache.internal:6379/3"
    assert found["cache"].endswith("RedisCache")


def test_production_without_secret_key_refuses_to_start(tmp_path):
    env = {**PRODUCTION}
    del env["SECRET_KEY"]
    result = run(tmp_path, ["manage.py", "check"], **env)
    assert result.returncode != 0
    assert "SECRET_KEY is not set" in result.stderr


def test_production_refuses_a_weak_secret_key(tmp_path):
    result = run(tmp_path, ["manage.py", "check"], **{**PRODUCTION, "SECRET_KEY": "short"})
    assert result.returncode != 0
    assert "SECRET_KEY is too weak" in result.stderr


def test_production_without_allowed_hosts_refuses_to_start(tmp_path):
    result = run(tmp_path, ["manage.py", "check"], **{**PRODUCTION, "ALLOWED_HOSTS": ""})
    assert result.returncode != 0
    assert "ALLOWED_HOSTS is not set" in result.stderr


def test_a_malformed_boolean_is_named(tmp_path):
    result = run(tmp_path, ["manage.py", "check"], DEBUG="maybe")
    assert result.returncode != 0
    assert "DEBUG='maybe' is not a boolean" in result.stderr


def test_check_deploy_passes_with_production_values(tmp_path):
    result = run(
        tmp_path,
        ["manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        **PRODUCTION,
        DATABASE_URL="postgres://shop@db.internal:5432/automation",
        REDIS_URL="redis://cache.internal:6379/0",
    )
    assert result.returncode == 0, result.stderr + result.stdout


def test_anymail_settings_come_from_anymail_variables(tmp_path):
    code = (
        "import json, django; django.setup(); from django.conf import settings as s; "
        "print(json.dumps(s.ANYMAIL))"
    )
    result = run(tmp_path, ["-c", code], ANYMAIL_POSTMARK_SERVER_TOKEN="pm-token",
                 ANYMAIL_WEBHOOK_SECRET="esp:secret")  # fmt: skip
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout) == {
        "POSTMARK_SERVER_TOKEN": "pm-token", "WEBHOOK_SECRET": "esp:secret",
    }  # fmt: skip
