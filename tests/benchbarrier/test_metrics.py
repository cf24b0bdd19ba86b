"""`/metrics` in the Prometheus text format: only for the scraper's token or address,
every seed series present (parsed by prometheus_client's own parser), routes instead of
raw paths, the queue gauges from the database; and with gunicorn and Celery workers in
separate processes, one scrape adds up what every process counted."""

from __future__ import annotations

import urllib.error
import urllib.request

import pytest
from prometheus_client.parser import text_string_to_metric_families

from jobs.models import Job, JobStatus
from jobs.services import enqueue
from tests.processes import free_port, wait_until

SEED_SERIES = {
    "bb_job_duration_seconds", "bb_jobs", "bb_job_queue_depth", "bb_job_oldest_due_age_seconds",
    "bb_workflow_runs", "bb_ai_tokens", "bb_ai_cost_usd", "bb_email_deliveries",
    "bb_email_delivery_rate", "bb_campaign_events", "bb_bot_conversations",
    "bb_http_requests", "bb_http_request_duration_seconds",
}  # fmt: skip


def families(text: str) -> dict[str, list]:
    return {f.name: f.samples for f in text_string_to_metric_families(text)}


@pytest.mark.django_db
def test_only_the_scraper_reads_the_metrics(client, settings):
    assert client.get("/metrics").status_code == 403  # neither token nor addresses: nobody
    settings.METRICS_TOKEN = "scrape-token"
    assert client.get("/metrics", HTTP_AUTHORIZATION="Bearer guess").status_code == 403
    ok = client.get("/metrics", HTTP_AUTHORIZATION="Bearer scrape-token")
    assert ok.status_code == 200 and ok["Content-Type"].startswith("text/plain")
    settings.METRICS_TOKEN = ""
    settings.METRICS_ALLOWED_IPS = ["10.0.0.0/8", "127.0.0.0/8"]
    assert client.get("/metrics").status_code == 200  # the test client is 127.0.0.1
    settings.METRICS_ALLOWED_IPS = ["10.0.0.0/8"]
    assert client.get("/metrics").status_code == 403


@pytest.mark.django_db
def test_every_seed_series_is_there_by_route_with_the_queue_from_the_database(client,
                                                                            settings):  # fmt: skip
    settings.METRICS_TOKEN, settings.METRICS_CACHE_SECONDS = "t", 0
    for _ in range(3):
        enqueue(job_type="jobs.noop")
    client.get("/api/chat/conversations/5e0a8a3e-6f6a-4c55-9c55-2d2d7f2d9f00")
    found = families(client.get("/metrics", HTTP_AUTHORIZATION="Bearer t").content.decode())
    assert set(found) >= SEED_SERIES
    (depth,) = [s for s in found["bb_job_queue_depth"] if s.labels["job_type"] == "jobs.noop"]
    assert depth.value == 3
    routes = {s.labels["route"] for s in found["bb_http_requests"]}
    assert any("(?P<pk>" in route for route in routes)  # the pattern, never the raw path
    assert not any("5e0a8a3e" in route for route in routes)


@pytest.mark.celery
@pytest.mark.django_db(transaction=True)
def test_one_scrape_adds_up_gunicorn_and_worker_processes(celery_procs, tmp_path):
    directory = tmp_path / "prometheus"
    directory.mkdir()
    env = {"PROMETHEUS_MULTIPROC_DIR": str(directory), "METRICS_TOKEN": "t"}
    port = free_port()
    celery_procs.web(port, **env)
    celery_procs.worker("metrics", "--concurrency=2", **env)
    celery_procs.beat()  # its tick wakes the retry of the failing job
    for n in range(6):
        enqueue(job_type="jobs.noop", idempotency_key=f"m{n}")
    enqueue(job_type="test.broken")
    try:
        wait_until(lambda: not Job.objects.exclude(status__in=[JobStatus.COMPLETED,
                                                               JobStatus.FAILED]).exists(),
                   timeout=60, what="the jobs to finish in the worker")  # fmt: skip
    except AssertionError:
        print(celery_procs.logs())
        raise

    def scrape() -> str:
        request = urllib.request.Request(f"http://127.0.0.1:{port}/metrics",
                                         headers={"Authorization": "Bearer t"})  # fmt: skip
        with urllib.request.urlopen(request, timeout=5) as answer:  # noqa: S310
            return answer.read().decode()

    wait_until(lambda: scrape(), timeout=30, what="the web process")
    with pytest.raises(urllib.error.HTTPError):  # no key: refused, and counted
        urllib.request.urlopen(f"http://127.0.0.1:{port}/api/chat/conversations", timeout=5)
    found = families(scrape())
    assert set(found) >= SEED_SERIES
    jobs = {(s.labels["job_type"], s.labels["outcome"]): s.value
            for s in found["bb_jobs"] if s.name == "bb_jobs_total"}  # fmt: skip
    assert jobs[("jobs.noop", "succeeded")] == 6  # counted in the worker's processes
    assert jobs[("test.broken", "failed")] == 1
    durations = [s for s in found["bb_job_duration_seconds"]
                 if s.name == "bb_job_duration_seconds_count"]  # fmt: skip
    assert sum(s.value for s in durations if s.labels["job_type"] == "jobs.noop") == 6
    routes = {s.labels["route"]: s.value for s in found["bb_http_requests"]
              if s.name == "bb_http_requests_total"}  # fmt: skip
    assert any("conversations" in route for route in routes)  # counted by a gunicorn worker
    assert len({f.name.rsplit("_", 1)[-1] for f in directory.glob("*.db")}) >= 2  # processes
