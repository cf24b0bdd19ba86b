"""`manage.py chatbot_evaluate TRAIN.csv TEST.csv [--holdout-intents N]`: train the
classifier on one file and score it on the other, the stored intents untouched. Prints
accuracy (the best intent against the label), accuracy counting fallbacks as misses,
macro-F1, the 10 most confused pairs, the time per message (p50, p95; one message at a
time, as the bot reads them), and with --holdout-intents N the share of messages of N
intents left out of training that fall back (out-of-scope recall). The last line is
`accuracy=0.XXXX ms_per_message=X.XXX` (the mean)."""

from __future__ import annotations

import random
import statistics
import time
from collections import Counter
from typing import Any

from django.core.management.base import BaseCommand, CommandError
from sklearn.metrics import f1_score

from chatbot import classifier
from chatbot.training_data import TrainingDataError, read_csv


class Command(BaseCommand):
    help = "Train on one CSV, score on another; prints accuracy and speed."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("train")
        parser.add_argument("test")
        parser.add_argument(
            "--holdout-intents", type=int, default=0, metavar="N",
            help="leave N intents out of training to measure the fallback",
        )  # fmt: skip
        parser.add_argument("--seed", type=int, default=7, help="which intents are held out")

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            train, test = read_csv(options["train"]), read_csv(options["test"])
        except TrainingDataError as exc:
            raise CommandError(str(exc)) from None
        held: set[str] = set()
        if options["holdout_intents"]:
            intents = sorted({label for _, label in train})
            chooser = random.Random(options["seed"])  # noqa: S311 (a sample, not a secret)
            held = set(chooser.sample(intents, options["holdout_intents"]))
        kept = [(t, label) for t, label in train if label not in held]
        started = time.perf_counter()
        try:
            model = classifier.compiled(
                classifier.fit([t for t, _ in kept], [label for _, label in kept])
            )
        except ValueError as exc:
            raise CommandError(str(exc)) from None
        self.stdout.write(f"trained on {len(kept):,} phrases of "
                          f"{len({label for _, label in kept})} intents in "
                          f"{time.perf_counter() - started:.1f} s")  # fmt: skip
        scored, timings, outside = [], [], []
        for text, label in test:
            began = time.perf_counter()
            reading = classifier.read(model, text)
            timings.append((time.perf_counter() - began) * 1000)
            (outside if label in held else scored).append((label, reading))
        self._report(scored, outside, timings)

    def _report(self, scored: list, outside: list, timings: list[float]) -> None:
        if not scored:
            raise CommandError("no test message of an intent the model learnt")
        truth = [label for label, _ in scored]
        best = [reading.best for _, reading in scored]
        accuracy = sum(t == b for t, b in zip(truth, best, strict=True)) / len(scored)
        answered = sum(t == r.intent for t, r in scored) / len(scored)
        write = self.stdout.write
        write(f"test messages: {len(scored) + len(outside):,}")
        write(f"accuracy (best intent): {accuracy:.4f}")
        write(f"accuracy with fallbacks as misses: {answered:.4f}")
        write(f"macro-F1: {f1_score(truth, best, average='macro'):.4f}")
        confused = Counter((t, b) for t, b in zip(truth, best, strict=True) if t != b)
        write("most confused (label -> read as: times):")
        for (label, read_as), times in confused.most_common(10):
            write(f"  {label} -> {read_as}: {times}")
        quantiles = statistics.quantiles(timings, n=20) if len(timings) > 1 else timings * 19
        write(f"ms per message: p50 {statistics.median(timings):.3f}, p95 {quantiles[18]:.3f}")
        if outside:
            recall = sum(r.intent == classifier.FALLBACK for _, r in outside) / len(outside)
            write(f"out-of-scope recall ({len(outside)} messages of held-out intents): "
                  f"{recall:.4f}")  # fmt: skip
        write(f"accuracy={accuracy:.4f} ms_per_message={statistics.fmean(timings):.3f}")
