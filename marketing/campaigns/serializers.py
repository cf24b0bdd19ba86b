from __future__ import annotations

from typing import Any

from rest_framework import serializers

from benchbarrier.api import serializers as base
from marketing.campaigns.models import Campaign, CampaignSend
from marketing.campaigns.services import progress
from marketing.models import EmailTemplate, Segment, SocialAccount


class ProgressSerializer(serializers.Serializer):
    total = serializers.IntegerField()
    done = serializers.IntegerField()
    sent = serializers.IntegerField()
    skipped = serializers.IntegerField()
    held = serializers.IntegerField(help_text="Held back for an A/B test's winner.")
    share = serializers.FloatField()
    rate = serializers.FloatField(allow_null=True, help_text="Messages a second so far.")
    eta_seconds = serializers.FloatField(allow_null=True)


class CampaignSerializer(base.ModelSerializer):
    segment_id = serializers.PrimaryKeyRelatedField(
        source="segment",
        queryset=Segment.objects.all(),
        required=False,
        allow_null=True,
        help_text="Who receives a broadcast.",
    )
    template = serializers.SlugRelatedField(
        slug_field="slug",
        queryset=EmailTemplate.objects.all(),
        required=False,
        allow_null=True,
        help_text="The email template's slug.",
    )
    social_account = serializers.SlugRelatedField(
        slug_field="name",
        queryset=SocialAccount.objects.all(),
        required=False,
        allow_null=True,
        help_text="A social campaign's account (its name).",
    )
    progress = serializers.SerializerMethodField()

    class Meta:
        model = Campaign
        fields = [
            "id",
            "name",
            "key",
            "type",
            "kind",
            "segment_id",
            "template",
            "subject",
            "text",
            "link",
            "social_account",
            "variables",
            "schedule_config",
            "throttle_per_second",
            "ab_test",
            "is_active",
            "status",
            "metrics",
            "decision",
            "progress",
            "launched_at",
            "finished_at",
            "created_at",
            "updated_at",
        ]
        read_only_fields = [
            "id",
            "key",
            "kind",
            "status",
            "metrics",
            "decision",
            "progress",
            "launched_at",
            "finished_at",
            "created_at",
            "updated_at",
        ]

    def get_progress(self, campaign: Campaign) -> dict[str, Any] | None:
        if campaign.launched_at is None:
            return None
        now = progress(campaign)
        return ProgressSerializer({**now.__dict__, "share": now.share}).data


class LaunchSerializer(base.Serializer):
    send_at = serializers.DateTimeField(
        required=False, allow_null=True, help_text="Later: this time. Empty: now."
    )


class TestSendSerializer(base.Serializer):
    emails = serializers.ListField(child=serializers.EmailField(), min_length=1, max_length=20)


class CampaignSendSerializer(serializers.ModelSerializer):
    external_id = serializers.CharField(source="customer.external_id", read_only=True)
    email = serializers.CharField(source="customer.email", read_only=True)

    class Meta:
        model = CampaignSend
        fields = [
            "id",
            "external_id",
            "email",
            "step",
            "variant",
            "status",
            "due_at",
            "sent_at",
            "opened_at",
            "clicked_at",
            "converted_at",
            "revenue",
            "delivery",
            "metadata",
        ]
        read_only_fields = fields


class SequenceSerializer(serializers.ModelSerializer):
    steps = serializers.JSONField(source="schedule_config.steps", read_only=True)
    trigger = serializers.JSONField(source="schedule_config.trigger", read_only=True)
    workflow_id = serializers.IntegerField(read_only=True)

    class Meta:
        model = Campaign
        fields = [
            "id",
            "key",
            "name",
            "type",
            "status",
            "steps",
            "trigger",
            "workflow_id",
            "metrics",
            "decision",
        ]
        read_only_fields = fields


class SequenceMemberSerializer(base.Serializer):
    user_id = serializers.CharField(max_length=255, help_text="The site's user id.")


class SequenceStepsSerializer(base.Serializer):
    steps = serializers.JSONField(
        help_text='[{"delay": 0, "subject": "...", "template": "<slug>"}, ...]: delay in '
        "days from the start; optional variants (2 to 4 of subject and/or template), "
        "metric and fallback for an A/B test."
    )
