"""Reports emailed: a chart per metric inline (PNG), the breakdown as CSV and XLSX (opened
and parsed here), the plain-text alternative, the previous period and a year ago,
anomalies against the last 8 comparable periods, an AI summary when a writer can write;
sent once per scheduled run, again on demand, suppression honoured."""

from __future__ import annotations

import csv
import io
import zipfile
from datetime import datetime, timedelta
from decimal import Decimal

import pytest
from django.core import mail
from django.urls import reverse

from analytics import comparisons, report_email
from analytics.models import AnalyticsReport, ReportRun
from analytics.query import parse_period
from analytics.services import record_events
from benchbarrier import clock
from jobs.services import enqueue
from marketing.models import DeliveryStatus, EmailDelivery, Suppression
from tests.analytics.test_metrics import event, shop  # noqa: F401  (the hand-checked set)
from tests.conftest import run_due_jobs

pytestmark = pytest.mark.django_db


@pytest.fixture
def outbox(settings, tmp_path):
    settings.EMAIL_BACKEND = "anymail.backends.test.EmailBackend"
    settings.MEDIA_ROOT = tmp_path
    mail.outbox = []
    return mail.outbox


def run_october(report: AnalyticsReport) -> ReportRun:
    enqueue(job_type="report.generate",
            payload={"reportId": report.pk, "start": "2026-10-01", "end": "2026-10-31"})  # fmt: skip
    run_due_jobs()
    return ReportRun.objects.get(report=report)


def parts(message) -> dict[str, list]:
    """The MIME parts of a sent message, by content type."""
    found: dict[str, list] = {}
    for part in message.message().walk():
        found.setdefault(part.get_content_type(), []).append(part)
    return found


def test_a_report_is_emailed_with_charts_a_csv_and_a_workbook(shop, outbox):  # noqa: F811
    report = AnalyticsReport.objects.get(name="Monthly Business Review")
    run = run_october(report)
    assert len(outbox) == 1, [d.reason for d in EmailDelivery.objects.all()]
    message = outbox[0]
    assert message.to == ["leadership@benchbarrier.com"]
    assert message.subject == "Monthly Business Review: October 2026"
    found = parts(message)
    html = found["text/html"][0].get_payload(decode=True).decode()
    text = found["text/plain"][0].get_payload(decode=True).decode()
    assert "- mrr (USD): 30.00 (previous 20.00, +50.0%)" in text
    assert "October 2026, against September 2026." in text
    # A chart per metric, inline: a PNG whose Content-ID the HTML shows.
    images = found["image/png"]
    assert len(images) == 4
    for image in images:
        assert image.get_payload(decode=True)[:8] == b"\x89PNG\r\n\x1a\n"
        assert f'src="cid:{image["Content-ID"].strip("<>")}"' in html
    # The breakdown as CSV, parsed: the totals, the previous period, then the months.
    (csv_part,) = found["text/csv"]
    assert csv_part.get_filename() == "monthly-business-review-2026-10-01.csv"
    rows = list(csv.reader(io.StringIO(csv_part.get_payload(decode=True).decode())))
    assert rows[0] == ["dimension", "value", "mrr", "customer_count", "churn_rate", "ltv"]
    assert rows[1] == ["period", "this period", "30.00", "2", "0.5000", "74.67"]
    assert rows[2][:3] == ["period", "previous period", "20.00"]
    assert ["month", "2026-10", "30.00", "2", "0.5000", "74.67"] in rows
    # ...and as a workbook: numbers stored as numbers.
    workbook = found["application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"][0]
    with zipfile.ZipFile(io.BytesIO(workbook.get_payload(decode=True))) as book:
        sheet = book.read("xl/worksheets/sheet1.xml").decode()
        strings = book.read("xl/sharedStrings.xml").decode()
    assert "<v>74.67</v>" in sheet and "mrr" in strings
    # The run keeps the email and its files to be re-read.
    run.refresh_from_db()
    assert run.email_subject == message.subject and "mrr (USD)" in run.email_html
    assert {a["filename"] for a in run.attachments} >= {"mrr.png", "ltv.png"}
    assert run.deliveries[0]["to"] == "leadership@benchbarrier.com" and run.sent_at


