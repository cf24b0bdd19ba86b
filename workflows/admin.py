from __future__ import annotations

import json
from datetime import timedelta
from typing import Any

from django import forms
from django.contrib import admin, messages
from django.db.models import Count, Q, QuerySet
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.html import format_html, format_html_join

from benchbarrier import clock
from benchbarrier.admin.read_only import ReadOnlyAdmin
from benchbarrier.alert_rules import rotation_due_days
from benchbarrier.dashboard import Figure, Panel, list_link, panel, place
from benchbarrier.services.audit import Actor
from workflows import services
from workflows.definition import DefinitionError, validate_definition
from workflows.describe import steps_tree
from workflows.models import ExecutionStatus, Workflow, WorkflowExecution, WorkflowStepLog
from workflows.services import (
    DEFINITION_FIELDS,
    delete_workflow,
    restore_workflow,
    save_workflow,
)
from workflows.simulation import simulate

STATUS_COLOURS = {
    "pending": "#666",
    "running": "#0b62a4",
    "waiting": "#b36b00",
    "paused": "#7a4fa3",
    "completed": "#2a7a2a",
    "failed": "#ba2121",
    "cancelled": "#999",
}
# Definition error paths start with the API's camelCase name of the field at fault.
_FIELD_OF_PATH = {
    "steps": "steps",
    "triggerConfig": "trigger_config",
    "triggerType": "trigger_type",
    "exitEvents": "exit_events",
    "reentryPeriod": "reentry_period",
    "settings": "settings",
}
MONO = {"style": "font-family:monospace", "cols": 90}


class PrettyJSON(forms.JSONField):
    def prepare_value(self, value: Any) -> str:
        if isinstance(value, forms.fields.InvalidJSONInput):
            return value
        return json.dumps(value, indent=2, ensure_ascii=False)


class WorkflowForm(forms.ModelForm):
    steps = PrettyJSON(
        widget=forms.Textarea(attrs={**MONO, "rows": 24}),
        help_text="Step types: wait, sendEmail, condition, waitForEvent, webhook, "
        "enqueueJob, updateCustomer, exit. See the README.",
    )
    trigger_config = PrettyJSON(
        required=False,
        widget=forms.Textarea(attrs={**MONO, "rows": 4}),
        help_text='{"event": "cart.abandoned"} or {"schedule": "0 9 * * 1", '
        '"timezone": "Europe/Paris"}; {} for webhooks.',
    )
    exit_events = PrettyJSON(
        required=False,
        widget=forms.Textarea(attrs={**MONO, "rows": 4}),
        help_text='[{"event": "order.completed", "match": ["cartId"]}]',
    )
    settings = PrettyJSON(
        required=False,
        widget=forms.Textarea(attrs={**MONO, "rows": 4}),
        help_text='Where discount codes come from: {"discount": {"pool": "Winter codes"}}, or '
        'generated: {"discount": {"percentOff": 15, "expiresIn": "7d", "prefix": "CART"}}. '
        "Empty: generated, 10% off for 7 days.",
    )

    class Meta:
        model = Workflow
        fields = ["name", "description", *DEFINITION_FIELDS]

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        data["trigger_config"] = data.get("trigger_config") or {}
        data["exit_events"] = data.get("exit_events") or []
        data["settings"] = data.get("settings") or {}
        if any(self.has_error(name) for name in DEFINITION_FIELDS):
            return data
        try:
            validate_definition(**{name: data.get(name) for name in DEFINITION_FIELDS})
        except DefinitionError as exc:
            for error_path, message in exc.errors:
                head = error_path.split(".")[0].split("[")[0]
                self.add_error(_FIELD_OF_PATH.get(head), f"{error_path}: {message}")
        return data


class ArchivedFilter(admin.SimpleListFilter):
    """Archived workflows (deleted with runs) are hidden unless asked for."""

    title = "archived"
    parameter_name = "archived"

    def lookups(self, request: HttpRequest, model_admin: Any) -> list[tuple[str, str]]:
        return [("yes", "Archived"), ("all", "All")]

    def choices(self, changelist: Any) -> Any:
        query = changelist.get_query_string
        yield {"selected": self.value() is None, "display": "Not archived",
               "query_string": query(remove=[self.parameter_name])}  # fmt: skip
        for value, label in self.lookup_choices:
            yield {"selected": self.value() == value, "display": label,
                   "query_string": query({self.parameter_name: value})}  # fmt: skip

    def queryset(self, request: HttpRequest, queryset: QuerySet) -> QuerySet:
        if self.value() == "yes":
            return queryset.filter(archived_at__isnull=False)
        if self.value() == "all":
            return queryset
        return queryset.filter(archived_at__isnull=True)


