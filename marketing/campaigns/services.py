"""A broadcast's life: saved (every problem named by its field), launched now or at a
time (the audience frozen at send time by the `campaign.launch` job), sent in throttled
chunks, paused, resumed, cancelled; an A/B test decided at its deadline and the winner
sent to the rest. Every change is audited."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.db import transaction

from benchbarrier import clock
from benchbarrier.services.audit import Actor, record_audit
from jobs.services import enqueue
from marketing import channels
from marketing.campaigns import abtest, audience, sending
from marketing.campaigns.models import (
    Campaign,
    CampaignKind,
    CampaignSend,
    CampaignStatus,
    CampaignType,
    SendStatus,
    WinnerMetric,
)
from marketing.models import EmailTemplate

LAUNCH, DECIDE = "campaign.launch", "campaign.decide"
EDITABLE = (CampaignStatus.DRAFT,)


class CampaignError(ValueError):
    """Invalid campaign input or action; `errors` holds (field, message) pairs."""

    def __init__(self, errors: list[tuple[str, str]]) -> None:
        self.errors = errors
        super().__init__("; ".join(f"{field}: {message}" for field, message in errors))


class CampaignStateError(Exception):
    """The action does not fit the campaign's status (API: 409)."""


def validate(campaign: Campaign) -> None:
    """Raises CampaignError naming every problem of a broadcast about to be saved."""
    errors: list[tuple[str, str]] = []
    if campaign.type == CampaignType.SOCIAL:
        raise_if(_social_errors(campaign))
        return
    channel = channels.get(campaign.type)
    if channel is None:
        *others, last = [*channels.names(), CampaignType.SOCIAL]
        errors.append(("type", f'"{campaign.type}" campaigns come with their channel; use '
                               f"{', '.join(others)} or {last}"))  # fmt: skip
    if campaign.kind == CampaignKind.BROADCAST and campaign.segment_id is None:
        errors.append(("segmentId", "a broadcast needs a segment"))
    if channel is not None and channel.name != CampaignType.EMAIL:
        errors += channel.problems(campaign)
        if (campaign.ab_test or {}).get("variants"):
            errors.append(("abTest", "A/B tests are for email campaigns"))
    elif campaign.template_id is None:
        errors.append(("template", "pick the email template to send"))
    if campaign.throttle_per_second == 0:
        errors.append(("throttlePerSecond", "at least 1 message a second"))
    schedule = campaign.schedule_config or {}
    local = schedule.get("localTime")
    if local is not None and not _time_of_day(local):
        errors.append(("scheduleConfig.localTime", 'a time of day like "10:00"'))
    errors += _test_errors(campaign.ab_test or {})
    if errors:
        raise CampaignError(errors)


def raise_if(errors: list[tuple[str, str]]) -> None:
    if errors:
        raise CampaignError(errors)


def _social_errors(campaign: Campaign) -> list[tuple[str, str]]:
    """A social campaign is one post (text and link) to one account, at the send time."""
    from marketing.social.services import post_problems

    if campaign.social_account_id is None:
        return [("socialAccount", "the social account to post to")]
    return [
        ("text", message) if field == "text" else
        ("socialAccount", f"{message}: post it from Social posts, where it can have one")
        for field, message in post_problems(campaign.social_account, campaign.text, "")
    ]  # fmt: skip


def _time_of_day(value: Any) -> bool:
    return bool(re.fullmatch(r"([01]\d|2[0-3]):[0-5]\d", str(value)))


def _test_errors(test: dict[str, Any]) -> list[tuple[str, str]]:
    if not test:
        return []
    errors = []
    variants = test.get("variants")
    if not isinstance(variants, list) or not 2 <= len(variants) <= 4:
        return [("abTest.variants", "2 to 4 variants")]
    slugs = set(EmailTemplate.objects.values_list("slug", flat=True))
    for index, variant in enumerate(variants):
        here = f"abTest.variants[{index}]"
        if not isinstance(variant, dict) or not (
            variant.get("subject") or variant.get("template") or variant.get("localTime")
        ):
            errors.append(
                (here, "a variant needs a subject, a template or a localTime (what it tries)")
            )
            continue
        if variant.get("template") and variant["template"] not in slugs:
            errors.append((f"{here}.template", f'unknown template "{variant["template"]}"'))
        if "localTime" in variant and not _time_of_day(variant["localTime"]):
            errors.append((f"{here}.localTime", 'a time of day like "18:00"'))
    share = test.get("testShare", 0.2)
    if not isinstance(share, int | float) or not 0 < share <= 1:
        errors.append(("abTest.testShare", "a share of the audience above 0, at most 1"))
    metric = test.get("metric", WinnerMetric.CLICK_RATE)
    if metric not in WinnerMetric.values:
        errors.append(("abTest.metric", f"one of {', '.join(WinnerMetric.values)}"))
    elif test.get("waitHours") is not None:
        least = abtest.MIN_WAIT_HOURS[metric]
        if not isinstance(test["waitHours"], int | float) or test["waitHours"] < least:
            errors.append(("abTest.waitHours", f"at least {least} h for {metric}"))
    if test.get("fallback", "leader") not in ("leader", "control"):
        errors.append(("abTest.fallback", "leader or control"))
    return errors


