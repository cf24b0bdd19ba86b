from __future__ import annotations

from django import forms
from django.contrib import admin, messages
from django.db.models import IntegerField, QuerySet, Value
from django.http import HttpRequest
from django.utils.html import format_html
from rest_framework_api_key.models import APIKey as LibraryAPIKey

from benchbarrier import clock
from benchbarrier.alert_rules import rotation_due_days
from benchbarrier.dashboard import place
from benchbarrier.models import APIKey, Scope
from benchbarrier.services import api_keys as service
from benchbarrier.services.audit import Actor

admin.site.unregister(LibraryAPIKey)


class APIKeyForm(forms.ModelForm):
    scopes = forms.MultipleChoiceField(
        choices=Scope.choices,
        widget=forms.CheckboxSelectMultiple,
        help_text="The API areas this key may call. Give the site only what it needs.",
    )

    class Meta:
        model = APIKey
        fields = ["name", "scopes", "expiry_date", "throttle_rate"]


class ExpiryFilter(admin.SimpleListFilter):
    title = "state"
    parameter_name = "state"

    def lookups(self, request: HttpRequest, model_admin: admin.ModelAdmin) -> list:
        return [("active", "Active"), ("expired", "Expired"), ("revoked", "Revoked")]

    def queryset(self, request: HttpRequest, queryset: QuerySet) -> QuerySet:
        now = clock.now()
        if self.value() == "active":
            return queryset.filter(revoked=False).exclude(expiry_date__lte=now)
        if self.value() == "expired":
            return queryset.filter(revoked=False, expiry_date__lte=now)
        if self.value() == "revoked":
            return queryset.filter(revoked=True)
        return queryset


@admin.register(APIKey)
class APIKeyAdmin(admin.ModelAdmin):
    form = APIKeyForm
    list_display = [
        "name",
        "prefix",
        "scope_list",
        "state",
        "expiry_date",
        "last_used_at",
        "created",
        "age",
    ]
    list_filter = [ExpiryFilter, "created"]
    search_fields = ["name", "prefix"]
    readonly_fields = ["prefix", "created", "created_by", "last_used_at", "rotated_from"]
    actions = ["rotate_keys", "revoke_keys"]

    def get_readonly_fields(self, request: HttpRequest, obj: APIKey | None = None) -> list:
        if obj is not None and obj.revoked:
            return [*self.readonly_fields, "name", "scopes", "expiry_date", "throttle_rate"]
        return self.readonly_fields

    def get_fields(self, request: HttpRequest, obj: APIKey | None = None) -> list:
        fields = ["name", "scopes", "expiry_date", "throttle_rate"]
        if obj is None:
            return fields
        return ["prefix", *fields, "created", "created_by", "last_used_at", "rotated_from"]

    @admin.display(description="age", ordering="created")
    def age(self, obj: APIKey) -> str:
        """Days since it was made; flagged when the rotation rule says it is due."""
        days = (clock.now() - obj.created).days
        due = getattr(obj, "rotation_days", None)
        if due is not None and not obj.revoked and days >= due:
            return format_html('<strong style="color:#b36b00">{} days: rotate it</strong>', days)
        return f"{days} days"

    def get_queryset(self, request: HttpRequest) -> QuerySet[APIKey]:
        """Each key with the rotation rule's age (one query for the whole list)."""
        days = rotation_due_days("api-key-rotation")
        return (
            super()
            .get_queryset(request)
            .annotate(rotation_days=Value(days, output_field=IntegerField()))
        )

    @admin.display(description="scopes")
    def scope_list(self, obj: APIKey) -> str:
        return ", ".join(obj.scopes)

    @admin.display(description="state")
    def state(self, obj: APIKey) -> str:
        if obj.revoked:
            return format_html('<span style="color:#ba2121">{}</span>', "revoked")
        if obj.has_expired:
            return format_html('<span style="color:#999">{}</span>', "expired")
        return format_html('<span style="color:#2a7a2a">{}</span>', "active")

    def save_model(
        self, request: HttpRequest, obj: APIKey, form: forms.ModelForm, change: bool
    ) -> None:
        if change:
            super().save_model(request, obj, form, change)
            return
        issued = service.create_api_key(
            name=obj.name,
            scopes=obj.scopes,
            expires_at=obj.expiry_date,
            throttle_rate=obj.throttle_rate,
            actor=Actor.from_request(request),
            request=request,
        )
        obj.pk = issued.api_key.pk
        obj.prefix = issued.api_key.prefix
        obj.created = issued.api_key.created
        self._show_secret(request, issued, "Created")

    def has_delete_permission(self, request: HttpRequest, obj: APIKey | None = None) -> bool:
        return False

    @admin.action(description="Rotate selected keys (old key keeps working for the grace)")
    def rotate_keys(self, request: HttpRequest, queryset: QuerySet) -> None:
        for api_key in queryset:
            try:
                issued = service.rotate_api_key(
                    api_key=api_key, actor=Actor.from_request(request), request=request
                )
            except service.APIKeyError as exc:
                self.message_user(request, str(exc), messages.ERROR)
                continue
            self._show_secret(request, issued, "Rotated")

    @admin.action(description="Revoke selected keys (cannot be undone)")
    def revoke_keys(self, request: HttpRequest, queryset: QuerySet) -> None:
        for api_key in queryset:
            service.revoke_api_key(
                api_key=api_key, actor=Actor.from_request(request), request=request
            )
        self.message_user(request, f"Revoked {queryset.count()} key(s).", messages.SUCCESS)

    def _show_secret(self, request: HttpRequest, issued: service.IssuedKey, verb: str) -> None:
        self.message_user(
            request,
            format_html(
                "{} key “{}”. Its full value is <code>{}</code>: copy it now, it will not be "
                "shown again.",
                verb,
                issued.api_key.name,
                issued.secret,
            ),
            messages.WARNING,
        )


place("Settings", APIKey)
