"""`/api/chat/conversations` (scope `chat`): the site starts a conversation for a visitor
(the answer carries the visitor's `token`, once), posts the visitor's messages with that
token in `X-Conversation-Token`, and gets each message as stored (intent, confidence)
with the bot's replies; GET reads the transcript (polling). `/api/chat/meta/<channel>`:
Meta's webhooks for Messenger, Instagram and WhatsApp (no API key: the app secret's
signature), acknowledged at once and answered through the queue."""

from __future__ import annotations

from django.http import HttpResponse
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers, status
from rest_framework.exceptions import NotFound, ParseError, ValidationError
from rest_framework.permissions import AllowAny
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from benchbarrier.api import serializers as base
from benchbarrier.api.errors import json_error
from benchbarrier.api.parsers import RawParser, load_json
from benchbarrier.models import Scope
from chatbot import conversations, identity, meta
from chatbot.models import BotConversation, BotMessage
from jobs.services import enqueue

TOKEN = OpenApiParameter("X-Conversation-Token", str, OpenApiParameter.HEADER, required=True,
                         description="The token the conversation was started with.")  # fmt: skip


class MessageSerializer(base.ModelSerializer):
    class Meta:
        model = BotMessage
        fields = ["id", "sender_type", "content", "intent", "confidence", "created_at"]


class ConversationSerializer(base.ModelSerializer):
    class Meta:
        model = BotConversation
        fields = ["id", "channel", "status", "user_id", "started_at", "ended_at"]


class StartSerializer(base.Serializer):
    user_id = serializers.CharField(required=False, allow_blank=True, max_length=255,
                                    help_text="The site's id of a signed-in visitor.")  # fmt: skip
    user_expires = serializers.IntegerField(
        required=False, min_value=0, help_text="Unix seconds the signature holds until."
    )
    user_signature = serializers.CharField(
        required=False, allow_blank=True, max_length=128,
        help_text='hex(HMAC-SHA256(CHATBOT_USER_SECRET, "<userId>.<userExpires>")): without '
        "it the id is kept but not trusted (orders need the email on them).",
    )  # fmt: skip


class PostSerializer(base.Serializer):
    content = serializers.CharField(max_length=conversations.MAX_TEXT, trim_whitespace=True)


class ConversationListView(APIView):
    required_scope = Scope.CHAT

    @extend_schema(request=StartSerializer, responses={201: ConversationSerializer})
    def post(self, request: Request) -> Response:
        """Start a conversation; the answer's `token` is shown this once."""
        params = StartSerializer(data=request.data)
        params.is_valid(raise_exception=True)
        data = params.validated_data
        user_id = data.get("user_id", "")
        try:
            vouched = identity.vouched(user_id, data.get("user_expires"),
                                       data.get("user_signature", ""))  # fmt: skip
        except identity.NotVouched as exc:
            raise ValidationError({exc.field: [str(exc)]}) from None
        started = conversations.start(user_id=user_id, vouched=vouched)
        body = ConversationSerializer(started.conversation).data | {"token": started.token}
        return Response(body, status=status.HTTP_201_CREATED)


def _held(request: Request, pk: str) -> BotConversation:
    found = BotConversation.objects.filter(pk=pk).first()
    token = request.headers.get("X-Conversation-Token", "")
    if found is None or not conversations.holds(found, token):
        raise NotFound("No such conversation for this token.")
    return found


class ConversationView(APIView):
    required_scope = Scope.CHAT

    @extend_schema(parameters=[TOKEN], responses={200: ConversationSerializer})
    def get(self, request: Request, pk: str) -> Response:
        """The conversation and its transcript."""
        conversation = _held(request, pk)
        messages = MessageSerializer(conversation.messages.all(), many=True).data
        return Response(ConversationSerializer(conversation).data | {"messages": messages})


class MessageListView(APIView):
    required_scope = Scope.CHAT

    @extend_schema(parameters=[TOKEN], request=PostSerializer, responses={201: None})
    def post(self, request: Request, pk: str) -> Response:
        """The visitor's message: stored with its intent and confidence, and the replies."""
        conversation = _held(request, pk)
        params = PostSerializer(data=request.data)
        params.is_valid(raise_exception=True)
        try:
            message, replies = conversations.reply_to(
                conversation, params.validated_data["content"]
            )
        except conversations.ConversationError as exc:
            raise ValidationError({exc.field: [str(exc)]}) from None
        return Response({"message": MessageSerializer(message).data,
                         "replies": MessageSerializer(replies, many=True).data},
                        status=status.HTTP_201_CREATED)  # fmt: skip


class MetaWebhookView(APIView):
    """Meta's webhook for one channel (`messenger`, `instagram`, `whatsapp`): GET answers
    the subscription handshake, POST takes a signed delivery (X-Hub-Signature-256 over
    the raw body) and queues each customer message once (by the platform's message id)."""

    authentication_classes: list = []
    permission_classes = [AllowAny]
    parser_classes = [RawParser]

    def _channel(self, name: str) -> str:
        if name not in meta.CHANNELS:
            raise NotFound(f"No channel {name!r}: messenger, instagram or whatsapp.")
        return meta.CHANNELS[name]

    @extend_schema(responses={200: str}, parameters=[
        OpenApiParameter(name, str, required=True)
        for name in ("hub.mode", "hub.verify_token", "hub.challenge")])  # fmt: skip
    def get(self, request: Request, channel: str) -> HttpResponse:
        """The subscription handshake: echoes `hub.challenge` for our verify token."""
        self._channel(channel)
        try:
            challenge = meta.verify_subscription(request.query_params.dict())
        except meta.Refused as exc:
            return _refused(request, exc)
        return HttpResponse(challenge, content_type="text/plain")

    @extend_schema(request=None, responses={200: None})
    def post(self, request: Request, channel: str) -> HttpResponse:
        """A delivery of messages; answered at once, the messages go through the queue."""
        kind = self._channel(channel)
        body = request.data if isinstance(request.data, bytes) else b""
        try:
            meta.check_signature(body, request.headers.get("X-Hub-Signature-256"))
        except meta.Refused as exc:
            return _refused(request, exc)
        try:
            payload = load_json(body or b"{}")
        except ParseError:
            raise ValidationError("The body must be JSON, nested at most 64 deep.") from None
        found = meta.messages_in(kind, payload)
        for message in found:
            enqueue(job_type="chatbot.inbound", priority=5,
                    idempotency_key=f"chatbot.inbound:{message.message_id}"[:255],
                    payload={"channel": kind, "contact": message.contact, "text": message.text,
                             "messageId": message.message_id, "name": message.name})  # fmt: skip
        return Response({"received": len(found)})


def _refused(request: Request, exc: meta.Refused) -> HttpResponse:
    return json_error(request, exc.status, "invalid_signature", str(exc))
