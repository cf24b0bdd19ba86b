"""CI's dependency audit (.ci/audit_dependencies.py, pip-audit) against a local fake of the
OSV database: a known-vulnerable pin fails it, unless allowed with a reason."""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.local_server import JsonHandler, LocalServer

ROOT = Path(__file__).resolve().parents[1]
PIN = ("django==4.2.0 \\\n    --hash=sha256:"
       "ad33ed68db9398f5dfb33282704925bce044bef4261cd4fb59e4e7f9ae505a78\n")  # fmt: skip
VULN = {"id": "GHSA-fake-0001", "aliases": ["CVE-2099-0001"], "summary": "A fake hole",
        "affected": [{"package": {"name": "django", "ecosystem": "PyPI"}, "ranges": [
            {"type": "ECOSYSTEM", "events": [{"introduced": "0"}, {"fixed": "4.2.1"}]}]}]}  # fmt: skip


class FakeOsv(JsonHandler):
    def do_POST(self) -> None:
        query = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        vulnerable = query["package"]["name"] == "django" and query["version"] == "4.2.0"
        self.send_json(200, {"vulns": [VULN]} if vulnerable else {})


@pytest.fixture
def osv() -> Iterator[str]:
    server = LocalServer(FakeOsv)
    yield f"{server.url}/v1/query"
    server.close()


def audit(tmp_path: Path, osv_url: str, allow: str = "") -> subprocess.CompletedProcess:
    (tmp_path / "requirements.lock").write_text(PIN)
    (tmp_path / "allow.txt").write_text(allow)
    return subprocess.run(
        [sys.executable, str(ROOT / ".ci" / "audit_dependencies.py"), "--requirements",
         str(tmp_path / "requirements.lock"), "--allow", str(tmp_path / "allow.txt"),
         "--osv-url", osv_url],
        capture_output=True, text=True, check=False, timeout=120,
    )  # fmt: skip


def test_a_known_vulnerable_pin_fails_the_audit(tmp_path, osv):
    result = audit(tmp_path, osv)

    assert result.returncode == 1, result.stderr
    assert (
        "django 4.2.0: CVE-2099-0001 / GHSA-fake-0001 (fixed in 4.2.1): A fake hole"
        in result.stdout
    )


def test_a_vulnerability_allowed_with_a_reason_passes(tmp_path, osv):
    result = audit(tmp_path, osv, allow="CVE-2099-0001  we never use the affected API\n")

    assert result.returncode == 0, result.stdout + result.stderr
    assert "1 pins, no known vulnerability (1 allowed with a reason)" in result.stdout


def test_an_allowed_id_needs_its_reason(tmp_path, osv):
    result = audit(tmp_path, osv, allow="GHSA-fake-0001\n")

    assert result.returncode != 0
    assert "GHSA-fake-0001 needs a reason" in result.stderr


def test_an_unreachable_database_is_said_and_fails_only_when_required(tmp_path, monkeypatch):
    dead = "http://127.0.0.1:9/v1/query"
    assert "audit NOT run" in audit(tmp_path, dead).stderr
    monkeypatch.setenv("AUDIT_REQUIRE_SERVICE", "1")
    assert audit(tmp_path, dead).returncode == 2
