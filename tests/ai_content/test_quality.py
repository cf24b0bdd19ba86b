"""The deterministic quality judge."""

from __future__ import annotations

from ai_content.quality import analyse, limit_of_goal


def test_a_good_product_blurb_scores_high():
    quality = analyse("The Trail Runner 2 grips wet rock and weighs 240 g. Shop it today.",
                      category="product")  # fmt: skip
    assert quality.score == 1.0 and quality.suggestions == []


def test_subject_lines_over_60_characters_are_told_by_how_much():
    subject = "Our biggest autumn sale ever starts today on every trail shoe we sell"
    quality = analyse(subject, category="email")
    assert quality.score < 1
    assert f"Shorten it by {len(subject) - 60} characters to fit 60." in quality.suggestions


def test_missing_call_to_action_and_hashtags_on_social():
    quality = analyse("New colours of the Trail Runner 2 are in.", category="social")
    assert any("call to action" in s for s in quality.suggestions)
    assert "Add one to three relevant hashtags." in quality.suggestions
    tagged = analyse("New colours are in. Shop now #trail #run", category="social")
    assert tagged.score == 1.0


def test_spam_words_and_shouting_cost_points():
    quality = analyse("ACT NOW!!! 100% FREE shoes, GUARANTEED. Click here", category="ad")
    assert quality.score <= 0.6
    assert any("act now" in s and "100% free" in s for s in quality.suggestions)
    assert "Drop repeated exclamation marks and words in capitals." in quality.suggestions


def test_long_sentences_and_empty_content():
    sentence = " ".join(["word"] * 40) + "."
    assert (
        "Split long sentences (aim for under 20 words each)."
        in analyse(sentence, category="blog").suggestions
    )
    assert analyse("   ").score == 0.0


def test_a_limit_can_come_from_the_goal():
    assert limit_of_goal("fit 280 characters") == 280
    assert limit_of_goal("more urgency") is None
