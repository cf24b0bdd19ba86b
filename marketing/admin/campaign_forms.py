"""The campaign builder's forms: a broadcast's schedule and A/B test as fields a marketer
fills in (each problem the service finds shown on its field), the test send's addresses,
and a sequence's steps checked step by step."""

from __future__ import annotations

import re
from typing import Any

from django import forms
from django.core.exceptions import ValidationError
from django.core.validators import validate_email

from marketing.admin.audience import PrettyJSONField
from marketing.campaigns import sequences, services
from marketing.campaigns.models import Campaign, CampaignKind, Fallback, Sequence, WinnerMetric
from marketing.models import EmailTemplate, Segment

# Where each of the service's field names shows in the builder.
FORM_FIELDS = {
    "segmentId": "segment",
    "template": "template",
    "throttlePerSecond": "throttle_per_second",
    "scheduleConfig.localTime": "local_time",
    "abTest.variants": "variant_subjects",
    "abTest.testShare": "test_share",
    "abTest.metric": "test_metric",
    "abTest.waitHours": "wait_hours",
    "abTest.fallback": "fallback",
    "type": "type",
    "text": "text",
    "subject": "subject",
    "socialAccount": "social_account",
}


class CampaignForm(forms.ModelForm):
    """The builder: the campaign's columns, with its schedule and A/B test as fields a
    marketer fills in rather than JSON."""

    variables = PrettyJSONField(
        required=False,
        initial=dict,
        widget=forms.Textarea(attrs={"rows": 4, "cols": 60, "style": "font-family:monospace"}),
        help_text="Values the template asks for beyond the customer, as JSON: "
        '{"season": "spring"}.',
    )
    link = forms.URLField(
        required=False,
        assume_scheme="https",
        max_length=1000,
        help_text="A push campaign's link: where a click on the notification leads.",
    )
    local_time = forms.CharField(
        required=False,
        max_length=5,
        label="At local time",
        help_text='Send at this time of day in each customer\'s time zone, e.g. "10:00". '
        "Empty: everyone as soon as the campaign is sent.",
    )
    variant_subjects = forms.CharField(
        required=False,
        label="A/B test: variants",
        widget=forms.Textarea(attrs={"rows": 4, "cols": 60}),
        help_text="One variant per line, 2 to 4 lines (A is the control, then B, C, D): its "
        'subject; add "@ 18:00" to try a send time (in each customer\'s time zone), '
        '"[template-slug]" to try another template. Empty: no test.',
    )
    test_share = forms.FloatField(
        required=False,
        initial=0.2,
        label="Test share",
        help_text="Share of the audience the variants go to (0.2 = 20%); the rest get the winner.",
    )
    test_metric = forms.ChoiceField(
        choices=WinnerMetric.choices,
        initial=WinnerMetric.CLICK_RATE,
        required=False,
        label="Winner by",
    )
    wait_hours = forms.FloatField(
        required=False,
        label="Decide after (hours)",
        help_text="At least 1 h for clicks, 2 h for opens, 12 h for revenue; empty: that minimum.",
    )
    fallback = forms.ChoiceField(
        choices=Fallback.choices,
        initial=Fallback.LEADER,
        required=False,
        label="When no variant clearly wins",
    )

    class Meta:
        model = Campaign
        fields = ["name", "type", "segment", "social_account", "template", "subject", "text",
                  "link", "variables", "throttle_per_second"]  # fmt: skip

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        campaign = self.instance
        if "template" in self.fields:  # (a started campaign's form is read-only)
            self.fields["template"].queryset = EmailTemplate.objects.order_by("name")
            self.fields["segment"].queryset = Segment.objects.order_by("name")
        self.fields["local_time"].initial = (campaign.schedule_config or {}).get("localTime")
        test = campaign.ab_test or {}
        if test.get("variants"):
            self.fields["variant_subjects"].initial = "\n".join(
                variant_line(variant) for variant in test["variants"]
            )
            for field, key in [("test_share", "testShare"), ("test_metric", "metric"),
                               ("wait_hours", "waitHours"), ("fallback", "fallback")]:  # fmt: skip
                if key in test:
                    self.fields[field].initial = test[key]

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        candidate = Campaign(
            pk=self.instance.pk,
            kind=CampaignKind.BROADCAST,
            **{name: data.get(name) for name in ["name", "type", "segment", "template",
                                                 "subject", "throttle_per_second"]},
            text=data.get("text") or "",
            link=data.get("link") or "",
            social_account=data.get("social_account"),
        )  # fmt: skip
        candidate.schedule_config = self._schedule(data)
        candidate.ab_test = self._test(data)
        try:
            services.validate(candidate)
        except services.CampaignError as exc:
            for field, message in exc.errors:
                where = FORM_FIELDS.get(field.split("[")[0])
                if field.startswith("abTest.variants"):
                    where = "variant_subjects"
                self.add_error(where if where in self.fields else None, message)
        data["schedule_config"], data["ab_test"] = candidate.schedule_config, candidate.ab_test
        return data

    def _schedule(self, data: dict[str, Any]) -> dict[str, Any]:
        schedule = {k: v for k, v in (self.instance.schedule_config or {}).items()
                    if k != "localTime"}  # fmt: skip
        if data.get("local_time"):
            schedule["localTime"] = data["local_time"].strip()
        return schedule

    def _test(self, data: dict[str, Any]) -> dict[str, Any]:
        lines = [line.strip() for line in (data.get("variant_subjects") or "").splitlines()]
        variants = [parse_variant(line) for line in lines if line]
        if not variants:
            return {}
        test: dict[str, Any] = {
            "variants": variants,
            "testShare": data.get("test_share") or 0.2,
            "metric": data.get("test_metric") or WinnerMetric.CLICK_RATE,
            "fallback": data.get("fallback") or Fallback.LEADER,
        }
        if data.get("wait_hours"):
            test["waitHours"] = data["wait_hours"]
        return test


