"""The support bot's part of the kernel's personal-data registry: the source of an export
(their conversations, message by message), the eraser (what they and the agents wrote is
blanked; intents, confidence and timestamps stay for the bot's figures), and the retention
of transcripts (CHAT_RETENTION_DAYS)."""

from __future__ import annotations

from datetime import datetime

from django.db.models import Q, QuerySet

from benchbarrier.personal_data import (
    Person,
    Retention,
    Rows,
    Source,
    in_chunks,
    register_eraser,
    register_retention,
    register_source,
)
from chatbot.models import BotConversation, BotMessage

ERASED = "(erased)"


def _conversations(user_id: str) -> Rows:
    found = BotConversation.objects.filter(
        Q(user_id=user_id) | Q(customer__external_id=user_id)
    ).order_by("started_at")
    for conversation in found.prefetch_related("messages"):
        yield {"id": str(conversation.pk), "channel": conversation.channel,
               "status": conversation.status, "startedAt": conversation.started_at.isoformat(),
               "messages": [{"from": m.sender_type, "text": m.content,
                             "at": m.created_at.isoformat()}
                            for m in conversation.messages.all()]}  # fmt: skip


register_source(Source("conversations", "chats with the support bot and its agents",
                       _conversations))  # fmt: skip


def _blank(messages: QuerySet[BotMessage]) -> int:
    return messages.update(content=ERASED, metadata={})


def _erase(person: Person) -> dict[str, int]:
    theirs = Q(pk__in=[])
    if person.user_id:
        theirs |= Q(user_id=person.user_id)
    if person.customer_id:
        theirs |= Q(customer_id=person.customer_id)
    if person.phones | person.emails:
        theirs |= Q(contact__in=person.phones | person.emails)
    conversations = BotConversation.objects.filter(theirs)
    messages = _blank(BotMessage.objects.filter(conversation__in=conversations))
    count = conversations.update(user_id="", contact="", metadata={})
    return {"messages": messages, "conversations": count}


register_eraser("chatbot", _erase)


def _forget_old_transcripts(before: datetime) -> int:
    """Messages written before then are blanked (their intents stay for the figures), and
    conversations with nothing newer lose who they were with."""
    count = in_chunks(BotMessage.objects.filter(created_at__lt=before).exclude(content=ERASED),
                      _blank)  # fmt: skip
    BotConversation.objects.filter(started_at__lt=before).exclude(
        messages__created_at__gte=before).exclude(user_id="", contact="").update(
        user_id="", contact="", metadata={})  # fmt: skip
    return count


register_retention(Retention("chat_transcripts", "what was written in chats: blanked",
                             "CHAT_RETENTION_DAYS", _forget_old_transcripts))  # fmt: skip
