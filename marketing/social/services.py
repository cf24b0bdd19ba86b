"""Social posts: written (or generated) as drafts, checked against each platform's
limits, approved for a time, published once by the `social.post` job (a rate limit
waits as long as the platform says), and their engagement pulled back as
`social.engagement` events."""

from __future__ import annotations

import logging
import re
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.db import transaction

from analytics.services import store_events
from analytics.validation import EventInput
from benchbarrier import clock
from benchbarrier.media import ImageUnavailable, public_image_url
from benchbarrier.services.audit import Actor, record_audit
from jobs.registry import PermanentJobError, RetryLater
from jobs.services import enqueue
from marketing.social import graph, x
from marketing.social.models import Platform, PostStatus, SocialAccount, SocialPost

logger = logging.getLogger(__name__)
# What each platform accepts (Facebook: 63,206 characters; Instagram: a 2,200-character
# caption with at most 30 hashtags, and always an image; X: 280, a link counting 23).
LIMITS = {
    Platform.FACEBOOK: {"text": 63_206},
    Platform.INSTAGRAM: {"text": 2_200, "hashtags": 30},
    Platform.X: {"text": 280},
}
UNKNOWN = (
    "outcome unknown: the worker stopped while publishing; check the account, not posted again"
)


class PostError(ValueError):
    def __init__(self, errors: list[tuple[str, str]]) -> None:
        self.errors = errors
        super().__init__("; ".join(f"{field}: {message}" for field, message in errors))


def post_problems(account: SocialAccount, text: str, image_url: str) -> list[tuple[str, str]]:
    limits = LIMITS[account.platform]
    errors = []
    length = text_length(account, text)
    if not text.strip():
        errors.append(("text", "the post's text"))
    elif length > limits["text"]:
        where = account.get_platform_display()
        errors.append(
            ("text", f"at most {limits['text']:,} characters on {where} (this is {length:,})")
        )
    hashtags = hashtag_count(text)
    if "hashtags" in limits and hashtags > limits["hashtags"]:
        errors.append(("text", f"at most {limits['hashtags']} hashtags (this has {hashtags})"))
    if account.platform == Platform.INSTAGRAM and not image_url:
        errors.append(("imageUrl", "an Instagram post needs an image"))
    if account.platform == Platform.X and image_url:
        errors.append(("imageUrl", "posts to X take text and a link here, not an image"))
    return errors


def text_length(account: SocialAccount, text: str) -> int:
    """The length as the platform counts it (X: every link as 23, its t.co wrapping)."""
    if account.platform == Platform.X:
        return len(re.sub(r"https?://\S+", "x" * 23, text))
    return len(text)


def network(account: SocialAccount) -> Any:
    """The module that speaks to the account's network (`publish`, `engagement`)."""
    return x if account.platform == Platform.X else graph


def resolve_image(image_id: int | None, image_url: str) -> tuple[str, list[tuple[str, str]]]:
    """The image to post: an AI content image's public JPEG (by id), else the URL given."""
    if image_id is None:
        return image_url, []
    try:
        return public_image_url(image_id), []
    except ImageUnavailable as exc:
        return image_url, [("imageId", str(exc))]


def hashtag_count(text: str) -> int:
    return len(re.findall(r"#\w+", text))


def create_post(
    *,
    account: SocialAccount,
    text: str,
    link: str = "",
    image_url: str = "",
    image_id: int | None = None,
    scheduled_for: datetime | None = None,
    approved: bool = False,
    approved_by: Any = None,
    idempotency_key: str | None = None,
    source: str = "",
    actor: Actor,
) -> SocialPost:
    """A draft, or an `approved` one (a workflow's: whoever saved the workflow approved
    it) scheduled for its time."""
    if idempotency_key:
        existing = SocialPost.objects.filter(idempotency_key=idempotency_key).first()
        if existing is not None:
            return existing
    image_url, errors = resolve_image(image_id, image_url)
    errors += post_problems(account, text, image_url)
    if errors:
        raise PostError(errors)
    with transaction.atomic():
        post = SocialPost.objects.create(
            account=account, text=text, link=link, image_url=image_url, image_id=image_id,
            scheduled_for=scheduled_for or clock.now(), idempotency_key=idempotency_key,
            source=source[:300],
        )  # fmt: skip
        record_audit(action="social_post.created", target=post, actor=actor)
        if approved:
            approve(post=post, user=approved_by, actor=actor)
    return post


