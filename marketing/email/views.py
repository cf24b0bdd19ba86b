"""Public email endpoints: unsubscribe (page, preference centre, RFC 8058 one-click),
open pixel, click redirect. No session and no CSRF token: the signed token in the URL
is the authority."""

from __future__ import annotations

import base64

from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_GET, require_http_methods

from benchbarrier.services.audit import Actor
from marketing.email import services as email_services
from marketing.email import tokens
from marketing.models import EmailDelivery, Suppression, SuppressionScope

PIXEL = base64.b64decode("R0lGODlhAQABAIAAAAAAAP///yH5BAEAAAAALAAAAAABAAEAAAIBRAA7")


def _delivery(salt: str, token: str, max_age: object) -> tuple[EmailDelivery, list]:
    try:
        values = tokens.read(salt, token, max_age)  # type: ignore[arg-type]
    except tokens.BadToken:
        raise Http404 from None
    delivery = (
        EmailDelivery.objects.select_related("customer", "template").filter(pk=values[0]).first()
    )
    if delivery is None:
        raise Http404
    return delivery, values


@csrf_exempt
@never_cache
@require_http_methods(["GET", "POST"])
def unsubscribe(request: HttpRequest, token: str) -> HttpResponse:
    try:
        values = tokens.read(tokens.UNSUBSCRIBE, token, tokens.unsubscribe_max_age())
    except tokens.BadToken as exc:
        return render(request, "emails/unsubscribe.html", {"error": str(exc)}, status=400)
    delivery_id, email = values
    delivery = EmailDelivery.objects.filter(pk=delivery_id).first()
    if request.method == "POST" and request.POST.get("List-Unsubscribe") == "One-Click":
        email_services.suppress(
            email=email, scope=SuppressionScope.MARKETING, reason="one-click unsubscribe",
            delivery=delivery, actor=Actor.system("email.one_click"),
        )  # fmt: skip
        return HttpResponse("Unsubscribed.", content_type="text/plain")
    categories = email_services.marketing_categories()
    saved = False
    if request.method == "POST":
        muted = [c for c in request.POST.getlist("mute") if c in categories]
        email_services.set_preferences(
            email=email,
            unsubscribe_all=request.POST.get("all") == "1",
            muted=muted,
            delivery=delivery,
        )
        saved = True
    suppressions = Suppression.objects.filter(email=email)
    context = {
        "email": email,
        "saved": saved,
        "all_off": suppressions.filter(scope=SuppressionScope.MARKETING).exists(),
        "categories": [
            (c, suppressions.filter(scope=SuppressionScope.CATEGORY, category=c).exists())
            for c in categories
        ],
    }
    return render(request, "emails/unsubscribe.html", context)


@require_GET
@never_cache
def open_pixel(request: HttpRequest, token: str) -> HttpResponse:
    delivery, _ = _delivery(tokens.OPEN, token, tokens.tracking_max_age())
    email_services.record_open(
        delivery, proxy=email_services.is_privacy_proxy(request.META.get("REMOTE_ADDR", ""),
                                                        request.headers.get("User-Agent", ""))
    )  # fmt: skip
    return HttpResponse(PIXEL, content_type="image/gif")


@require_GET
@never_cache
def click(request: HttpRequest, token: str) -> HttpResponse:
    delivery, values = _delivery(tokens.CLICK, token, tokens.tracking_max_age())
    try:
        url = email_services.record_click(delivery, int(values[1]))
    except (IndexError, ValueError, TypeError):
        raise Http404 from None
    return HttpResponseRedirect(url)
