"""The safety net's texts, from data/content/safety.yml, as bot messages."""

from __future__ import annotations

from typing import Any

from bot.content.system import CONTENT_DIR, _load
from bot.engine_client import BotMessage, Button

SAFETY_FILE = CONTENT_DIR / "safety.yml"
YES_PAYLOAD = "/affirm"
NO_PAYLOAD = "/deny"
SELF_HARM_SIGNS = frozenset({"self_harm", "overdose"})


def _text(section: str, key: str, language: str) -> str:
    texts: dict[str, str] = _load(SAFETY_FILE)[section][key]
    return " ".join((texts.get(language) or texts["en"]).split())


def alert(category: str, sign: str | None, language: str) -> BotMessage:
    """What to do now, for one category (self-harm emergencies get their own words)."""
    key = category
    if category == "emergency" and sign in SELF_HARM_SIGNS:
        key = "emergency_self_harm"
    return BotMessage(text=_text("replies", key, language), buttons=[])


def question(sign: str, language: str) -> BotMessage:
    """A direct yes/no question about an ambiguous mention, with Yes and No buttons."""
    return BotMessage(
        text=_text("questions", sign, language),
        buttons=[
            Button(title=_text("buttons", "yes", language), payload=YES_PAYLOAD),
            Button(title=_text("buttons", "no", language), payload=NO_PAYLOAD),
        ],
    )


def answer_no(language: str) -> BotMessage:
    """The reply when the answer to a safety question is no."""
    return BotMessage(text=_text("replies", "answer_no", language), buttons=[])


def content() -> dict[str, Any]:
    """The whole file (for the content tests)."""
    return _load(SAFETY_FILE)
