"""The goals' texts: both languages, the same buttons and placeholders in each."""

from __future__ import annotations

import string

import pytest

from bot.goals import measures, replies
from bot.scheduling import messages


def _fields(template: str) -> set[str]:
    return {name for _, name, _, _ in string.Formatter().parse(template) if name}


@pytest.mark.parametrize("key", sorted(replies.catalogue()))
def test_every_reply_is_in_english_and_welsh_with_the_same_buttons(key: str) -> None:
    entry = replies.catalogue()[key]
    assert set(entry) == {"en", "cy"}, key
    en, cy = entry["en"], entry["cy"]
    assert en["text"].strip() and cy["text"].strip() and en["text"] != cy["text"]
    assert _fields(en["text"]) == _fields(cy["text"]), key
    en_payloads = [b["payload"] for b in en.get("buttons", [])]
    assert en_payloads == [b["payload"] for b in cy.get("buttons", [])], key


def test_every_form_question_and_measure_item_has_its_text() -> None:
    from actions.goals import ASKED_SLOTS

    for slot in ASKED_SLOTS:
        assert f"ask_{slot}" in replies.catalogue(), slot
    for instrument in (measures.WEEKLY, measures.PREM):
        assert measures.versions(instrument)
        for item in measures.items(instrument):
            assert f"ask_{measures.slot_of(instrument, item)}" in replies.catalogue()


def test_a_reply_fills_values_and_payloads_without_reformatting_the_persons_words() -> None:
    item = replies.reply(
        "plan_item", "cy", plan="walk {lots}", days=3, plan_id="7",
        checkin_days="bob dydd", checkin_time="{time}",
    )  # fmt: skip
    assert item["text"] == "walk {lots}, 3 diwrnod yr wythnos. Gwiriadau: bob dydd am {time}."
    assert [b["payload"] for b in item["buttons"]] == [
        '/change_plan{"plan_id":"7"}',
        '/stop_plan{"plan_id":"7"}',
    ]


@pytest.mark.parametrize("kind", ["checkin", "review", "measures", "prem"])
@pytest.mark.parametrize("language", ["en", "cy"])
def test_scheduled_messages_render_in_both_languages(kind: str, language: str) -> None:
    [message] = messages.render(kind, language, message_id=5, plan="walk", plan_id=2)
    assert message["text"] and message["buttons"]
    assert all(b["title"] for b in message["buttons"])