def test_a_retried_generation_sends_no_second_copy_and_send_again_does(shop, outbox):  # noqa: F811
    report = AnalyticsReport.objects.get(name="Monthly Business Review")
    run = run_october(report)
    run_october(report)  # the job again (a retry after a crash): the same run, no new email
    assert len(outbox) == 1 and ReportRun.objects.count() == 1
    report_email.send(run, again=True)
    run_due_jobs()
    assert len(outbox) == 2


def test_recipients_need_no_consent_but_a_suppression_holds(shop, outbox):  # noqa: F811
    report = AnalyticsReport.objects.get(name="Monthly Business Review")
    report.recipients = ["ceo@example.com", "gone@example.com"]
    report.save()
    Suppression.objects.create(email="gone@example.com", scope="all", reason="hard bounce")
    run_october(report)
    assert [m.to for m in outbox] == [["ceo@example.com"]]
    skipped = EmailDelivery.objects.get(to_email="gone@example.com")
    assert skipped.status == DeliveryStatus.SKIPPED and "suppressed" in skipped.reason


def test_a_year_ago_is_compared_when_there_are_events_then(shop, outbox):  # noqa: F811
    record_events([event("order.completed", "2025-10-15", "u1", "s9", orderId="old", total="47")])
    report = AnalyticsReport.objects.create(
        name="Sales", report_type="sales", schedule="monthly", recipients=["me@example.com"],
        config={"metrics": ["revenue", "orders"], "dimensions": []},
    )  # fmt: skip
    run = run_october(report)
    revenue = run.figures["metrics"][0]
    assert (revenue["lastYear"], revenue["lastYearChange"]) == ("47.00", "+100.0%")
    text = parts(outbox[0])["text/plain"][0].get_payload(decode=True).decode()
    assert "revenue (USD): 94.00 (previous 130.00, -27.7%; a year ago 47.00)" in text


def test_the_comparable_periods_of_a_day_a_week_and_a_month():
    day = parse_period(None, "2026-11-24", "2026-11-24")  # a Tuesday
    history = comparisons.history(day)
    assert len(history) == 8 and {p.start.weekday() for p in history} == {1}
    assert history[0].start.date().isoformat() == "2026-09-29"
    assert history[-1].start.date().isoformat() == "2026-11-17"
    month = parse_period(None, "2026-03-01", "2026-03-31")
    assert comparisons.earlier(month, 3).start.date().isoformat() == "2025-12-01"
    assert comparisons.a_year_before(month).end.date().isoformat() == "2025-04-01"
    assert comparisons.a_year_before(day).start.date().isoformat() == "2025-11-25"


@pytest.mark.parametrize(
    ("value", "past", "expected"),
    [
        # median 2.5, MAD 0.5: 3 MAD = 1.5, so 4 is inside and 4.5 is not
        (4, [2, 3, 2, 3, 2, 3, 2, 3], None),
        (Decimal("4.5"), [2, 3, 2, 3, 2, 3, 2, 3], "4.50 is above its usual range "
         "(median 2.50 of the last 8, 3 MAD = 1.50)"),
        (0, [10, 12, 11, 9, 10, 11, 10, 12], "0 is below its usual range "
         "(median 10.50 of the last 8, 3 MAD = 1.50)"),
        (5, [0, 0, 0, 0], "5 where the last 4 were all 0"),
        (5, [0, 0, 0], None),  # too little history to judge
    ],
)  # fmt: skip
def test_an_anomaly_is_beyond_3_mad_of_the_last_comparable_values(value, past, expected):
    assert comparisons.anomaly(value, past) == expected


def test_an_unusual_day_is_called_out_in_the_email(outbox, settings):
    settings.REPORTING_CURRENCY = "USD"
    tuesday = datetime.fromisoformat("2026-11-24")
    events = []
    for week in range(1, 9):  # 2 or 3 orders on each of the last 8 Tuesdays
        day = (tuesday - timedelta(weeks=week)).date().isoformat()
        events += [event("order.completed", day, "u1", f"s{week}-{i}", orderId=f"{week}-{i}",
                         total="10") for i in range(2 + week % 2)]  # fmt: skip
    events += [event("order.completed", "2026-11-24", "u1", f"t{i}", orderId=f"t{i}",
                     total="10") for i in range(9)]  # fmt: skip
    record_events(events)
    report = AnalyticsReport.objects.create(
        name="Orders", report_type="sales", schedule="daily", recipients=["me@example.com"],
        config={"metrics": ["orders"], "dimensions": ["date"]},
    )  # fmt: skip
    enqueue(job_type="report.generate",
            payload={"reportId": report.pk, "start": "2026-11-24", "end": "2026-11-24"})  # fmt: skip
    run_due_jobs()
    run = ReportRun.objects.get(report=report)
    assert run.figures["anomalies"] == [
        "orders: 9 is above its usual range (median 2.50 of the last 8, 3 MAD = 1.50)"
    ]
    assert [h["value"] for h in run.figures["metrics"][0]["history"]] == [2, 3] * 4
    html = parts(outbox[0])["text/html"][0].get_payload(decode=True).decode()
    assert "Outside the usual range" in html and "9 is above its usual range" in html