def approve(*, post: SocialPost, user: Any, actor: Actor) -> SocialPost:
    """Approved for its time: the `social.post` job will publish it then."""
    if post.status not in (PostStatus.DRAFT, PostStatus.FAILED, PostStatus.SCHEDULED):
        raise PostError([("status", f"a {post.status} post cannot be approved again")])
    with transaction.atomic():
        post.status = PostStatus.SCHEDULED
        post.approved_by = user
        post.approved_at = clock.now()
        post.error = ""
        post.save(update_fields=["status", "approved_by", "approved_at", "error"])
        key = f"social.post:{post.pk}:{post.scheduled_for.isoformat()}"
        enqueue(job_type="social.post", payload={"postId": post.pk},
                scheduled_for=post.scheduled_for, idempotency_key=key)  # fmt: skip
        record_audit(action="social_post.approved", target=post, actor=actor)
    return post


def publish(post_id: int) -> dict[str, Any]:
    """The `social.post` job: publish the post if it is due and still approved (once: a
    post being published when a worker died is not published again)."""
    now = clock.now()
    with transaction.atomic():
        post = SocialPost.objects.select_for_update().select_related("account").get(pk=post_id)
        if post.status == PostStatus.PUBLISHING:
            _set(post, status=PostStatus.FAILED, error=UNKNOWN)
            raise PermanentJobError(UNKNOWN)
        if post.status != PostStatus.SCHEDULED or post.scheduled_for > now:
            return {"skipped": f"the post is {post.status}, for {post.scheduled_for.isoformat()}"}
        _set(post, status=PostStatus.PUBLISHING, attempts=post.attempts + 1)
    account = post.account
    try:
        post_id_, permalink = network(account).publish(
            account.platform, account.external_id, graph.token_of(account.token_variable),
            text=post.text, link=post.link, image_url=post.image_url,
        )  # fmt: skip
    except graph.NetworkError as exc:
        if exc.retry:
            _set(post, status=PostStatus.SCHEDULED, error=str(exc))
            raise RetryLater(str(exc), seconds=exc.wait_seconds or 60) from None
        _set(post, status=PostStatus.FAILED, error=str(exc))
        raise PermanentJobError(str(exc)) from None
    with transaction.atomic():
        _set(post, status=PostStatus.PUBLISHED, platform_post_id=post_id_, permalink=permalink,
             published_at=clock.now(), error="")  # fmt: skip
        store_events([_event(post, "social.posted", {"permalink": permalink})])
        record_audit(action="social_post.published", target=post,
                     actor=Actor.system("social.post"), changes={"postId": post_id_})  # fmt: skip
    return {"platformPostId": post_id_, "permalink": permalink}


def pull_engagement() -> dict[str, int]:
    """Likes, comments and shares of the posts published in SOCIAL_ENGAGEMENT_DAYS, each
    stored on its post and put on the bus as `social.engagement` (one per post and hour:
    a repeat within the hour is a no-op)."""
    since = clock.now() - timedelta(days=settings.SOCIAL_ENGAGEMENT_DAYS)
    posts = SocialPost.objects.filter(status=PostStatus.PUBLISHED, published_at__gte=since)
    pulled = failed = 0
    events = []
    for post in posts.select_related("account"):
        account = post.account
        try:
            counts = network(account).engagement(account.platform, post.platform_post_id,
                                      graph.token_of(account.token_variable))  # fmt: skip
        except graph.NetworkError as exc:
            failed += 1
            logger.warning("engagement of social post %s not read: %s", post.pk, exc)
            if exc.retry:
                break  # rate limited: the next pull goes on
            continue
        _set(post, engagement=counts, engagement_at=clock.now())
        events.append(_event(post, "social.engagement", counts,
                             suffix=clock.now().strftime("%Y%m%d%H")))  # fmt: skip
        pulled += 1
    if events:
        store_events(events)
    return {"pulled": pulled, "failed": failed}


def _event(
    post: SocialPost, name: str, properties: dict[str, Any], suffix: str = ""
) -> EventInput:
    return EventInput(
        event_name=name,
        user_id=None,
        session_id=None,
        message_id=f"{name}:{post.pk}" + (f":{suffix}" if suffix else ""),
        timestamp=clock.now(),
        properties={"postId": post.pk, "platform": post.account.platform,
                    "account": post.account.name, **properties},
    )  # fmt: skip


def _set(post: SocialPost, **changes: Any) -> None:
    SocialPost.objects.filter(pk=post.pk).update(**changes)
    for name, value in changes.items():
        setattr(post, name, value)