@admin.register(Workflow)
class WorkflowAdmin(admin.ModelAdmin):
    form = WorkflowForm
    change_form_template = "admin/workflows/workflow/change_form.html"
    list_display = ["name", "trigger", "state", "runs", "version", "updated_at"]
    list_filter = [ArchivedFilter, "trigger_type", "is_paused"]
    search_fields = ["name", "description"]
    readonly_fields = ["tree", "runs", "hook"]
    fieldsets = [
        (None, {"fields": ["name", "description"]}),
        ("Trigger", {"fields": ["trigger_type", "trigger_config", "hook"]}),
        ("Steps", {"fields": ["tree", "steps"]}),
        ("Ending and re-entry", {"fields": ["exit_events", "reentry", "reentry_period"]}),
        ("Settings", {"fields": ["settings"]}),
        ("Runs", {"fields": ["runs"]}),
    ]
    actions = ["pause", "resume", "run_now", "restore", "rotate_secret"]

    def delete_queryset(self, request: HttpRequest, queryset: QuerySet[Workflow]) -> None:
        for workflow in queryset:  # each archived when it has runs
            self.delete_model(request, workflow)

    @admin.action(description="Rotate the webhook secret (the old one works for a grace period)")
    def rotate_secret(self, request: HttpRequest, queryset: QuerySet[Workflow]) -> None:
        for workflow in queryset.filter(trigger_type="webhook"):
            rotated = services.rotate_webhook_secret(
                workflow=workflow, actor=Actor.from_request(request), request=request
            )
            until = f"{rotated.previous_secret_until:%Y-%m-%d %H:%M} UTC"
            self.message_user(request, format_html(
                "{}: the new secret is <code>{}</code>; the old one works until {}.",
                rotated.name, rotated.webhook_secret, until), messages.SUCCESS)  # fmt: skip

    @admin.action(description="Restore archived workflows (they stay paused)")
    def restore(self, request: HttpRequest, queryset: QuerySet[Workflow]) -> None:
        for workflow in queryset.filter(archived_at__isnull=False):
            restore_workflow(workflow=workflow, actor=Actor.from_request(request),
                             request=request)  # fmt: skip
        self.message_user(request, "Restored; resume them when they should run again.",
                          messages.SUCCESS)  # fmt: skip

    def get_urls(self) -> list:
        view = self.admin_site.admin_view(self.simulate_view)
        return [
            path("<int:pk>/simulate/", view, name="workflows_workflow_simulate"),
            *super().get_urls(),
        ]

    def save_model(self, request: HttpRequest, obj: Workflow, form: Any, change: bool) -> None:
        saved = save_workflow(
            workflow=obj,
            actor=Actor.from_request(request),
            request=request,
            **{name: form.cleaned_data[name] for name in WorkflowForm.Meta.fields},
        )
        obj.pk = saved.pk

    def delete_model(self, request: HttpRequest, obj: Workflow) -> None:
        if delete_workflow(workflow=obj, actor=Actor.from_request(request), request=request):
            self.message_user(request, f"“{obj}” has runs, so it was archived, not deleted: "
                              "its history is kept; Restore brings it back.",
                              messages.WARNING)  # fmt: skip

    @admin.display(description="trigger")
    def trigger(self, workflow: Workflow) -> str:
        config = workflow.trigger_config
        if workflow.trigger_type == "event":
            return f"event {config.get('event')}"
        if workflow.trigger_type == "schedule":
            return f"cron {config.get('schedule')} ({config.get('timezone', 'UTC')})"
        return "webhook"

    @admin.display(description="state", ordering="is_paused")
    def state(self, workflow: Workflow) -> str:
        if workflow.is_paused:
            return format_html('<b style="color:{}">paused</b>', STATUS_COLOURS["paused"])
        return format_html('<span style="color:{}">active</span>', STATUS_COLOURS["completed"])

    @admin.display(description="runs by status")
    def runs(self, workflow: Workflow) -> str:
        counts = dict(workflow.executions.values_list("status").annotate(n=Count("id")).order_by())
        if not counts:
            return "none yet"
        base = reverse("admin:workflows_workflowexecution_changelist")
        return format_html_join(
            " ",
            '<a href="{}?workflow__id__exact={}&status__exact={}" style="color:{}">{} {}</a>',
            (
                (base, workflow.pk, status, STATUS_COLOURS[status], counts[status], status)
                for status in ExecutionStatus.values
                if status in counts
            ),
        )

    @admin.display(description="the steps, in words")
    def tree(self, workflow: Workflow) -> str:
        return steps_tree(workflow.steps)

    @admin.display(description="webhook")
    def hook(self, workflow: Workflow) -> str:
        if workflow.trigger_type != "webhook" or workflow.pk is None:
            return "—"
        url = reverse("workflow-hook", args=[workflow.webhook_token])
        age = (clock.now() - workflow.webhook_secret_set_at).days
        due = rotation_due_days("webhook-secret-rotation")
        return format_html(
            "POST <code>{}</code>, signed with the secret <code>{}</code> "
            "(see README: Webhook triggers). The secret is {} day(s) old{}.",
            url, workflow.webhook_secret, age,
            ": rotate it (action on the list)" if due is not None and age >= due else "",
        )  # fmt: skip

    @admin.action(description="Pause (no new runs; running ones stop before their next step)")
    def pause(self, request: HttpRequest, queryset: QuerySet[Workflow]) -> None:
        for workflow in queryset:
            count = services.pause_workflow(
                workflow=workflow, actor=Actor.from_request(request), request=request
            )
            self.message_user(request, f"{workflow.name}: paused, {count} run(s) held.")

    @admin.action(description="Resume (runs continue where they were)")
    def resume(self, request: HttpRequest, queryset: QuerySet[Workflow]) -> None:
        for workflow in queryset:
            count = services.resume_workflow(
                workflow=workflow, actor=Actor.from_request(request), request=request
            )
            self.message_user(request, f"{workflow.name}: resumed, {count} run(s) continue.")

    @admin.action(description="Run now (with an empty context)")
    def run_now(self, request: HttpRequest, queryset: QuerySet[Workflow]) -> None:
        for workflow in queryset:
            try:
                run = services.start_execution(
                    workflow, context={}, actor=Actor.from_request(request), request=request
                )
            except services.StartRefused as exc:
                self.message_user(
                    request,
                    f"{workflow.name}: not started: {exc}. Start it from the API with a "
                    "userId, or try it with Simulate.",
                    messages.WARNING,
                )
                continue
            if run is None:
                self.message_user(
                    request, f"{workflow.name}: not started (paused).", messages.WARNING
                )
            else:
                self.message_user(request, f"{workflow.name}: run #{run.pk} started.")

    def simulate_view(self, request: HttpRequest, pk: int) -> HttpResponse:
        """A dry run with a sample context typed in the page."""
        workflow = get_object_or_404(Workflow, pk=pk)
        sample = request.POST.get("context", "{}")
        error, taken = "", []
        if request.method == "POST":
            try:
                context = json.loads(sample or "{}")
                if not isinstance(context, dict):
                    raise ValueError("the context must be a JSON object")
                forced = {
                    key.removeprefix("check:"): value == "yes"
                    for key, value in request.POST.items()
                    if key.startswith("check:") and value in ("yes", "no")
                }
                taken = simulate(
                    workflow.steps,
                    services.run_context(workflow, context, request.POST.get("user_id", "")),
                    checks=forced,
                    events=request.POST.getlist("events"),
                )
            except (ValueError, TypeError) as exc:
                error = str(exc)
        from workflows.registry import check_names

        named = sorted(
            {s.get("check") for s in _all_steps(workflow.steps) if isinstance(s.get("check"), str)}
            & set(check_names())
        )
        events = sorted(
            {s.get("event") for s in _all_steps(workflow.steps) if s.get("type") == "waitForEvent"}
        )
        context = {
            **self.admin_site.each_context(request),
            "opts": self.model._meta,
            "workflow": workflow,
            "title": f"Simulate {workflow.name}",
            "sample": sample,
            "taken": taken,
            "error": error,
            "checks": [(name, request.POST.get(f"check:{name}", "yes")) for name in named],
            "events": events,
        }
        return TemplateResponse(request, "admin/workflows/workflow/simulate.html", context)


