"""The bot in the admin: intents (phrases, responses, actions; saving one retrains the
classifier), the trained versions, and conversations with their messages read-only."""

from __future__ import annotations

from typing import Any

from django import forms
from django.conf import settings
from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest
from django.template.response import TemplateResponse
from django.urls import path, reverse

from analytics.query import parse_period
from benchbarrier.admin.read_only import ReadOnlyAdmin
from benchbarrier.bot_actions import registered
from benchbarrier.dashboard import Figure, Panel, panel, place
from benchbarrier.metrics_registry import get_metric
from chatbot import inbox_admin  # noqa: F401  (the agent inbox)
from chatbot.models import BotConversation, BotIntent, BotMessage, InboxConversation, IntentModel
from chatbot.services import delete_intent, retrain, save_intent
from jobs.services import enqueue


class IntentForm(forms.ModelForm):
    class Meta:
        model = BotIntent
        fields = ["name", "description", "training_phrases", "responses", "actions"]

    def clean_actions(self) -> list:
        actions = self.cleaned_data["actions"] or []
        known = {action.name for action in registered()}
        if not isinstance(actions, list):
            raise forms.ValidationError('A list of actions, e.g. [{"type": "handoff"}].')
        for spec in actions:
            name = spec.get("type") if isinstance(spec, dict) else None
            if name not in known:
                raise forms.ValidationError(
                    f"Unknown action {name!r}: each is an object with a type, one of "
                    f"{', '.join(sorted(known))}."
                )
        return actions

    def clean_training_phrases(self) -> list:
        phrases = self.cleaned_data["training_phrases"] or []
        if not isinstance(phrases, list) or not all(isinstance(p, str) for p in phrases):
            raise forms.ValidationError('A list of texts, e.g. ["where is my order"].')
        return phrases


@admin.register(BotIntent)
class BotIntentAdmin(admin.ModelAdmin):
    form = IntentForm
    change_list_template = "admin/chatbot/botintent_change_list.html"
    list_display = ["name", "description", "phrase_count", "response_count", "action_list"]
    search_fields = ["name", "description"]

    def get_urls(self) -> list:
        view = self.admin_site.admin_view(self.try_view)
        return [path("try/", view, name="chatbot_try"), *super().get_urls()]

    def try_view(self, request: HttpRequest) -> TemplateResponse:
        """The bot as the shop's visitors see it (the widget, on the staff session), with
        the tag to put on the site."""
        context = {**self.admin_site.each_context(request), "opts": self.model._meta,
                   "title": "Try the bot", "site_url": settings.SITE_URL}  # fmt: skip
        return TemplateResponse(request, "admin/chatbot/try_bot.html", context)

    def save_model(self, request: HttpRequest, obj: BotIntent, form: Any, change: bool) -> None:
        save_intent(obj)  # and the classifier learns it

    def delete_model(self, request: HttpRequest, obj: BotIntent) -> None:
        delete_intent(obj)

    def delete_queryset(self, request: HttpRequest, queryset: QuerySet[BotIntent]) -> None:
        queryset.delete()
        retrain()

    @admin.display(description="phrases")
    def phrase_count(self, intent: BotIntent) -> int:
        return len(intent.training_phrases)

    @admin.display(description="responses")
    def response_count(self, intent: BotIntent) -> int:
        return len(intent.responses)

    @admin.display(description="actions")
    def action_list(self, intent: BotIntent) -> str:
        return ", ".join(str(a.get("type")) for a in intent.actions if isinstance(a, dict))


@admin.register(IntentModel)
class IntentModelAdmin(ReadOnlyAdmin):
    """The classifier's versions; the newest is in use."""

    list_display = ["version", "intent_count", "phrases", "trained_at"]
    fields = ["version", "intents", "phrases", "fingerprint", "trained_at"]
    readonly_fields = fields
    actions = ["train_now"]

    @admin.display(description="intents")
    def intent_count(self, model: IntentModel) -> int:
        return len(model.intents)

    @admin.action(description="Train again from the intents as they are")
    def train_now(self, request: HttpRequest, queryset: QuerySet[IntentModel]) -> None:
        enqueue(job_type="chatbot.train", request=request)
        self.message_user(request, "Training queued: the new version appears here when done "
                          "(none if the phrases did not change).", messages.SUCCESS)  # fmt: skip


class MessageInline(admin.TabularInline):
    model = BotMessage
    fields = ["created_at", "sender_type", "author", "content", "intent", "confidence"]
    readonly_fields = fields
    extra = 0
    max_num = 0
    can_delete = False


@admin.register(BotConversation)
class BotConversationAdmin(admin.ModelAdmin):
    list_display = ["__str__", "channel", "status", "user_id", "contact", "started_at",
                    "ended_at"]  # fmt: skip
    list_filter = ["channel", "status"]
    search_fields = ["=user_id", "=contact", "customer__email"]
    fields = ["channel", "status", "user_id", "contact", "customer", "assigned_to",
              "started_at", "escalated_at", "ended_at", "metadata"]  # fmt: skip
    readonly_fields = fields
    inlines = [MessageInline]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False


place("Automation", InboxConversation, BotIntent, IntentModel, BotConversation)


NONE = "\N{EN DASH}"  # no figure yet


@panel("Support bot", order=60)
def support_bot(request: HttpRequest) -> Panel:
    """The bot over the last 30 days, from the same metrics the API and reports use."""
    month = parse_period("last_30_days", None, None)
    value = lambda name: get_metric(name).value(month)  # noqa: E731
    link = reverse("admin:chatbot_botconversation_changelist")
    share = lambda v: NONE if v is None else f"{float(v):.0%}"  # noqa: E731
    waited = value("bot_first_response_seconds")
    return Panel("Support bot", figures=[
        Figure("resolved by the bot", share(value("bot_resolution_rate")), link),
        Figure("kept from a person", share(value("bot_containment_rate")), link),
        Figure("handed to a person", f"{value('bot_handoffs'):,}",
               f"{link}?status__exact=escalated"),
        Figure("messages not understood", share(value("bot_fallback_rate")), link),
        Figure("median first answer", NONE if waited is None else f"{waited} s", link),
    ], note="Conversations started in the last 30 days.", link=link)  # fmt: skip
