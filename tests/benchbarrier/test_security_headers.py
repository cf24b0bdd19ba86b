"""Security headers on every page the project serves: a Content-Security-Policy (scripts
only from here or with the response's nonce), nosniff and a Referrer-Policy; and no template
that the policy would break (an inline handler or a script without the nonce)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.parametrize("path", ["/admin/login/", "/api/docs/", "/api/schema/"])
def test_every_page_carries_the_policy_and_the_headers(client, db, path):
    response = client.get(path)

    assert response.status_code == 200
    policy = dict(
        part.strip().split(" ", 1) for part in response["Content-Security-Policy"].split(";")
    )
    assert policy["default-src"] == "'self'"
    assert policy["object-src"] == "'none'"
    assert policy["frame-ancestors"] == "'none'"
    assert "'unsafe-inline'" not in policy["script-src"]
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Referrer-Policy"] == "same-origin"


def test_an_inline_script_runs_only_with_the_nonce_of_its_response(admin_client):
    from tests.marketing.factories import SegmentFactory

    segment = SegmentFactory()
    response = admin_client.get(f"/admin/marketing/segment/{segment.pk}/change/")

    nonce = re.search(r"'nonce-([^']+)'", response["Content-Security-Policy"]).group(1)
    scripts = re.findall(r"<script(?![^>]*\bsrc=)([^>]*)>", response.content.decode())
    assert scripts, "the segment form has its inline script"
    assert all(f'nonce="{nonce}"' in attributes for attributes in scripts)


def test_the_docs_load_their_script_from_this_site(client, db):
    page = client.get("/api/docs/").content.decode()

    assert re.search(r"<script(?![^>]*\bsrc=)[^>]*>\s*\S", page) is None, "no inline script"
    assert client.get("/api/docs/?script=").status_code == 200


def test_no_template_has_what_the_policy_refuses():
    """Inline event handlers and scripts without the nonce are refused by the browser."""
    found = []
    for template in ROOT.glob("**/templates/**/*.html"):
        if ".venv" in template.parts:
            continue
        text = template.read_text()
        found += [f"{template}: {m}" for m in re.findall(r"\son[a-z]+=\"", text)]
        found += [f"{template}: <script{m}>" for m in re.findall(r"<script([^>]*)>", text)
                  if "src=" not in m and "csp_nonce" not in m]  # fmt: skip
    assert found == []
