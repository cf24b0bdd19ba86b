"""The agent inbox: conversations handed to a person, the longest waiting first (filters by
channel and stage), each with its transcript (who said what, the intent read and how
sure), a reply box that sends on the conversation's channel, canned replies from the
intents' responses, and Take it / Resolve. WhatsApp's 24-hour rule is checked before
anything is sent: outside it, the form says to send an approved template."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin, messages
from django.db.models import OuterRef, QuerySet, Subquery
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.urls import reverse
from django.utils import timezone
from django.utils.html import format_html, format_html_join
from django.utils.timesince import timesince

from chatbot import handoff
from chatbot.models import (
    BotConversation,
    BotIntent,
    BotMessage,
    ConversationStatus,
    InboxConversation,
    Sender,
)


def canned_replies() -> list[tuple[str, str]]:
    """The intents' responses, to start a reply from."""
    found = [("", "— choose one to fill the reply box —")]
    for intent in BotIntent.objects.order_by("name"):
        for response in intent.responses:
            if isinstance(response, str) and response.strip():
                found.append((response, f"{intent.name}: {response[:70]}"))
    return found


class ReplyForm(forms.ModelForm):
    canned = forms.ChoiceField(
        required=False, label="Canned reply", help_text="Fills the reply box; edit it first."
    )
    reply = forms.CharField(
        required=False, max_length=2000, widget=forms.Textarea(attrs={"rows": 4, "cols": 80}),
        help_text="Sent to the customer on the conversation's channel.",
    )  # fmt: skip
    template = forms.CharField(
        required=False, max_length=100, label="WhatsApp template",
        help_text="Outside WhatsApp's 24 hours after the customer's last message only an "
        "approved template may be sent: its name as approved in WhatsApp Manager.",
    )  # fmt: skip

    class Meta:
        model = InboxConversation
        fields: list[str] = []

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["canned"].choices = canned_replies()
        self.sending = False

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        text = (data.get("reply") or data.get("canned") or "").strip()
        template = (data.get("template") or "").strip()
        data["reply"], data["template"] = text, template
        if self.sending:
            try:
                handoff.check_reply(self.instance, text, template)
            except handoff.ReplyRefused as exc:
                self.add_error("template" if "template" in str(exc) else "reply", str(exc))
        return data


class StageFilter(admin.SimpleListFilter):
    title = "stage"
    parameter_name = "stage"

    def lookups(self, request: HttpRequest, model_admin: Any) -> list[tuple[str, str]]:
        return [("waiting", "Waiting for a person"), ("agent", "With a person"),
                ("mine", "Mine")]  # fmt: skip

    def queryset(self, request: HttpRequest, queryset: QuerySet) -> QuerySet:
        if self.value() == "waiting":
            return queryset.filter(assigned_to__isnull=True)
        if self.value() == "agent":
            return queryset.filter(assigned_to__isnull=False)
        if self.value() == "mine":
            return queryset.filter(assigned_to=request.user)
        return queryset


@admin.register(InboxConversation)
class AgentInboxAdmin(admin.ModelAdmin):
    form = ReplyForm
    change_form_template = "admin/chatbot/inbox_change_form.html"
    list_display = ["__str__", "channel", "stage_label", "waiting", "last_message",
                    "assigned_to"]  # fmt: skip
    list_filter = ["channel", StageFilter]
    list_select_related = ["assigned_to"]
    ordering = ["escalated_at"]
    readonly_fields = ["channel", "stage_label", "customer", "why", "transcript"]
    fieldsets = [
        (None, {"fields": ["channel", "stage_label", "customer", "why", "transcript"]}),
        ("Reply", {"fields": ["canned", "reply", "template"]}),
    ]

    def get_queryset(self, request: HttpRequest) -> QuerySet[InboxConversation]:
        """Handed-over conversations, each with its last message (one query for the list)."""
        last = BotMessage.objects.filter(conversation=OuterRef("pk")).order_by("-created_at")
        return (super().get_queryset(request).filter(status=ConversationStatus.ESCALATED)
                .annotate(last_sender=Subquery(last.values("sender_type")[:1]),
                          last_content=Subquery(last.values("content")[:1])))  # fmt: skip

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    @admin.display(description="stage")
    def stage_label(self, conversation: BotConversation) -> str:
        label = conversation.stage.label
        who = conversation.assigned_to
        return f"{label} ({who.get_username()})" if who else label

    @admin.display(description="waiting", ordering="escalated_at")
    def waiting(self, conversation: BotConversation) -> str:
        since = conversation.escalated_at
        return timesince(since, timezone.now()) if since else ""

    @admin.display(description="last message")
    def last_message(self, conversation: BotConversation) -> str:
        sender, content = (
            getattr(conversation, "last_sender", ""),
            getattr(conversation, "last_content", ""),
        )
        return f"{Sender(sender).label}: {content[:80]}" if content else ""

    @admin.display(description="handed over because")
    def why(self, conversation: BotConversation) -> str:
        return str(conversation.metadata.get("escalated", {}).get("why", ""))

    @admin.display(description="transcript")
    def transcript(self, conversation: BotConversation) -> str:
        rows = format_html_join("", (
            '<tr class="sender-{}"><td>{}</td><td><strong>{}</strong></td><td>{}</td>'
            "<td>{}</td></tr>"), (
            (m.sender_type, timezone.localtime(m.created_at).strftime("%d %b %H:%M"),
             m.author.get_username() if m.author else m.get_sender_type_display(), m.content,
             f"{m.intent} ({m.confidence})" if m.intent else "")
            for m in conversation.messages.select_related("author").order_by("created_at")
        ))  # fmt: skip
        return format_html(
            '<table class="transcript"><thead><tr><th>When</th><th>Who</th><th>Message</th>'
            "<th>Intent read (confidence)</th></tr></thead><tbody>{}</tbody></table>",
            rows,
        )

    def get_form(self, request: HttpRequest, obj: Any = None, **kwargs: Any) -> type:
        form = super().get_form(request, obj, **kwargs)
        sending = not any(k in request.POST for k in ("_assign", "_resolve"))

        class Bound(form):  # type: ignore[misc, valid-type]
            def __init__(self, *args: Any, **kw: Any) -> None:
                super().__init__(*args, **kw)
                self.sending = request.method == "POST" and sending

        return Bound

    def save_model(self, request: HttpRequest, obj: BotConversation, form: Any,
                   change: bool) -> None:  # fmt: skip
        if "_assign" in request.POST:
            handoff.assign(obj, request.user)
            self.message_user(request, "It's yours: the bot stays silent.", messages.SUCCESS)
        elif "_resolve" in request.POST:
            handoff.resolve(obj)
            self.message_user(request, "Resolved; the bot answers the customer's next "
                              "message.", messages.SUCCESS)  # fmt: skip
        else:
            data = form.cleaned_data
            handoff.agent_reply(obj, request.user, data["reply"], template=data["template"])
            self.message_user(request, "Sent.", messages.SUCCESS)

    def save_related(self, request: HttpRequest, form: Any, formsets: Any, change: bool) -> None:
        pass  # nothing else on this form is saved

    def log_change(self, request: HttpRequest, obj: Any, message: Any) -> Any:
        return None  # the reply itself is the record (the transcript), not a change

    def response_change(self, request: HttpRequest, obj: BotConversation) -> HttpResponse:
        if "_resolve" in request.POST:  # off the queue: back to it
            return HttpResponseRedirect(reverse("admin:chatbot_inboxconversation_changelist"))
        return HttpResponseRedirect(request.path)
