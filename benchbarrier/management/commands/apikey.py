from __future__ import annotations

from datetime import datetime
from typing import Any

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError, CommandParser

from benchbarrier import clock
from benchbarrier.durations import parse_duration
from benchbarrier.models import APIKey, Scope
from benchbarrier.services import api_keys as service
from benchbarrier.services.audit import Actor

ACTOR = Actor.system("manage.py apikey")


class Command(BaseCommand):
    help = "Create, list, rotate and revoke the API keys the shop's site uses."

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="verb", required=True, parser_class=CommandParser)
        create = sub.add_parser("create", help="Create a key and print it (shown once).")
        create.add_argument("--name", required=True)
        create.add_argument(
            "--scopes",
            required=True,
            help=f"Comma-separated, from: {', '.join(Scope.values)}",
        )
        create.add_argument("--expires-in", help='Lifetime such as "90d"; default: never.')
        create.add_argument("--rate", default="", help='Own throttle, like "600/min".')
        sub.add_parser("list", help="List keys (never their secrets).")
        rotate = sub.add_parser("rotate", help="Issue a replacement; the old key lingers.")
        rotate.add_argument("prefix")
        rotate.add_argument("--grace", help='How long the old key keeps working, e.g. "2h".')
        revoke = sub.add_parser("revoke", help="Revoke a key now (cannot be undone).")
        revoke.add_argument("prefix")

    def handle(self, *args: Any, verb: str, **options: Any) -> None:
        getattr(self, f"_{verb}")(**options)

    def _create(self, name: str, scopes: str, expires_in: str | None, rate: str, **_: Any) -> None:
        expires_at = clock.now() + self._duration(expires_in) if expires_in else None
        try:
            issued = service.create_api_key(
                name=name,
                scopes=[s.strip() for s in scopes.split(",") if s.strip()],
                expires_at=expires_at,
                throttle_rate=rate,
                actor=ACTOR,
            )
        except ValidationError as exc:
            raise CommandError(self._messages(exc)) from None
        self._print_issued(issued, "Created")

    def _list(self, **_: Any) -> None:
        keys = APIKey.objects.order_by("-created")
        if not keys:
            self.stdout.write("No API keys yet.")
        for key in keys:
            state = "revoked" if key.revoked else "expired" if key.has_expired else "active"
            self.stdout.write(
                f"{key.prefix}  {state:8}  {key.name:30}  {','.join(key.scopes):40}  "
                f"expires {self._when(key.expiry_date)}  last used {self._when(key.last_used_at)}"
            )

    def _rotate(self, prefix: str, grace: str | None, **_: Any) -> None:
        try:
            issued = service.rotate_api_key(
                api_key=self._key(prefix),
                grace=self._duration(grace) if grace else None,
                actor=ACTOR,
            )
        except service.APIKeyError as exc:
            raise CommandError(str(exc)) from None
        self._print_issued(issued, "Rotated")
        old = issued.api_key.rotated_from
        self.stdout.write(f"The old key {old.prefix} keeps working until {old.expiry_date}.")

    def _revoke(self, prefix: str, **_: Any) -> None:
        api_key = service.revoke_api_key(api_key=self._key(prefix), actor=ACTOR)
        self.stdout.write(self.style.SUCCESS(f"Revoked {api_key.label}."))

    def _key(self, prefix: str) -> APIKey:
        try:
            return APIKey.objects.get(prefix=prefix.split(".")[0])
        except APIKey.DoesNotExist:
            raise CommandError(
                f"No API key with prefix {prefix!r}; `apikey list` shows them."
            ) from None

    def _duration(self, text: str) -> Any:
        try:
            return parse_duration(text)
        except ValueError as exc:
            raise CommandError(str(exc)) from None

    def _print_issued(self, issued: service.IssuedKey, verb: str) -> None:
        key = issued.api_key
        self.stdout.write(
            self.style.SUCCESS(f"{verb} key {key.label} with scopes {', '.join(key.scopes)}.")
        )
        self.stdout.write("Store it now; it cannot be shown again:")
        self.stdout.write(issued.secret)

    @staticmethod
    def _when(value: datetime | None) -> str:
        return value.isoformat(timespec="minutes") if value else "never"

    @staticmethod
    def _messages(exc: ValidationError) -> str:
        if hasattr(exc, "message_dict"):
            return "; ".join(f"{k}: {' '.join(v)}" for k, v in exc.message_dict.items())
        return " ".join(exc.messages)