def _all_steps(steps: Any) -> list[dict]:
    found = []
    for step in steps if isinstance(steps, list) else []:
        if isinstance(step, dict):
            found.append(step)
            for key in ("ifTrue", "ifFalse", "onEvent", "onTimeout"):
                found += _all_steps(step.get(key))
    return found


class StepLogInline(admin.TabularInline):
    model = WorkflowStepLog
    fields = [
        "created_at",
        "path",
        "step_type",
        "coloured_status",
        "output_short",
        "error",
        "duration_ms",
    ]
    readonly_fields = fields
    extra = 0
    max_num = 0
    can_delete = False
    verbose_name_plural = "timeline (every step, in order)"

    @admin.display(description="status")
    def coloured_status(self, log: WorkflowStepLog) -> str:
        colour = {"failed": "#ba2121", "exited": "#7a4fa3", "waiting": "#b36b00"}.get(
            log.status, "#2a7a2a"
        )
        return format_html('<b style="color:{}">{}</b>', colour, log.status)

    @admin.display(description="output")
    def output_short(self, log: WorkflowStepLog) -> str:
        text = json.dumps(log.output, sort_keys=True)
        return text if len(text) < 120 else text[:117] + "..."


@admin.register(WorkflowExecution)
class WorkflowExecutionAdmin(ReadOnlyAdmin):
    list_display = [
        "id",
        "workflow",
        "coloured_status",
        "user_id",
        "position",
        "started_at",
        "waiting_until",
        "completed_at",
    ]
    list_filter = ["status", "workflow", "started_at"]
    search_fields = ["=user_id", "=id"]
    list_select_related = ["workflow"]
    show_full_result_count = False
    fields = [
        "workflow",
        "coloured_status",
        "user_id",
        "started_at",
        "waiting_until",
        "completed_at",
        "error",
        "tree",
        "context_pretty",
    ]
    readonly_fields = fields
    inlines = [StepLogInline]
    actions = ["cancel"]

    @admin.display(description="status", ordering="status")
    def coloured_status(self, execution: WorkflowExecution) -> str:
        return format_html(
            '<b style="color:{}">{}</b>',
            STATUS_COLOURS[execution.status],
            execution.get_status_display(),
        )

    @admin.display(description="at")
    def position(self, execution: WorkflowExecution) -> str:
        from workflows.cursor import text

        return text(execution.cursor)

    @admin.display(description="steps (the highlighted one runs next)")
    def tree(self, execution: WorkflowExecution) -> str:
        from workflows.cursor import text

        return steps_tree(execution.definition.get("steps", []), current=text(execution.cursor))

    @admin.display(description="context")
    def context_pretty(self, execution: WorkflowExecution) -> str:
        return format_html(
            "<pre>{}</pre>", json.dumps(execution.context, indent=2, sort_keys=True)
        )

    @admin.action(description="Cancel the selected runs")
    def cancel(self, request: HttpRequest, queryset: QuerySet[WorkflowExecution]) -> None:
        cancelled = 0
        for execution in queryset:
            try:
                services.cancel_execution(
                    execution=execution, actor=Actor.from_request(request), request=request
                )
                cancelled += 1
            except services.WorkflowStateError:
                continue
        self.message_user(request, f"{cancelled} run(s) cancelled.")


