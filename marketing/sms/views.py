"""What Twilio calls (status callbacks and replies, each checked against its
`X-Twilio-Signature`) and the short links in messages."""

from __future__ import annotations

from django.conf import settings
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.utils.html import escape
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_GET, require_POST

from marketing.sms import links, services
from marketing.sms.models import SmsMessage

EMPTY_TWIML = '<?xml version="1.0" encoding="UTF-8"?><Response></Response>'


def _signed(request: HttpRequest) -> bool:
    """Twilio signs the URL it called (as configured: SITE_URL + path) and the form."""
    from twilio.request_validator import RequestValidator

    if not settings.TWILIO_AUTH_TOKEN:
        return False  # nothing to check against: refuse rather than trust
    url = settings.SITE_URL.rstrip("/") + request.get_full_path()
    signature = request.headers.get("X-Twilio-Signature", "")
    return RequestValidator(settings.TWILIO_AUTH_TOKEN).validate(
        url, request.POST.dict(), signature
    )


@csrf_exempt
@require_POST
def status_callback(request: HttpRequest) -> HttpResponse:
    if not _signed(request):
        return HttpResponse("bad signature", status=403, content_type="text/plain")
    known = services.record_status(
        request.POST.get("MessageSid", ""),
        request.POST.get("MessageStatus", ""),
        request.POST.get("ErrorCode", ""),
    )
    return HttpResponse(status=204 if known else 404)


@csrf_exempt
@require_POST
def inbound(request: HttpRequest) -> HttpResponse:
    if not _signed(request):
        return HttpResponse("bad signature", status=403, content_type="text/plain")
    answer = services.handle_reply(request.POST.get("From", ""), request.POST.get("Body", ""))
    twiml = EMPTY_TWIML
    if answer:
        twiml = twiml.replace("</Response>", f"<Message>{escape(answer)}</Message></Response>")
    return HttpResponse(twiml, content_type="text/xml")


@require_GET
def short_link(request: HttpRequest, message_id: int, index: int, check: str) -> HttpResponse:
    if not links.verify(message_id, index, check):
        return HttpResponse("This link is not valid.", status=404, content_type="text/plain")
    message = get_object_or_404(SmsMessage, pk=message_id)
    if not 0 <= index < len(message.links):
        return HttpResponse("This link is not valid.", status=404, content_type="text/plain")
    return HttpResponseRedirect(services.record_click(message, index))