def save_campaign(*, campaign: Campaign, actor: Actor, request: Any = None) -> Campaign:
    """Create or edit a draft broadcast (CampaignError names each problem)."""
    created = campaign.pk is None
    if not created and Campaign.objects.get(pk=campaign.pk).status not in EDITABLE:
        raise CampaignStateError("only a draft can be edited; this campaign has started")
    validate(campaign)
    campaign.updated_at = clock.now()
    with transaction.atomic():
        campaign.save()
        record_audit(
            action="campaign.created" if created else "campaign.updated",
            target=campaign,
            changes={"name": campaign.name},
            actor=actor,
            request=request,
        )
    return campaign


def launch(
    *, campaign: Campaign, actor: Actor, send_at: datetime | None = None, request: Any = None
) -> Campaign:
    """Send now, or schedule for `send_at` (CampaignError for a time in the past). The
    audience is frozen when the send starts, not now."""
    now = clock.now()
    if send_at is not None and send_at <= now:
        raise CampaignError([("sendAt", "a time in the future (or leave it out: send now)")])
    validate(campaign)
    with transaction.atomic():
        locked = Campaign.objects.select_for_update().get(pk=campaign.pk)
        if locked.status != CampaignStatus.DRAFT:
            raise CampaignStateError(f"the campaign is {locked.status}; only a draft is sent")
        locked.status = CampaignStatus.SCHEDULED
        locked.schedule_config = {
            **(locked.schedule_config or {}),
            "sendAt": (send_at or now).isoformat(),
        }
        locked.updated_at = now
        locked.save(update_fields=["status", "schedule_config", "updated_at"])
        enqueue(
            job_type=LAUNCH,
            payload={"campaignId": locked.pk},
            scheduled_for=send_at,
            idempotency_key=f"campaign.launch:{locked.pk}",
        )
        record_audit(
            action="campaign.launched",
            target=locked,
            changes={"sendAt": locked.schedule_config["sendAt"]},
            actor=actor,
            request=request,
        )
    return locked


def start_sending(campaign_id: int) -> dict[str, Any]:
    """The `campaign.launch` job: freeze the audience, start the senders, and for an
    A/B test schedule its decision. Safe to run twice (nothing is added twice)."""
    now = clock.now()
    with transaction.atomic():
        campaign = Campaign.objects.select_for_update().get(pk=campaign_id)
        if campaign.status != CampaignStatus.SCHEDULED:
            return {"skipped": f"campaign is {campaign.status}"}
        if campaign.type == CampaignType.SOCIAL:
            return _post_to_social(campaign, now)
        frozen = audience.freeze(campaign, now)
        testing = bool((campaign.ab_test or {}).get("variants"))
        campaign.status = CampaignStatus.TESTING if testing else CampaignStatus.SENDING
        campaign.launched_at = now
        campaign.metrics = {
            **campaign.metrics,
            "audience": str(audience.size_of(campaign)),
        }
        campaign.save(update_fields=["status", "launched_at", "metrics"])
        sending.queue_senders(campaign)
        if testing:
            enqueue(
                job_type=DECIDE,
                payload={"campaignId": campaign.pk},
                scheduled_for=abtest.deadline(campaign, audience.last_tested(campaign, now)),
                idempotency_key=f"campaign.decide:{campaign.pk}",
            )
    return {"recipients": frozen}


def _post_to_social(campaign: Campaign, now: datetime) -> dict[str, Any]:
    """A social campaign's launch: its post, approved by the launch, published now by
    the `social.post` job (the campaign's figures follow the post's)."""
    from marketing.social.services import create_post

    post = create_post(
        account=campaign.social_account, text=campaign.text, link=campaign.link,
        scheduled_for=now, approved=True, idempotency_key=f"campaign:{campaign.pk}",
        source=f"campaign {campaign.pk}", actor=Actor.system("campaign.launch"),
    )  # fmt: skip
    campaign.status = CampaignStatus.SENT
    campaign.launched_at = campaign.finished_at = now
    campaign.metrics = {**campaign.metrics, "socialPostId": post.pk}
    campaign.save(update_fields=["status", "launched_at", "finished_at", "metrics"])
    return {"socialPostId": post.pk}


def apply_decision(campaign_id: int) -> dict[str, Any]:
    """The `campaign.decide` job: decide the A/B test and send the winner to everyone
    held back (once: a decided campaign is left alone)."""
    now = clock.now()
    with transaction.atomic():
        campaign = Campaign.objects.select_for_update().get(pk=campaign_id)
        if campaign.status != CampaignStatus.TESTING or campaign.decision:
            return {"skipped": f"campaign is {campaign.status}"}
        decision = abtest.decide(campaign, now=now)
        campaign.decision = decision
        campaign.status = CampaignStatus.SENDING
        campaign.save(update_fields=["decision", "status"])
        audience.release_held(campaign, decision["winner"], now)
        sending.queue_senders(campaign)
        record_audit(
            action="campaign.ab_decided",
            target=campaign,
            changes={"winner": decision["winner"], "reason": decision["reason"]},
            actor=Actor.system("campaign.decide"),
        )
    return {"winner": decision["winner"], "byRule": decision["byRule"]}


