"""The bot's classifier: accuracy and time per message against a plain baseline.

    .venv/bin/python -m bench.chatbot [--variants 6] [--train FILE.csv --test FILE.csv]

Without files it generates its data set from the intents the project ships (the seed's
three and the shop's): it trains on their phrases and tests on messages written the way
customers write them (a greeting or filler before, "please" or "?" after, a typo in one
word, odd casing), none of them a training phrase; and it checks that messages no
intent covers fall back. With --train/--test it reads any CSV `chatbot_evaluate` reads
(a header, `text` and `intent`/`label`/`category`), e.g. a public 77-intent benchmark.

For the project's model (word 1-2 + character 2-5 TF-IDF, logistic regression) and a
baseline measured in the same run (word unigram TF-IDF, logistic regression with default
settings) it prints accuracy, accuracy with fallbacks as misses, and ms per message p50
and p95 (one message at a time, as the bot reads them), then the ratios. No database.
"""

from __future__ import annotations

import argparse
import os
import random
import statistics
import time
from collections.abc import Callable

FILLERS_BEFORE = ["", "", "hi, ", "hey ", "quick question: ", "hello, ", "um ", "excuse me, "]
FILLERS_AFTER = ["", "", "?", " please", " thanks", "!!", " asap", " pls"]
OUT_OF_SCOPE = [
    "what is the capital of france", "write me a poem about the sea", "who won the game",
    "how do I cook pasta", "tell me a joke", "what's the weather tomorrow", "solve 12 times 7",
    "recommend a good movie", "how tall is mount everest", "translate house into german",
    "is pluto a planet", "what's your favourite colour", "how old is the universe",
    "can you do my homework", "what time is it in tokyo", "play some music",
]  # fmt: skip


def typo(word: str, chooser: random.Random) -> str:
    if len(word) < 4:
        return word
    i = chooser.randrange(1, len(word) - 1)
    kind = chooser.choice(["swap", "drop", "double"])
    if kind == "swap":
        return word[:i] + word[i + 1] + word[i] + word[i + 2 :]
    if kind == "drop":
        return word[:i] + word[i + 1 :]
    return word[:i] + word[i] + word[i:]


def variant(phrase: str, chooser: random.Random) -> str:
    words = phrase.split()
    at = chooser.randrange(len(words))
    words[at] = typo(words[at], chooser)
    text = chooser.choice(FILLERS_BEFORE) + " ".join(words) + chooser.choice(FILLERS_AFTER)
    return text.upper() if chooser.random() < 0.1 else text


def generated(variants: int, seed: int) -> tuple[list[tuple[str, str]], list[tuple[str, str]]]:
    from chatbot.intents import SEED_INTENTS, SHOP_INTENTS

    chooser = random.Random(seed)  # noqa: S311 (a sample, not a secret)
    train = [(p, i["name"]) for i in SEED_INTENTS + SHOP_INTENTS for p in i["trainingPhrases"]]
    known = {text.casefold() for text, _ in train}
    test = []
    for phrase, intent in train:
        for _ in range(variants):
            text = variant(phrase, chooser)
            if text.casefold() not in known:
                test.append((text, intent))
    return train, test


def baseline():
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import Pipeline

    return Pipeline([("words", TfidfVectorizer()), ("model", LogisticRegression(max_iter=1000))])


def measure(name: str, fit: Callable, train: list, test: list, outside: list) -> dict:
    from chatbot import classifier

    started = time.perf_counter()
    model = fit([t for t, _ in train], [label for _, label in train])
    trained = time.perf_counter() - started
    model = classifier.compiled(model)  # a pipeline of another shape: predict_proba
    timings, best, answered = [], 0, 0
    for text, label in test:
        began = time.perf_counter()
        reading = classifier.read(model, text)
        timings.append((time.perf_counter() - began) * 1000)
        best += reading.best == label
        answered += reading.intent == label
    fell_back = sum(classifier.read(model, t).intent == classifier.FALLBACK for t in outside)
    quantiles = statistics.quantiles(timings, n=20)
    figures = {"accuracy": best / len(test), "answered": answered / len(test),
               "p50": statistics.median(timings), "p95": quantiles[18],
               "fallback": fell_back / len(outside) if outside else None}  # fmt: skip
    scope = f"   out of scope falling back {figures['fallback']:.2f}" if outside else ""
    print(f"{name:9} accuracy {figures['accuracy']:.4f}   with fallbacks as misses "
          f"{figures['answered']:.4f}   ms/message p50 {figures['p50']:.3f} p95 "
          f"{figures['p95']:.3f}   trained in {trained:.1f} s{scope}")  # fmt: skip
    return figures


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--variants", type=int, default=6, help="test messages per phrase")
    parser.add_argument("--seed", type=int, default=11)
    parser.add_argument("--train", help="a training CSV instead of the shipped intents")
    parser.add_argument("--test", help="its test CSV")
    args = parser.parse_args()
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "benchbarrier.settings")
    import django

    django.setup()
    from chatbot import classifier
    from chatbot.training_data import read_csv

    if args.train and args.test:
        train, test, outside = read_csv(args.train), read_csv(args.test), []
        source = f"{args.train} / {args.test}"
    else:
        train, test = generated(args.variants, args.seed)
        outside, source = OUT_OF_SCOPE, "generated from the shipped intents"
    intents = len({label for _, label in train})
    print(
        f"data: {source}: {len(train):,} training phrases of {intents} intents, "
        f"{len(test):,} test messages" + (f", {len(outside)} out of scope" if outside else "")
    )
    ours = measure("project", classifier.fit, train, test, outside)
    base = measure("baseline", lambda x, y: baseline().fit(x, y), train, test, outside)
    print(
        f"ratio project/baseline: accuracy {ours['accuracy'] / base['accuracy']:.3f}x, "
        f"p95 time {ours['p95'] / base['p95']:.2f}x"
    )
    print(f"accuracy={ours['accuracy']:.4f} ms_per_message_p95={ours['p95']:.3f}")


if __name__ == "__main__":
    main()
