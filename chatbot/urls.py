from __future__ import annotations

from django.urls import re_path

from chatbot.views import (
    ConversationListView,
    ConversationView,
    MessageListView,
    MetaWebhookView,
)

UUID = r"(?P<pk>[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})"

urlpatterns = [
    re_path(r"^conversations/?$", ConversationListView.as_view(), name="chat-conversations"),
    re_path(rf"^conversations/{UUID}/?$", ConversationView.as_view(), name="chat-conversation"),
    re_path(
        rf"^conversations/{UUID}/messages/?$", MessageListView.as_view(), name="chat-messages"
    ),
    re_path(r"^meta/(?P<channel>\w+)/?$", MetaWebhookView.as_view(), name="chat-meta-webhook"),
]