place("Automation", Workflow, WorkflowExecution)


@panel("Workflows", order=20)
def workflows(request: HttpRequest) -> Panel:
    """Live workflows and their runs: waiting (a wait or an awaited event), failed."""
    since = clock.now() - timedelta(hours=24)
    runs = WorkflowExecution.objects.aggregate(
        waiting=Count("id", filter=Q(status=ExecutionStatus.WAITING)),
        running=Count(
            "id", filter=Q(status__in=[ExecutionStatus.PENDING, ExecutionStatus.RUNNING])
        ),
        failed=Count("id", filter=Q(status=ExecutionStatus.FAILED, completed_at__gte=since)),
        done=Count("id", filter=Q(status=ExecutionStatus.COMPLETED, completed_at__gte=since)),
    )
    live = Workflow.objects.filter(is_paused=False).count()
    return Panel(
        "Workflows",
        figures=[
            Figure("active workflows", f"{live:,}", list_link(Workflow, is_paused__exact=0)),
            Figure("runs waiting", f"{runs['waiting']:,}",
                   list_link(WorkflowExecution, status__exact="waiting")),
            Figure("runs completed, 24 h", f"{runs['done']:,}",
                   list_link(WorkflowExecution, status__exact="completed")),
            Figure("runs failed, 24 h", f"{runs['failed']:,}",
                   list_link(WorkflowExecution, status__exact="failed"),
                   tone="bad" if runs["failed"] else "good"),
        ],
        note=f"{runs['running']:,} run(s) about to take their next step.",
        link=list_link(Workflow),
    )  # fmt: skip
