"""The texts of data/content/conversation.yml, in the patient's language."""

from __future__ import annotations

import functools
from typing import Any

import yaml

from bot.content.system import CONTENT_DIR, LANGUAGES

CONVERSATION_FILE = CONTENT_DIR / "conversation.yml"


@functools.cache
def load() -> dict[str, Any]:
    """The whole file, read once."""
    with CONVERSATION_FILE.open(encoding="utf-8") as handle:
        data: dict[str, Any] = yaml.safe_load(handle)
    return data


def reply(key: str, language: str, **values: Any) -> dict[str, Any]:
    """One reply, {"text", "buttons"}, in the language (English if unknown), filled in once
    (a patient's own words with braces in them are safe)."""
    entry = load()["replies"][key]
    variant = entry.get(language) or entry["en"]
    text = " ".join(str(variant["text"]).split()).format(**values)
    buttons = [
        {"title": str(b["title"]).format(**values), "payload": str(b["payload"]).format(**values)}
        for b in variant.get("buttons") or []
    ]
    return {"text": text, "buttons": buttons}


def activity_name(activity: str, language: str) -> str:
    """What a dialogue is called in an offer to carry on ("your action plan")."""
    names = load()["activities"].get(activity) or {}
    return str(names.get(language) or names.get("en") or activity)


def check() -> list[str]:
    """Problems: a reply or activity without both languages, or different buttons."""
    data = load()
    problems: list[str] = []
    for key, entry in data["replies"].items():
        for language in LANGUAGES:
            if not str((entry.get(language) or {}).get("text") or "").strip():
                problems.append(f"reply {key!r} has no {language!r} text")
        payloads = {
            language: [b["payload"] for b in (entry.get(language) or {}).get("buttons") or []]
            for language in LANGUAGES
        }
        if len({tuple(p) for p in payloads.values()}) > 1:
            problems.append(f"reply {key!r} has different buttons in en and cy")
    for key, names in data["activities"].items():
        for language in LANGUAGES:
            if not str(names.get(language) or "").strip():
                problems.append(f"activity {key!r} has no {language!r} name")
    return problems
