"""Social accounts (a Facebook Page, an Instagram Business account) and the posts
published to them: written or generated, approved, scheduled, published once, and their
engagement pulled back."""

from __future__ import annotations

from django.conf import settings
from django.db import models

from benchbarrier import clock


class Platform(models.TextChoices):
    FACEBOOK = "facebook", "Facebook Page"
    INSTAGRAM = "instagram", "Instagram Business account"
    X = "x", "X (Twitter) account"


class SocialAccount(models.Model):
    """Where posts go. Its access token is never stored: `token_variable` names the
    environment variable that holds it (a Page access token for both platforms)."""

    name = models.SlugField(max_length=60, unique=True, help_text='Steps name it: "shop-page".')
    platform = models.CharField(max_length=10, choices=Platform.choices)
    external_id = models.CharField(
        max_length=64,
        help_text="The Page id, the Instagram Business account id, or the X handle.",
    )
    token_variable = models.CharField(
        max_length=100,
        help_text="The environment variable with the account's access token, e.g. "
        "META_TOKEN_SHOP_PAGE (tokens are never stored in the database or logged).",
    )
    is_active = models.BooleanField(default=True)

    class Meta:
        db_table = "social_accounts"

    def __str__(self) -> str:
        return f"{self.name} ({self.get_platform_display()})"


class PostStatus(models.TextChoices):
    DRAFT = "draft", "Draft (waits for approval)"
    SCHEDULED = "scheduled", "Approved, scheduled"
    PUBLISHING = "publishing", "Publishing"
    PUBLISHED = "published", "Published"
    FAILED = "failed", "Failed"


class SocialPost(models.Model):
    account = models.ForeignKey(SocialAccount, on_delete=models.PROTECT, related_name="posts")
    text = models.TextField()
    link = models.URLField(max_length=1000, blank=True)
    image_id = models.PositiveIntegerField(
        null=True, blank=True, help_text="An image from AI content (its JPEG is posted)."
    )
    image_url = models.URLField(
        max_length=1000, blank=True, help_text="A public image (Instagram needs one)."
    )
    status = models.CharField(max_length=10, choices=PostStatus.choices, default="draft")
    scheduled_for = models.DateTimeField(default=clock.now, db_index=True)
    approved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
        related_name="+",
    )  # fmt: skip
    approved_at = models.DateTimeField(null=True, blank=True)
    platform_post_id = models.CharField(max_length=100, blank=True)
    permalink = models.URLField(max_length=1000, blank=True)
    error = models.TextField(blank=True)
    attempts = models.PositiveSmallIntegerField(default=0)
    engagement = models.JSONField(default=dict, blank=True, help_text="Likes, comments...")
    engagement_at = models.DateTimeField(null=True, blank=True)
    idempotency_key = models.CharField(max_length=200, unique=True, null=True, blank=True)
    source = models.CharField(max_length=300, blank=True)
    created_at = models.DateTimeField(default=clock.now)
    published_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        db_table = "social_posts"
        ordering = ["scheduled_for"]

    def __str__(self) -> str:
        return f"{self.account.name}: {self.text[:40]}"
