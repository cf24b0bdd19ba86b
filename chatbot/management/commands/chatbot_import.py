"""`manage.py chatbot_import FILE.csv`: training phrases into the intents (created as
needed), in bulk; a repeated phrase is kept once."""

from __future__ import annotations

from collections import defaultdict
from typing import Any

from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from chatbot.models import BotIntent
from chatbot.services import retrain
from chatbot.training_data import TrainingDataError, read_csv


class Command(BaseCommand):
    help = "Load intents and training phrases from a CSV (columns text, intent|label|category)."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("file")

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            rows = read_csv(options["file"])
        except TrainingDataError as exc:
            raise CommandError(str(exc)) from None
        by_intent: dict[str, list[str]] = defaultdict(list)
        for text, intent in rows:
            by_intent[intent].append(text)
        added = created = 0
        with transaction.atomic():
            existing = {i.name: i for i in BotIntent.objects.filter(name__in=by_intent)}
            for number, (name, phrases) in enumerate(sorted(by_intent.items()), start=1):
                intent = existing.get(name) or BotIntent(name=name)
                created += intent._state.adding
                known = set(intent.training_phrases)
                fresh = [p for p in dict.fromkeys(phrases) if p not in known]
                intent.training_phrases = [*intent.training_phrases, *fresh]
                added += len(fresh)
                intent.save()  # (one training for the whole file, below)
                if number % 10 == 0 or number == len(by_intent):
                    self.stdout.write(f"\r  {number}/{len(by_intent)} intents", ending="")
        retrain()
        self.stdout.write("")
        self.stdout.write(self.style.SUCCESS(
            f"{len(rows):,} rows: {added:,} new phrases in {len(by_intent)} intents "
            f"({created} created); the classifier is being trained again."))  # fmt: skip
