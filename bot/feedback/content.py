"""Feedback texts from data/content/feedback.yml, in the person's language."""

from __future__ import annotations

import functools
import json
from pathlib import Path
from typing import Any

from bot.content.system import CONTENT_DIR
from bot.content.teachback import read_yaml

FEEDBACK_FILE = CONTENT_DIR / "feedback.yml"


@functools.cache
def load(path: Path = FEEDBACK_FILE) -> dict[str, Any]:
    """The whole file, read once."""
    data: dict[str, Any] = read_yaml(path)
    return data


def _in(entry: dict[str, Any], language: str) -> Any:
    return entry.get(language) or entry["en"]


def reply(key: str, language: str) -> dict[str, Any]:
    """One reply, {"text", "buttons"}, in the language (English if unknown)."""
    variant = _in(load()["replies"][key], language)
    buttons = [
        {"title": str(b["title"]), "payload": str(b["payload"])}
        for b in variant.get("buttons") or []
    ]
    return {"text": " ".join(str(variant["text"]).split()), "buttons": buttons}


def text(key: str, language: str) -> str:
    """Just a reply's text."""
    return str(reply(key, language)["text"])


def clarity_values() -> tuple[int, ...]:
    """The ratings the buttons give, best first (on the store's 1-5 scale)."""
    return tuple(int(b["value"]) for b in load()["clarity_buttons"])


def clarity_offer(item: str, kind: str, language: str) -> dict[str, Any]:
    """The one-tap clarity question for an item ("module" or "grid"), each button carrying
    the rating and the item, so a late tap still rates what it was shown with."""
    key = "clarity_grid" if kind == "grid" else "clarity_module"
    buttons = []
    for button in load()["clarity_buttons"]:
        entities = {"clarity": str(button["value"]), "feedback_item": item}
        payload = f"/rate_clarity{json.dumps(entities, separators=(',', ':'))}"
        buttons.append({"title": str(_in(button, language)), "payload": payload})
    return {"text": text(key, language), "buttons": buttons}


def nudge(language: str, plan: str | None) -> list[dict[str, Any]]:
    """The re-engagement nudge: their current goal when they have one, and the menu."""
    data = load()["nudge"]
    titles = data["buttons"]
    buttons = []
    if plan:
        body = str(_in(data["with_plan"], language)).format(plan=plan)
        buttons.append({"title": str(_in(titles["goals"], language)), "payload": "/my_goals"})
    else:
        body = str(_in(data["without_plan"], language))
    buttons.append({"title": str(_in(titles["menu"], language)), "payload": "/help"})
    buttons.append({"title": str(_in(titles["stop"], language)), "payload": "/nudges_off"})
    return [{"text": " ".join(body.split()), "buttons": buttons}]
