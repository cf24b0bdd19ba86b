"""A report run as an email: a chart per metric (PNG, inline), a table per dimension, the
full breakdown as CSV and XLSX attachments, the plain-text alternative; rendered from the
`analytics-report` email template (marketers may restyle it) and sent to the recipients
through the email path (`benchbarrier.mailer`: transactional, suppression honoured).

The files are kept in the storage under `reports/<report>/run-<run>/`, the rendered email
on the run, so a past report can be re-read and re-sent as it was."""

from __future__ import annotations

import csv
import io
import uuid
from typing import Any

import xlsxwriter
from django.conf import settings
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.utils.text import slugify

from analytics import comparisons
from analytics.models import ReportRun
from analytics.png_charts import bars_png
from analytics.report_figures import label
from benchbarrier import clock
from benchbarrier.mailer import Attachment, MailerUnavailable, get_mailer

TEMPLATE = "analytics-report"
CSV_TYPE = "text/csv"
XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def compose(run: ReportRun) -> None:
    """Make the run's charts and breakdown files and render its email (saved on the run).
    Raises MailerUnavailable when the email template cannot be rendered."""
    figures = run.figures
    folder = f"reports/{run.report_id}/run-{run.pk}"
    attachments = []
    for metric in figures["metrics"]:
        bars = [(h["label"], h["value"]) for h in metric.get("history", [])]
        bars.append(("this period", metric["value"]))
        png = bars_png(f"{metric['name']}: the last {len(bars)} periods", bars)
        content_id = f"chart-{metric['name']}@report-{run.pk}"
        attachments.append(_store(folder, f"{metric['name']}.png", "image/png", png, content_id))
    stem = slugify(f"{run.report.name} {run.period.start:%Y-%m-%d}") or "report"
    attachments.append(_store(folder, f"{stem}.csv", CSV_TYPE, breakdown_csv(figures)))
    attachments.append(_store(folder, f"{stem}.xlsx", XLSX_TYPE, breakdown_xlsx(figures)))
    rendered = get_mailer().render(TEMPLATE, variables(run, chart_sources(attachments)))
    run.email_subject, run.email_html, run.email_text = (
        rendered.subject, rendered.html, rendered.text)  # fmt: skip
    run.attachments = [a.as_json() for a in attachments]
    run.save(update_fields=["email_subject", "email_html", "email_text", "attachments"])


def send(run: ReportRun, *, again: bool = False) -> list[dict[str, Any]]:
    """Email the run to its report's recipients. The scheduled sending of a run goes once
    (a retried job finds the same deliveries); `again` (send now, re-send) is a new one."""
    mailer = get_mailer()
    attachments = [Attachment.from_json(a) for a in run.attachments]
    values = variables(run, chart_sources(attachments))
    round_ = uuid.uuid4().hex[:8] if again else "scheduled"
    sent = []
    for address in run.report.recipients:
        delivery = mailer.send(
            to=address, template=TEMPLATE, variables=values, attachments=attachments,
            key=f"report-run:{run.pk}:{round_}:{address.lower()}",
            source=f"report {run.report_id} / run {run.pk}",
        )  # fmt: skip
        sent.append({"to": address, "deliveryId": delivery})
    run.sent_at, run.deliveries = clock.now(), sent
    run.save(update_fields=["sent_at", "deliveries"])
    return sent


def compose_and_send(run: ReportRun) -> None:
    """For the report.generate job: a mailer that cannot be used is noted on the run,
    whose figures stand."""
    try:
        compose(run)
        send(run)
    except MailerUnavailable as exc:
        run.error = f"not emailed: {exc}"
        run.save(update_fields=["error"])


def chart_sources(attachments: list[Attachment]) -> dict[str, str]:
    """Each metric's chart as the email shows it: its inline attachment."""
    return {a.filename.removesuffix(".png"): f"cid:{a.content_id}"
            for a in attachments if a.content_id}  # fmt: skip


