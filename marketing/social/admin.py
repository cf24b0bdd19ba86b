"""The content calendar: posts by day and status, each previewed with its platform's
limits, written by hand or generated from the seed's `product-announcement` prompt,
approved before anything is published; and the accounts they go to."""

from __future__ import annotations

import calendar
from datetime import date, datetime, timedelta
from typing import Any

from django import forms
from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect
from django.template.response import TemplateResponse
from django.urls import path
from django.utils import timezone
from django.utils.html import format_html

from benchbarrier import clock
from benchbarrier.dashboard import place
from benchbarrier.services.audit import Actor
from benchbarrier.writers import WriterUnavailable, write
from marketing.social import services
from marketing.social.models import PostStatus, SocialAccount, SocialPost

place("Content", SocialPost)
place("Settings", SocialAccount)
COLOURS = {"draft": "#666", "scheduled": "#417690", "publishing": "#b8860b",
           "published": "#2a7a2a", "failed": "#ba2121"}  # fmt: skip


@admin.register(SocialAccount)
class SocialAccountAdmin(admin.ModelAdmin):
    list_display = ["name", "platform", "external_id", "token_variable", "is_active"]
    list_filter = ["platform", "is_active"]


class SocialPostForm(forms.ModelForm):
    link = forms.URLField(required=False, assume_scheme="https", max_length=1000)
    image_url = forms.URLField(
        required=False, assume_scheme="https", max_length=1000,
        help_text="A public image (Instagram needs one), e.g. an AI image's JPEG.",
    )  # fmt: skip

    class Meta:
        model = SocialPost
        fields = ["account", "text", "link", "image_id", "image_url", "scheduled_for"]
        widgets = {"text": forms.Textarea(attrs={"rows": 8, "cols": 80})}

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        account = data.get("account")
        image_url, problems = services.resolve_image(
            data.get("image_id"), data.get("image_url") or ""
        )
        data["image_url"] = image_url
        if account is not None:
            problems += services.post_problems(account, data.get("text") or "", image_url)
        fields = {"imageUrl": "image_url", "imageId": "image_id"}
        for field, message in problems:
            self.add_error(fields.get(field, field), message)
        return data


class GenerateForm(forms.Form):
    product_name = forms.CharField(max_length=200)
    price = forms.CharField(max_length=50)
    features = forms.CharField(max_length=500, help_text="The main ones, comma-separated.")
    audience = forms.CharField(max_length=200, initial="outdoor enthusiasts")
    tone = forms.CharField(max_length=50, initial="enthusiastic")


