"""The safety net's texts, from data/content/safety.yml, as bot messages."""

from __future__ import annotations

from typing import Any, Literal

from bot.content.system import CONTENT_DIR, _load
from bot.engine_client import BotMessage, Button

SAFETY_FILE = CONTENT_DIR / "safety.yml"
YES_PAYLOAD = "/affirm"
NO_PAYLOAD = "/deny"
SELF_HARM_SIGNS = frozenset({"self_harm", "overdose"})
# Signs whose alert is followed by first aid the person can give now.
FIRST_AID: dict[str, str] = {"hypo": "hypo", "mild_hypo": "hypo"}
Note = Literal["care_team", "service_team", "none"]


def _text(section: str, key: str, language: str) -> str:
    texts: dict[str, str] = _load(SAFETY_FILE)[section][key]
    return " ".join((texts.get(language) or texts["en"]).split())


def _has(section: str, key: str) -> bool:
    return key in (_load(SAFETY_FILE).get(section) or {})


def alert(category: str, sign: str | None, language: str, note: Note = "none") -> list[BotMessage]:
    """What to do now, for one category (self-harm emergencies get their own words), a true
    word about the note for the care team, and first aid where there is some."""
    key = category
    if category == "emergency" and sign in SELF_HARM_SIGNS:
        key = "emergency_self_harm"
    text = _text("replies", key, language)
    if note != "none":
        text = f"{text} {_text('notes', note, language)}"
    messages = [BotMessage(text=text, buttons=[])]
    if sign in FIRST_AID:
        messages.append(BotMessage(text=_text("first_aid", FIRST_AID[sign], language), buttons=[]))
    return messages


def question_key(sign: str, category: str) -> str:
    """Which question asks about a sign: its own, or its category's."""
    return sign if _has("questions", sign) else category


def question(sign: str, language: str, category: str = "emergency") -> BotMessage:
    """A direct yes/no question about an ambiguous mention, with Yes and No buttons."""
    return BotMessage(
        text=_text("questions", question_key(sign, category), language),
        buttons=[
            Button(title=_text("buttons", "yes", language), payload=YES_PAYLOAD),
            Button(title=_text("buttons", "no", language), payload=NO_PAYLOAD),
        ],
    )


def answer_no(language: str, *, going_on: bool = False) -> BotMessage:
    """The reply when the answer to a safety question is no (shorter when the message that
    raised it goes on to the dialogue, whose answer follows)."""
    key = "answer_no_go_on" if going_on else "answer_no"
    return BotMessage(text=_text("replies", key, language), buttons=[])


def content() -> dict[str, Any]:
    """The whole file (for the content tests)."""
    return _load(SAFETY_FILE)
