"""The action-plan dialogue's replies, from data/content/goals_dialogue.yml (en + cy)."""

from __future__ import annotations

import functools
from typing import Any

import yaml

from bot.content.system import CONTENT_DIR

LANGUAGES = ("en", "cy")


@functools.cache
def catalogue() -> dict[str, dict[str, dict[str, Any]]]:
    """Every reply: key → language → {"text", "buttons"}."""
    with (CONTENT_DIR / "goals_dialogue.yml").open(encoding="utf-8") as handle:
        data: dict[str, dict[str, dict[str, Any]]] = yaml.safe_load(handle)
    return data


def reply(key: str, language: str, **values: Any) -> dict[str, Any]:
    """One reply in the person's language (English if unknown), with `values` filled in.

    Values are inserted as they are (never formatted again), so a person's own words with
    braces in them are safe.
    """
    entry = catalogue()[key]
    variant = entry.get(language) or entry["en"]
    text = str(variant["text"]).format(**values)
    buttons = [
        {"title": str(b["title"]).format(**values), "payload": str(b["payload"]).format(**values)}
        for b in variant.get("buttons") or []
    ]
    return {"text": text, "buttons": buttons}
