"""data/content/conversation.yml: both languages everywhere, and typed answers matched."""

from __future__ import annotations

import pytest

from bot.conversation import answers, content

CARRY_ON = [{"title": "Carry on", "payload": "/resume_activity"}, {"title": "Not now", "payload": "/not_now"}]  # fmt: skip


def test_every_reply_and_activity_is_in_both_languages_with_the_same_buttons() -> None:
    assert content.check() == []


@pytest.mark.parametrize(
    ("typed", "payload"),
    [
        ("Carry on", "/resume_activity"),
        ("carry on!", "/resume_activity"),
        ("cary on", "/resume_activity"),  # a slip of the thumb
        ("not now", "/not_now"),
        ("ok", None),  # too short to guess
        ("/resume_activity", None),  # a payload is a tap, not typing
    ],
)
def test_a_button_title_typed(typed: str, payload: str | None) -> None:
    assert answers.button_for(typed, CARRY_ON) == payload


def test_words_that_mean_a_button() -> None:
    skip = [{"title": "Skip", "payload": "/deny"}]
    assert answers.button_for("hepgor", skip) == "/deny"
    assert (
        answers.button_for("not sure yet", [{"title": "Ddim yn siŵr eto", "payload": "/deny"}])
        == "/deny"
    )
    assert answers.button_for("skip", CARRY_ON) is None  # only the buttons offered count


@pytest.mark.parametrize(
    ("typed", "rest"),
    [
        ("actually make it wednesday and saturday", "wednesday and saturday"),
        ("Actually, 7pm", "7pm"),
        ("sorry i meant 6.30", "6.30"),
        ("a dweud y gwir, dydd Llun", "dydd llun"),
        ("actually", None),
        ("walk after lunch", None),
    ],
)
def test_a_correction_and_its_new_answer(typed: str, rest: str | None) -> None:
    assert answers.correction(typed) == rest
