"""Which intent a message means, and how sure: word (1-2) and character (2-5, within
words) TF-IDF n-grams into a multinomial logistic regression (scikit-learn), whose
probabilities are the confidence. A message is out of scope (the fallback) when the best
intent's probability is under CHATBOT_MIN_CONFIDENCE or within CHATBOT_MIN_MARGIN of the
second's; both are settings, tuned with `manage.py chatbot_evaluate`.

The model is trained from the intents' phrases by the `chatbot.train` job (queued when
an intent changes: `chatbot.services`), stored versioned in the database, and loaded once
per process; a new install trains its first on first use.
"""

from __future__ import annotations

import hashlib
import io
import json
import threading
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.db import transaction

from benchbarrier import clock
from chatbot.models import BotIntent, IntentModel

if TYPE_CHECKING:
    from sklearn.pipeline import Pipeline

    from chatbot.reader import Reader

# scikit-learn and joblib are imported where a model is fitted or loaded, not with this
# module: every process imports it (the admin, the job registry), few ever read a message.

FALLBACK = "fallback"
WORD = r"(?u)\b\w+\b"  # single letters count ("a", "i") as words


@dataclass(frozen=True)
class Reading:
    intent: str  # FALLBACK when out of scope
    confidence: float  # of the best intent
    best: str  # the best intent, even when out of scope
    runner_up: str
    margin: float


def pipeline() -> Pipeline:
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import FeatureUnion, Pipeline

    words = TfidfVectorizer(ngram_range=(1, 2), sublinear_tf=True, lowercase=True,
                            token_pattern=WORD)  # fmt: skip
    chars = TfidfVectorizer(analyzer="char_wb", ngram_range=(2, 5), sublinear_tf=True,
                            lowercase=True, min_df=1)  # fmt: skip
    return Pipeline([
        ("features", FeatureUnion([("words", words), ("chars", chars)])),
        ("model", LogisticRegression(C=20.0, max_iter=2000)),
    ])  # fmt: skip


def fit(texts: list[str], labels: list[str]) -> Pipeline:
    if len(set(labels)) < 2:
        raise ValueError("at least two intents with phrases are needed to train")
    return pipeline().fit(texts, labels)


def compiled(model: Pipeline) -> Reader:
    """The fitted pipeline as a fast reader of one message at a time (chatbot.reader)."""
    from chatbot.reader import Reader

    return Reader(model)


def read(model: Reader, text: str) -> Reading:
    probabilities = model.proba(text)
    order = probabilities.argsort()[::-1]
    classes = model.classes_
    best, second = float(probabilities[order[0]]), float(probabilities[order[1]])
    out = best < settings.CHATBOT_MIN_CONFIDENCE or best - second < settings.CHATBOT_MIN_MARGIN
    top, runner_up = str(classes[order[0]]), str(classes[order[1]])
    return Reading(FALLBACK if out else top, round(best, 4), top, runner_up,
                   round(best - second, 4))  # fmt: skip


def examples() -> tuple[list[str], list[str]]:
    texts, labels = [], []
    for intent in BotIntent.objects.order_by("name"):
        for phrase in intent.training_phrases:
            if isinstance(phrase, str) and phrase.strip():
                texts.append(phrase.strip())
                labels.append(intent.name)
    return texts, labels


def fingerprint(texts: list[str], labels: list[str]) -> str:
    return hashlib.sha256(json.dumps([texts, labels]).encode()).hexdigest()


def train() -> IntentModel:
    """A new version from the intents as they are now (the same phrases: the one there)."""
    texts, labels = examples()
    mark = fingerprint(texts, labels)
    newest = IntentModel.objects.first()
    if newest is not None and newest.fingerprint == mark:
        return newest
    model = fit(texts, labels)
    import joblib

    buffer = io.BytesIO()
    joblib.dump(model, buffer)
    with transaction.atomic():
        version = (newest.version if newest else 0) + 1
        return IntentModel.objects.create(
            version=version, intents=sorted(set(labels)), phrases=len(texts), fingerprint=mark,
            blob=buffer.getvalue(), trained_at=clock.now(),
        )  # fmt: skip


_loaded: dict[str, Any] = {}
_lock = threading.Lock()


def current() -> Reader | None:
    """The newest trained model, loaded once per process (and again after a new version);
    the first is trained on first use (the shipped intents of a new install)."""
    newest = IntentModel.objects.values_list("version", "fingerprint").first()
    if newest is None:
        try:
            made = train()
        except ValueError:  # fewer than two intents with phrases: nothing to read by
            return None
        newest = (made.version, made.fingerprint)
    with _lock:
        if _loaded.get("key") != newest:  # the fingerprint too: a database made anew
            # Our own blob, written by `train` into our own database (never user input).
            import joblib

            blob = IntentModel.objects.get(version=newest[0]).blob
            _loaded.update(key=newest, model=compiled(joblib.load(io.BytesIO(bytes(blob)))))
        return _loaded["model"]


def classify(text: str) -> Reading | None:
    """The intent of `text` by the current model (None before any model is trained)."""
    model = current()
    return read(model, text) if model is not None else None
