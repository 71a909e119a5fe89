"""The assignment messages' content: every text in English and Welsh, with the same
placeholders, and a start button for every kind of assignment the engine understands."""

from __future__ import annotations

import string
from typing import Any

import yaml

from bot.cohorts.messages import START_INTENTS
from bot.config import ROOT
from bot.content.system import CONTENT_DIR
from bot.store import cohorts


def content() -> dict[str, Any]:
    with (CONTENT_DIR / "assignments.yml").open(encoding="utf-8") as handle:
        data: dict[str, Any] = yaml.safe_load(handle)
    return data


def fields(text: str) -> set[str]:
    return {name for _, name, _, _ in string.Formatter().parse(text) if name}


def test_every_message_and_button_is_in_both_languages_with_the_same_placeholders() -> None:
    data = content()
    for section in ("assignment", "reminder", "buttons"):
        assert set(data[section]) == set(cohorts.ASSIGNMENT_KINDS), section
        for kind, texts in data[section].items():
            assert set(texts) == {"en", "cy"}, (section, kind)
            assert texts["en"].strip() and texts["cy"].strip(), (section, kind)
            assert fields(texts["en"]) == fields(texts["cy"]), (section, kind)
            if section != "buttons":
                assert "{due}" in texts["en"], (section, kind)
    for calendar, size in (("weekdays", 7), ("months", 12)):
        assert {len(data[calendar]["en"]), len(data[calendar]["cy"])} == {size}


def test_every_start_intent_is_in_the_domain() -> None:
    with (ROOT / "domain.yml").open(encoding="utf-8") as handle:
        intents = {
            i if isinstance(i, str) else next(iter(i)) for i in yaml.safe_load(handle)["intents"]
        }
    assert set(START_INTENTS.values()) <= intents