def variables(run: ReportRun, charts: dict[str, str]) -> dict[str, Any]:
    """The template's variables; `charts`: the image source of each metric's chart."""
    figures = run.figures
    period = run.period
    metrics = [{
        "name": m["name"], "label": _metric_label(m),
        "value": _show(m["value"], m["unit"]), "previous": _show(m["previous"], m["unit"]),
        "change": m["change"] or "", "last_year": _show(m.get("lastYear"), m["unit"]),
        "last_year_change": m.get("lastYearChange") or "",
        "chart": charts.get(m["name"], ""),
    } for m in figures["metrics"]]  # fmt: skip
    tables = [{"title": dimension, "columns": [dimension, *figures_names(figures)],
               "rows": [[row.get(c, "") for c in [dimension, *figures_names(figures)]]
                        for row in rows]}
              for dimension, rows in figures.get("breakdown", {}).items()]  # fmt: skip
    notes = [f"{dimension}: {why}" for dimension, why in figures.get("unavailable", {}).items()]
    return {
        "report": {"name": run.report.name, "type": run.report.report_type,
                   "schedule": run.report.schedule},
        "period": {"label": label(period), "previous_label": label(comparisons.previous(period)),
                   "start": run.period_start.isoformat(), "end": run.period_end.isoformat()},
        "summary": figures.get("summary", ""),
        "anomalies": figures.get("anomalies", []),
        "has_last_year": any("lastYear" in m for m in figures["metrics"]),
        "metrics": metrics, "tables": tables,
        "notes": notes + list(figures.get("warnings", [])),
    }  # fmt: skip


def figures_names(figures: dict[str, Any]) -> list[str]:
    return [m["name"] for m in figures["metrics"]]


def breakdown_table(figures: dict[str, Any]) -> list[list[Any]]:
    """Every figure as rows: the totals (with the previous period, the change, a year
    ago), then each dimension's rows."""
    names = figures_names(figures)
    rows: list[list[Any]] = [["dimension", "value", *names]]
    rows.append(["period", "this period", *(m["value"] for m in figures["metrics"])])
    rows.append(["period", "previous period", *(m["previous"] for m in figures["metrics"])])
    rows.append(["period", "change", *(m["change"] or "" for m in figures["metrics"])])
    if any("lastYear" in m for m in figures["metrics"]):
        rows.append(["period", "a year ago", *(m.get("lastYear") for m in figures["metrics"])])
    for dimension, found in figures.get("breakdown", {}).items():
        rows += [[dimension, row.get(dimension, ""), *(row.get(n) for n in names)]
                 for row in found]  # fmt: skip
    return rows


def breakdown_csv(figures: dict[str, Any]) -> bytes:
    text = io.StringIO()
    writer = csv.writer(text)
    for row in breakdown_table(figures):
        writer.writerow(["" if cell is None else cell for cell in row])
    return text.getvalue().encode()


def breakdown_xlsx(figures: dict[str, Any]) -> bytes:
    """The same rows in a workbook; numbers as numbers."""
    buffer = io.BytesIO()
    book = xlsxwriter.Workbook(buffer, {"in_memory": True, "strings_to_numbers": True})
    sheet = book.add_worksheet("Breakdown")
    bold = book.add_format({"bold": True})
    for index, row in enumerate(breakdown_table(figures)):
        sheet.write_row(
            index, 0, ["" if c is None else c for c in row], bold if not index else None
        )
    sheet.set_column(0, 1, 18)
    book.close()
    return buffer.getvalue()


def _store(folder: str, filename: str, content_type: str, content: bytes,
           content_id: str = "") -> Attachment:  # fmt: skip
    path = f"{folder}/{filename}"
    if default_storage.exists(path):
        default_storage.delete(path)  # a regenerated run replaces its files
    saved = default_storage.save(path, ContentFile(content))
    return Attachment(filename, content_type, saved, content_id)


def _metric_label(metric: dict[str, Any]) -> str:
    name = metric["name"].replace("_", " ")
    return f"{name} ({settings.REPORTING_CURRENCY})" if metric["unit"] == "currency" else name


def _show(value: Any, unit: str) -> str:
    if value is None:
        return ""
    if unit == "ratio":
        return f"{float(value):.1%}"
    if unit == "currency":
        return f"{float(value):,.2f}"
    return f"{value:,}" if isinstance(value, int) else str(value)