def pause(*, campaign: Campaign, actor: Actor, request: Any = None) -> Campaign:
    running = {CampaignStatus.SENDING, CampaignStatus.TESTING, CampaignStatus.SCHEDULED}
    return _move(campaign, running, CampaignStatus.PAUSED, actor, request)


def resume(*, campaign: Campaign, actor: Actor, request: Any = None) -> Campaign:
    """Sending goes on from where it stopped (a paused test goes back to testing, a
    campaign paused before its launch goes back to waiting for it)."""

    def resumed(current: Campaign) -> str:
        if current.launched_at is None:
            return CampaignStatus.SCHEDULED
        return CampaignStatus.TESTING if _testing(current) else CampaignStatus.SENDING

    campaign = _move(campaign, {CampaignStatus.PAUSED}, resumed, actor, request)
    if campaign.launched_at is not None:
        sending.queue_senders(campaign)
    return campaign


def cancel(*, campaign: Campaign, actor: Actor, request: Any = None) -> Campaign:
    """Stop for good: what was not sent stays unsent."""
    with transaction.atomic():
        live = set(CampaignStatus.values) - {CampaignStatus.SENT, CampaignStatus.CANCELLED}
        campaign = _move(campaign, live, CampaignStatus.CANCELLED, actor, request)
        CampaignSend.objects.filter(
            campaign=campaign, status__in=[SendStatus.PENDING, SendStatus.HELD]
        ).update(status=SendStatus.CANCELLED)
    return campaign


def _testing(campaign: Campaign) -> bool:
    return bool((campaign.ab_test or {}).get("variants")) and not campaign.decision


def _move(
    campaign: Campaign,
    allowed: set[str],
    status: str | Callable[[Campaign], str],
    actor: Actor,
    request: Any,
) -> Campaign:
    """Move the campaign (as it is in the database, locked) to `status`, or to the
    status the function picks from the locked row."""
    with transaction.atomic():
        locked = Campaign.objects.select_for_update().get(pk=campaign.pk)
        if callable(status):
            status = status(locked)
        if locked.status not in allowed:
            raise CampaignStateError(f"the campaign is {locked.status}; it cannot be {status}")
        locked.status = status
        locked.updated_at = clock.now()
        if status == CampaignStatus.CANCELLED:
            locked.finished_at = locked.updated_at
        locked.save(update_fields=["status", "updated_at", "finished_at"])
        record_audit(action=f"campaign.{status}", target=locked, actor=actor, request=request)
    return locked


def send_test(*, campaign: Campaign, emails: list[str], actor: Actor) -> list[Any]:
    """The campaign's email (each variant's, for a test) to these addresses, marked as
    tests (no consent rules, "[Test]" subject), before launch."""
    from marketing.email.services import queue_email

    variants = sending._variant_content(campaign) or {"": (campaign.template, campaign.subject)}
    deliveries = []
    with transaction.atomic():
        for name, (template, subject) in variants.items():
            for email in emails:
                deliveries.append(
                    queue_email(
                        template=template.slug,
                        variables=campaign.variables,
                        to=email,
                        test=True,
                        subject=f"{subject} [{name}]" if name and subject else subject,
                        source=f"campaign {campaign.pk} test by {actor.label}",
                    )
                )
    return deliveries


@dataclass(frozen=True)
class Progress:
    total: int
    done: int
    sent: int
    skipped: int
    held: int
    rate: float | None  # messages a second so far
    eta_seconds: float | None

    @property
    def share(self) -> float:
        return self.done / self.total if self.total else 0.0


def progress(campaign: Campaign) -> Progress:
    """Where a send is: done / total, the rate so far and when it should end."""
    from django.db.models import Count, Q

    counts = CampaignSend.objects.filter(campaign=campaign).aggregate(
        total=Count("id"),
        sent=Count("id", filter=Q(status=SendStatus.SENT)),
        skipped=Count("id", filter=Q(status__in=[SendStatus.SKIPPED, SendStatus.FAILED])),
        held=Count("id", filter=Q(status=SendStatus.HELD)),
        cancelled=Count("id", filter=Q(status=SendStatus.CANCELLED)),
    )
    done = counts["sent"] + counts["skipped"]
    total = counts["total"] - counts["cancelled"]
    rate = eta = None
    if campaign.launched_at and done:
        elapsed = max((clock.now() - campaign.launched_at).total_seconds(), 0.001)
        rate = done / elapsed
        eta = max(total - done - counts["held"], 0) / rate
    return Progress(total, done, counts["sent"], counts["skipped"], counts["held"], rate, eta)