def test_the_report_opens_with_an_ai_summary_when_a_writer_can_write(shop, outbox, fake_openai):  # noqa: F811
    fake_openai.replies = ["MRR grew by half while churn held at 50%: watch retention."]
    run = run_october(AnalyticsReport.objects.get(name="Monthly Business Review"))
    assert run.figures["summary"] == fake_openai.replies[0]
    prompt = fake_openai.requests[0]["body"]["messages"][-1]["content"]
    assert "mrr (currency): 30.00, previous period 20.00 (+50.0%)" in prompt
    text = parts(outbox[0])["text/plain"][0].get_payload(decode=True).decode()
    assert "In short: MRR grew by half while churn held at 50%" in text


def test_without_an_ai_provider_the_report_goes_without_a_summary(shop, outbox, settings):  # noqa: F811
    settings.OPENAI_API_KEY = ""
    run = run_october(AnalyticsReport.objects.get(name="Monthly Business Review"))
    assert "summary" not in run.figures and "not configured" in run.figures["summaryUnavailable"]
    assert len(outbox) == 1 and run.status == "done"


def test_the_admin_shows_a_run_as_emailed_and_sends_it_again(shop, outbox, staff_client):  # noqa: F811
    run = run_october(AnalyticsReport.objects.get(name="Monthly Business Review"))
    page = staff_client.get(reverse("admin:analytics_reportrun_change", args=[run.pk]))
    body = page.content.decode()
    assert page.status_code == 200 and "Monthly Business Review: October 2026" in body
    chart = reverse("admin:analytics_reportrun_file", args=[run.pk, "mrr.png"])
    assert chart in body  # the inline charts shown from the run's files
    image = staff_client.get(chart)
    assert image["Content-Type"] == "image/png"
    staff_client.post(reverse("admin:analytics_reportrun_changelist"),
                      {"action": "send_again", "_selected_action": [run.pk]})  # fmt: skip
    run_due_jobs()
    assert len(outbox) == 2
    assert clock.now() >= ReportRun.objects.get(pk=run.pk).sent_at


def test_the_editor_previews_this_period_so_far_from_the_form(shop, staff_client):  # noqa: F811
    url = reverse("admin:analytics_report_preview")
    config = '{"metrics": ["revenue", "orders"], "dimensions": ["date"]}'
    page = staff_client.get(url, {"name": "Mine", "config": config, "schedule": "monthly"})
    body = page.content.decode()
    assert page.status_code == 200 and "<h1>Mine</h1>" in body
    assert body.count('src="data:image/png;base64,') == 2  # a chart per metric
    wrong = staff_client.get(url, {"config": '{"metrics": ["profit"]}', "schedule": "daily"})
    assert 'Fix to see the preview: config.metrics[0]: unknown metric "profit"' in (
        wrong.content.decode().replace("&quot;", '"')
    )
    assert (
        staff_client.get(url, {"config": "{nope"})
        .content.decode()
        .startswith('<p style="font-family:sans-serif">config is not JSON')
    )


def test_a_generation_run_twice_is_one_run_and_one_email(shop, outbox):  # noqa: F811
    from tests.at_least_once import run_twice

    report = AnalyticsReport.objects.get(name="Monthly Business Review")
    enqueue(job_type="report.generate",
            payload={"reportId": report.pk, "start": "2026-10-01", "end": "2026-10-31"})  # fmt: skip

    run_twice("report.generate")

    assert ReportRun.objects.filter(report=report).count() == 1
    assert len(outbox) == 1
