"""The scheduler's messages, rendered from data/content/checkins.yml in the person's language.

Buttons carry payloads the engine understands (`/checkin_done{"checkin_id":"42"}`), so an
answer comes back into the conversation like any tap on a button.
"""

from __future__ import annotations

import functools
import json
from typing import Any

import yaml

from bot.content.system import CONTENT_DIR

CHECKIN_INTENTS = {
    "done": "checkin_done",
    "partly": "checkin_partly",
    "not_today": "checkin_not_today",
}


@functools.cache
def _content() -> dict[str, Any]:
    with (CONTENT_DIR / "checkins.yml").open(encoding="utf-8") as handle:
        data: dict[str, Any] = yaml.safe_load(handle)
    return data


def checkin_version() -> int:
    """The version of the check-in texts; each check-in answer records it (issue 10)."""
    return int(_content()["version"])


def _text(entry: dict[str, str], language: str) -> str:
    return entry.get(language) or entry["en"]


def _payload(intent: str, entities: dict[str, str] | None = None) -> str:
    return f"/{intent}{json.dumps(entities, separators=(',', ':'))}" if entities else f"/{intent}"


def render(
    kind: str, language: str, *, message_id: int, plan: str | None, plan_id: int | None
) -> list[dict[str, Any]]:
    """The messages for one due row, as every channel receives bot messages."""
    content = _content()[kind]
    text = _text(content["text"], language).format(plan=plan or "")
    buttons: list[dict[str, str]] = []
    titles = content["buttons"]
    if kind == "checkin":
        for outcome, intent in CHECKIN_INTENTS.items():
            payload = _payload(intent, {"checkin_id": str(message_id)})
            buttons.append({"title": _text(titles[outcome], language), "payload": payload})
    elif kind == "review":
        payload = _payload("weekly_review", {"plan_id": str(plan_id)})
        buttons.append({"title": _text(titles["review"], language), "payload": payload})
    elif kind == "measures":
        buttons.append({"title": _text(titles["start"], language), "payload": "/start_measures"})
    elif kind == "prem":
        buttons.append({"title": _text(titles["start"], language), "payload": "/start_prem"})
    elif kind == "ask3_followup":
        buttons.append({"title": _text(titles["start"], language), "payload": "/ask3_followup"})
    else:
        raise ValueError(f"unknown kind {kind!r}")
    return [{"text": text, "buttons": buttons}]