@admin.register(SocialPost)
class SocialPostAdmin(admin.ModelAdmin):
    form = SocialPostForm
    list_display = ["scheduled_for", "account", "coloured_status", "short_text", "fits",
                    "published", "engagement_text"]  # fmt: skip
    list_filter = ["status", "account"]
    search_fields = ["text"]
    date_hierarchy = "scheduled_for"
    list_select_related = ["account"]
    actions = ["approve_selected"]
    readonly_fields = ["preview", "status", "approved_by", "approved_at", "published",
                       "error", "engagement_text"]  # fmt: skip
    fieldsets = [
        (None, {"fields": ["account", "text", "link", "image_id", "image_url",
                           "scheduled_for"]}),
        ("As it will look", {"fields": ["preview"]}),
        ("Publishing", {"fields": ["status", "approved_by", "approved_at", "published",
                                   "error", "engagement_text"]}),
    ]  # fmt: skip
    change_list_template = "admin/marketing/socialpost/change_list.html"
    change_form_template = "admin/marketing/socialpost/change_form.html"

    def get_urls(self) -> list:
        view = self.admin_site.admin_view
        return [
            path("calendar/", view(self.calendar_view), name="marketing_socialpost_calendar"),
            path("<int:pk>/generate/", view(self.generate_view),
                 name="marketing_socialpost_generate"),
            *super().get_urls(),
        ]  # fmt: skip

    def has_change_permission(self, request: HttpRequest, obj: SocialPost | None = None) -> bool:
        editable = obj is None or obj.status in (PostStatus.DRAFT, PostStatus.FAILED)
        return editable and super().has_change_permission(request, obj)

    def save_model(self, request: HttpRequest, obj: SocialPost, form: Any, change: bool) -> None:
        if obj.status == PostStatus.FAILED:
            obj.status = PostStatus.DRAFT  # an edited failure waits for approval again
        super().save_model(request, obj, form, change)

    @admin.display(description="status", ordering="status")
    def coloured_status(self, post: SocialPost) -> str:
        colour = COLOURS.get(post.status, "#333")
        return format_html(
            '<strong style="color:{}">{}</strong>', colour, post.get_status_display()
        )

    @admin.display(description="text")
    def short_text(self, post: SocialPost) -> str:
        return post.text if len(post.text) <= 70 else post.text[:69] + "…"

    @admin.display(description="fits")
    def fits(self, post: SocialPost) -> str:
        limits = services.LIMITS[post.account.platform]
        text = f"{services.text_length(post.account, post.text):,} / {limits['text']:,}"
        if "hashtags" in limits:
            text += f", #{services.hashtag_count(post.text)} / {limits['hashtags']}"
        return text

    @admin.display(description="published")
    def published(self, post: SocialPost) -> str:
        if not post.permalink:
            return "—"
        when = post.published_at.strftime("%Y-%m-%d %H:%M")
        return format_html(
            '<a href="{}" rel="noopener" target="_blank">{}</a>', post.permalink, when
        )

    @admin.display(description="engagement")
    def engagement_text(self, post: SocialPost) -> str:
        return ", ".join(f"{v:,} {k}" for k, v in post.engagement.items()) or "—"

    @admin.display(description="preview")
    def preview(self, post: SocialPost) -> str:
        if post.pk is None:
            return "Save to see the preview."
        problems = services.post_problems(post.account, post.text, post.image_url)
        image = format_html('<img src="{}" alt="" style="max-width:100%">', post.image_url) \
            if post.image_url else ""  # fmt: skip
        notes = "; ".join(m for _, m in problems) or f"fits {post.account.get_platform_display()}"
        return format_html(
            '<div style="border:1px solid #ccc;border-radius:8px;padding:10px;max-width:28em">'
            '<strong>{}</strong>{}<p style="white-space:pre-wrap">{}</p>{}</div>'
            '<p style="color:{}">{} ({})</p>',
            post.account, image, post.text,
            format_html('<a href="{}">{}</a>', post.link, post.link) if post.link else "",
            "#ba2121" if problems else "#2a7a2a", notes, self.fits(post),
        )  # fmt: skip

    @admin.action(description="Approve the selected posts (published at their time)")
    def approve_selected(self, request: HttpRequest, queryset: QuerySet[SocialPost]) -> None:
        approved = 0
        for post in queryset.select_related("account"):
            try:
                services.approve(post=post, user=request.user, actor=Actor.from_request(request))
                approved += 1
            except services.PostError as exc:
                self.message_user(request, f"{post}: {exc}", messages.WARNING)
        if approved:
            self.message_user(request, f"{approved} post(s) approved.", messages.SUCCESS)

    def calendar_view(self, request: HttpRequest) -> HttpResponse:
        """A month of posts, day by day, coloured by status (?month=2026-11)."""
        today = timezone.localdate(clock.now())
        try:
            first = datetime.strptime(request.GET.get("month", ""), "%Y-%m").date()
        except ValueError:
            first = today.replace(day=1)
        days = calendar.Calendar().monthdatescalendar(first.year, first.month)
        start = timezone.make_aware(datetime.combine(days[0][0], datetime.min.time()))
        end = start + timedelta(days=7 * len(days))
        posts = SocialPost.objects.filter(scheduled_for__gte=start, scheduled_for__lt=end)
        by_day: dict[date, list[SocialPost]] = {}
        for post in posts.select_related("account").order_by("scheduled_for"):
            by_day.setdefault(timezone.localdate(post.scheduled_for), []).append(post)
        weeks = [[(day, by_day.get(day, []), day.month == first.month) for day in week]
                 for week in days]  # fmt: skip
        context = {
            **self.admin_site.each_context(request),
            "opts": self.model._meta,
            "title": f"Content calendar: {first:%B %Y}",
            "weeks": weeks,
            "today": today,
            "colours": COLOURS,
            "previous": (first - timedelta(days=1)).strftime("%Y-%m"),
            "next": (first + timedelta(days=32)).strftime("%Y-%m"),
        }
        return TemplateResponse(request, "admin/marketing/socialpost/calendar.html", context)

    def generate_view(self, request: HttpRequest, pk: int) -> HttpResponse:
        """Write the post's text with the seed's `product-announcement` prompt."""
        post = get_object_or_404(SocialPost, pk=pk)
        form = GenerateForm(request.POST or None)
        if request.method == "POST" and form.is_valid():
            limit = services.LIMITS[post.account.platform]["text"]
            variables = {**form.cleaned_data, "platform": post.account.get_platform_display(),
                         "max_length": min(limit, 2200)}  # fmt: skip
            try:
                text = write("product-announcement", variables)
            except WriterUnavailable as exc:
                form.add_error(None, f"Not generated: {exc}")
            else:
                post.text = text.strip()
                if post.status == PostStatus.FAILED:
                    post.status = PostStatus.DRAFT
                post.save(update_fields=["text", "status"])
                self.message_user(request, "Text generated: read it, edit it, then approve it.",
                                  messages.SUCCESS)  # fmt: skip
                return redirect("admin:marketing_socialpost_change", post.pk)
        context = {
            **self.admin_site.each_context(request),
            "opts": self.model._meta,
            "title": f"Generate the text of a post to {post.account}",
            "form": form,
            "post": post,
        }
        return TemplateResponse(request, "admin/marketing/socialpost/generate.html", context)
