from __future__ import annotations

from typing import Any

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError, CommandParser

from benchbarrier.demo import load_all
from benchbarrier.models import APIKey, Scope
from benchbarrier.services.api_keys import create_api_key
from benchbarrier.services.audit import Actor

DEMO_KEY_NAME = "Demo site key"


class Command(BaseCommand):
    help = (
        "Create the demo staff user and API key and load each app's demo data. "
        "Idempotent; for development only (refuses when DEBUG is off)."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--username", default="demo")
        parser.add_argument("--password", default="demo")

    def handle(self, *args: Any, username: str, password: str, **options: Any) -> None:
        if not settings.DEBUG:
            raise CommandError(
                "load_demo creates a staff user with a known password; it only runs with DEBUG=1."
            )
        user, created = get_user_model().objects.get_or_create(
            username=username, defaults={"email": f"{username}@example.com"}
        )
        user.is_staff = user.is_superuser = True
        user.set_password(password)
        user.save()
        self.stdout.write(
            self.style.SUCCESS(
                f"{'Created' if created else 'Reset'} demo staff user: "
                f"username {username!r}, password {password!r}"
            )
        )

        if APIKey.objects.filter(name=DEMO_KEY_NAME, revoked=False).exists():
            self.stdout.write(
                f"Demo API key exists (its value was shown when it was made); make a new one "
                f"with `python manage.py apikey create --name site --scopes "
                f"{','.join(Scope.values)}`."
            )
        else:
            issued = create_api_key(
                name=DEMO_KEY_NAME, scopes=list(Scope.values), actor=Actor.system("load_demo")
            )
            self.stdout.write(
                self.style.SUCCESS(f"Created demo API key (all scopes): {issued.secret}")
            )
        self.stdout.write("Loading demo data:")
        loaded = load_all(self.stdout.write)
        if not loaded:
            self.stdout.write("  (no app has demo data yet)")