_VARIANT = re.compile(
    r"^(?P<subject>.*?)\s*(?:@\s*(?P<time>\S+?))?\s*(?:\[(?P<template>[^\]]+)\])?$"
)


def parse_variant(line: str) -> dict[str, str]:
    """`Subject @ 18:00 [template-slug]`, each part optional, as an A/B variant."""
    found = _VARIANT.match(line.strip())
    parts = {"subject": found["subject"], "localTime": found["time"],
             "template": found["template"]}  # fmt: skip
    return {key: value.strip() for key, value in parts.items() if value and value.strip()}


def variant_line(variant: dict[str, Any]) -> str:
    """A variant written as the builder reads it."""
    line = variant.get("subject", "")
    if variant.get("localTime"):
        line += f" @ {variant['localTime']}"
    if variant.get("template"):
        line += f" [{variant['template']}]"
    return line.strip()


class TestSendForm(forms.Form):
    emails = forms.CharField(help_text="Addresses, separated by commas or spaces.")

    def clean_emails(self) -> list[str]:
        emails = self.cleaned_data["emails"].replace(",", " ").split()
        bad = []
        for email in emails:
            try:
                validate_email(email)
            except ValidationError:
                bad.append(email)
        if bad:
            raise ValidationError(f"Not an email address: {', '.join(bad)}")
        if not 1 <= len(emails) <= 20:
            raise ValidationError("Between 1 and 20 addresses.")
        return emails


class SequenceForm(forms.ModelForm):
    steps = PrettyJSONField(
        widget=forms.Textarea(attrs={"rows": 18, "cols": 90, "style": "font-family:monospace"}),
        help_text='The steps, as the seed writes them: [{"delay": 0, "subject": "...", '
        '"template": "welcome-email"}, ...]. A delay counts whole days from the start of the '
        'sequence. To A/B test a step give it "variants": [{"subject": ...}, {"subject": '
        '...}] (and "metric", "fallback"). Runs under way keep the steps they started with.',
    )

    class Meta:
        model = Sequence
        fields = ["name"]

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["steps"].initial = (self.instance.schedule_config or {}).get("steps", [])

    def clean_steps(self) -> Any:
        steps = self.cleaned_data["steps"]
        errors = sequences.step_errors(steps)
        if errors:
            raise ValidationError([f"{where}: {message}" for where, message in errors])
        return steps
