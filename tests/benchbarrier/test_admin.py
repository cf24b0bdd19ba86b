from __future__ import annotations

import pytest
from django.urls import reverse

from benchbarrier.models import APIKey, AuditLogEntry
from benchbarrier.services.audit import Actor, record_audit

pytestmark = pytest.mark.django_db


def test_admin_is_branded_and_needs_a_staff_login(client):
    response = client.get("/admin/", follow=True)
    assert response.redirect_chain[-1][0].startswith("/admin/login/")
    assert b"BenchBarrier Automation" in response.content


def test_creating_a_key_in_the_admin_shows_it_once(staff_client):
    response = staff_client.post(
        reverse("admin:benchbarrier_apikey_add"),
        {"name": "storefront", "scopes": ["ai", "chat"], "throttle_rate": ""},
        follow=True,
    )
    assert response.status_code == 200
    key = APIKey.objects.get(name="storefront")
    assert key.scopes == ["ai", "chat"]
    shown = [str(m) for m in response.context["messages"]]
    assert any(f"<code>{key.prefix}." in m and "will not be shown again" in m for m in shown)
    assert AuditLogEntry.objects.filter(action="api_key.created", actor_type="user").exists()


def test_the_admin_form_says_what_to_fix(staff_client):
    response = staff_client.post(
        reverse("admin:benchbarrier_apikey_add"),
        {"name": "storefront", "scopes": [], "throttle_rate": "often"},
    )
    assert response.status_code == 200
    assert not APIKey.objects.exists()
    errors = response.context["adminform"].form.errors
    assert "scopes" in errors
    assert 'like "600/min"' in errors["throttle_rate"][0]


def test_rotate_and_revoke_actions(staff_client, issue_key):
    issued = issue_key("ai", name="storefront")
    url = reverse("admin:benchbarrier_apikey_changelist")
    response = staff_client.post(
        url, {"action": "rotate_keys", "_selected_action": [issued.api_key.pk]}, follow=True
    )
    new_key = APIKey.objects.get(rotated_from=issued.api_key)
    assert any(f"<code>{new_key.prefix}." in str(m) for m in response.context["messages"])
    staff_client.post(url, {"action": "revoke_keys", "_selected_action": [new_key.pk]})
    new_key.refresh_from_db()
    assert new_key.revoked
    listing = staff_client.get(url, {"state": "revoked"})
    assert new_key.prefix.encode() in listing.content


def test_audit_log_is_listed_filtered_and_read_only(staff_client, issue_key):
    issued = issue_key("ai", name="storefront")
    record_audit(action="jobs.rescued", actor=Actor.system("jobs.rescue"), changes={"count": 3})
    changelist = reverse("admin:benchbarrier_auditlogentry_changelist")
    response = staff_client.get(changelist, {"actor_type__exact": "system"})
    assert response.status_code == 200
    assert b"jobs.rescued" in response.content
    assert b"api_key.created" in response.content
    entry = AuditLogEntry.objects.get(action="api_key.created", target_id=issued.api_key.pk)
    detail = staff_client.get(reverse("admin:benchbarrier_auditlogentry_change", args=[entry.pk]))
    assert detail.status_code == 200
    assert b"storefront" in detail.content
    assert b'name="_save"' not in detail.content
    assert staff_client.get(reverse("admin:benchbarrier_auditlogentry_add")).status_code == 403


def test_workers_screen_lists_heartbeats(staff_client):
    from benchbarrier.services.workers import record_worker_heartbeat

    record_worker_heartbeat(hostname="celery@box1", pid=42, starting=True)
    response = staff_client.get(reverse("admin:benchbarrier_workerheartbeat_changelist"))
    assert b"celery@box1" in response.content


def test_record_audit_refuses_an_unattributed_action():
    with pytest.raises(ValueError, match="needs an actor or a request"):
        record_audit(action="something.happened")
