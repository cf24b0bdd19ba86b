"""The bot's intents and classifier: the seed's three shipped as written, the reading of
a message (intent, confidence, the fallback when out of scope), training as a job when
intents change (a new version only for new phrases), CSV import and evaluation."""

from __future__ import annotations

import re

import pytest
from django.core.management import CommandError, call_command
from django.urls import reverse

from chatbot import classifier
from chatbot.intents import SEED_INTENTS
from chatbot.models import BotIntent, IntentModel
from chatbot.services import save_intent
from jobs.models import Job
from tests.conftest import run_due_jobs

pytestmark = pytest.mark.django_db


def test_the_seeds_three_intents_ship_as_written():
    for seed in SEED_INTENTS:
        intent = BotIntent.objects.get(name=seed["name"])
        assert intent.training_phrases == seed["trainingPhrases"]
        assert intent.responses == seed["responses"]
        assert intent.actions == seed.get("actions", [])
    assert BotIntent.objects.get(name="greeting").responses[0] == (
        "Hi there! 👋 How can I help you today?")  # fmt: skip


@pytest.mark.parametrize(
    ("text", "intent"),
    [
        ("where's my order?", "order_status"),
        ("hello!", "greeting"),
        ("can I speak to a human please", "talk_to_person"),
        ("how much does shipping cost to Spain", "shipping_info"),
        ("I want to return these shoes", "returns_refunds"),
        ("thanks so much", "thanks"),
        ("zxqv blorp kwijibo", classifier.FALLBACK),
    ],
)
def test_a_message_is_read_as_its_intent_or_falls_back(text, intent):
    reading = classifier.classify(text)  # the first use trains the shipped intents
    assert reading.intent == intent, reading
    assert 0 < reading.confidence <= 1


def test_a_changed_intent_is_learnt_by_a_job_and_a_save_without_change_trains_nothing():
    classifier.classify("hi")
    assert IntentModel.objects.count() == 1
    intent = BotIntent.objects.get(name="product_inquiry")
    intent.training_phrases += ["do you sell trail running shoes", "what sizes does it come in"]
    save_intent(intent)
    save_intent(intent)  # the same phrases: the same job
    assert Job.objects.filter(job_type="chatbot.train").count() == 1
    run_due_jobs()
    newest = IntentModel.objects.first()
    assert newest.version == 2 and newest.phrases == IntentModel.objects.last().phrases + 2
    assert classifier.classify("do you sell running shoes").best == "product_inquiry"
    save_intent(intent)
    run_due_jobs()
    assert IntentModel.objects.count() == 2


@pytest.fixture
def phrases(tmp_path):
    train = tmp_path / "train.csv"
    test = tmp_path / "test.csv"
    rows = {
        "card_lost": ["I lost my card", "my card is gone", "can't find my card",
                      "card missing", "lost card help", "where is my card"],
        "balance": ["what is my balance", "how much money do I have", "show balance",
                    "account balance", "check my balance", "balance please"],
        "transfer": ["send money to a friend", "make a transfer", "transfer funds",
                     "wire money", "move money to savings", "pay my friend"],
    }  # fmt: skip
    train.write_text("text,label\n" + "".join(f'"{t}",{k}\n' for k, ts in rows.items()
                                              for t in ts[:4]))  # fmt: skip
    test.write_text("text,category\n" + "".join(f'"{t}",{k}\n' for k, ts in rows.items()
                                                for t in ts[4:]))  # fmt: skip
    return train, test


def test_import_loads_phrases_into_intents_in_bulk(phrases, capsys):
    call_command("chatbot_import", str(phrases[0]))
    call_command("chatbot_import", str(phrases[0]))  # again: nothing doubles
    assert len(BotIntent.objects.get(name="balance").training_phrases) == 4
    out = capsys.readouterr().out
    assert "3/3 intents" in out and "12 rows: 0 new phrases in 3 intents (0 created)" in out
    assert Job.objects.filter(job_type="chatbot.train").exists()


def test_evaluate_scores_a_test_file_and_ends_with_the_agreed_line(phrases, capsys):
    before = BotIntent.objects.count()
    call_command("chatbot_evaluate", str(phrases[0]), str(phrases[1]))
    out = capsys.readouterr().out.strip().splitlines()
    assert re.fullmatch(r"accuracy=\d\.\d{4} ms_per_message=\d+\.\d{3}", out[-1]), out[-1]
    assert float(out[-1].split()[0].split("=")[1]) >= 0.5
    assert any(line.startswith("macro-F1: ") for line in out)
    assert any(line.startswith("ms per message: p50 ") for line in out)
    call_command("chatbot_evaluate", str(phrases[0]), str(phrases[1]), "--holdout-intents", "1")
    assert "out-of-scope recall (2 messages of held-out intents)" in capsys.readouterr().out
    assert BotIntent.objects.count() == before  # the stored intents untouched


def test_a_file_without_the_columns_is_refused_naming_them(tmp_path):
    wrong = tmp_path / "wrong.csv"
    wrong.write_text("phrase,kind\nhello,greeting\n")
    with pytest.raises(CommandError, match="needs a header with a text column"):
        call_command("chatbot_import", str(wrong))
    with pytest.raises(CommandError, match="No such file"):
        call_command("chatbot_import", str(tmp_path / "missing.csv"))


def test_intents_are_edited_in_the_admin_and_retrained(staff_client):
    listing = staff_client.get(reverse("admin:chatbot_botintent_changelist")).content.decode()
    assert "order_status" in listing and "request_order_number" in listing
    intent = BotIntent.objects.get(name="thanks")
    staff_client.post(reverse("admin:chatbot_botintent_change", args=[intent.pk]), {
        "name": "thanks", "description": "", "training_phrases": '["thanks", "ty"]',
        "responses": '["You are welcome!"]', "actions": "[]",
    })  # fmt: skip
    assert BotIntent.objects.get(name="thanks").training_phrases == ["thanks", "ty"]
    assert Job.objects.filter(job_type="chatbot.train").exists()


def test_the_fast_reader_gives_scikit_learns_own_probabilities():
    texts, labels = classifier.examples()
    pipeline = classifier.fit(texts, labels)
    reader = classifier.compiled(pipeline)
    for text in ["where's my parcel??", "HELLO", "qwertz", "", "tell me about the Trail Runner 2",
                 "my card was declined twice", "ünïcödé ñ 🚚"]:  # fmt: skip
        expected = pipeline.predict_proba([text])[0]
        assert abs(reader.proba(text) - expected).max() < 1e-9, text


def test_training_run_twice_makes_one_model_version():
    from tests.at_least_once import run_twice

    classifier.classify("hi")
    intent = BotIntent.objects.get(name="product_inquiry")
    intent.training_phrases += ["do you sell trail running shoes"]
    save_intent(intent)

    run_twice("chatbot.train")

    assert list(IntentModel.objects.values_list("version", flat=True)) == [2, 1]
