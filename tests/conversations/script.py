"""Patient scripts: YAML conversations played against the live stack through the gateway.

A script (tests/conversations/scripts/*.yml) is what a patient types, turn by turn, with
what they should get back and what should be kept (or never kept) afterwards:

    - name: forget me in the middle of a plan asks first and is never the answer
      language: en            # the session's language (default en)
      consent: true           # say hello and agree first (default true)
      turns:
        - say: make an action plan
          expect: [goals:ask_plan_activity]
        - say: forget me
          expect: [utter_ask_forget_me]
          never: [goals:plan_amount_vague]
        - checkin_sent: true  # the scheduler's check-in, sent now (no 30 s wait)
      stored:
        never_stored: [forget me]   # in no record of /api/my-data and no slot value
        records: {action_plans: 0}  # how many rows the export holds
        record_values: {checkin_schedules: {local_time: "18:30"}}
        consent: given

Expectations name the *kind* of reply, not its exact words, so rewording a text does not
break a script: `utter_*` is a domain response (any variant, in the language of the
conversation), `goals:<key>`, `ask3:<key>`, `feedback:<key>`, `conversation:<key>` and
`teachback:<key>` are content replies (their template, values matched loosely),
`words:<text>` is text anywhere in the reply, `button:<payload start>` a button. A turn with
`language: cy` switches the expected language from that turn on.
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from bot.content.teachback import load_dialogue
from bot.conversation import content as conversation
from bot.decisions import content as ask3_content
from bot.feedback import content as feedback_content
from bot.goals import replies as goals_replies
from tests.support import domain_texts

SCRIPTS = Path(__file__).parent / "scripts"


@dataclass(frozen=True)
class Turn:
    say: str | None
    expect: tuple[str, ...] = ()
    never: tuple[str, ...] = ()
    language: str | None = None
    checkin_sent: bool = False


@dataclass(frozen=True)
class Script:
    name: str
    source: str
    language: str
    consent: bool
    turns: tuple[Turn, ...]
    stored: dict[str, Any] = field(default_factory=dict)


def load_scripts() -> list[Script]:
    """Every script in tests/conversations/scripts/, in file order."""
    found: list[Script] = []
    for path in sorted(SCRIPTS.glob("*.yml")):
        data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
        for item in data.get("scripts") or []:
            for t in item["turns"]:
                if isinstance(t.get("say"), bool | int | float):
                    raise ValueError(f"{path.name}: quote {t['say']!r} in {item['name']!r}")
            turns = tuple(
                Turn(
                    say=None if t.get("say") is None else str(t["say"]),
                    expect=tuple(str(e) for e in t.get("expect") or ()),
                    never=tuple(str(e) for e in t.get("never") or ()),
                    language=t.get("language"),
                    checkin_sent=bool(t.get("checkin_sent")),
                )
                for t in item["turns"]
            )
            found.append(
                Script(
                    name=str(item["name"]),
                    source=path.name,
                    language=str(item.get("language", "en")),
                    consent=bool(item.get("consent", True)),
                    turns=turns,
                    stored=dict(item.get("stored") or {}),
                )
            )
    return found


def _template(text: str) -> re.Pattern[str]:
    """A reply's text with its {values} matching anything, white space loosely."""
    parts = re.split(r"\{[a-z_]+\}", " ".join(text.split()))
    return re.compile(".*?".join(re.escape(p) for p in parts), re.DOTALL)


@functools.cache
def _content_texts(kind: str, key: str, language: str) -> tuple[str, ...]:
    if kind == "goals":
        return (str(goals_replies.catalogue()[key][language]["text"]),)
    if kind == "ask3":
        return (str(ask3_content._load()["replies"][key][language]["text"]),)
    if kind == "feedback":
        return (str(feedback_content.load()["replies"][key][language]["text"]),)
    if kind == "conversation":
        return (str(conversation.load()["replies"][key][language]["text"]),)
    if kind == "teachback":
        dialogue = load_dialogue()
        return tuple(t.in_language(language) for t in dialogue.texts[key])
    raise ValueError(f"unknown reply kind {kind!r}")


def _plain(text: str) -> str:
    return " ".join(text.split())


def matches(token: str, messages: list[dict[str, Any]], language: str) -> bool:
    """Whether the reply holds what the token names."""
    said = [_plain(str(m.get("text") or "")) for m in messages]
    if token == "nothing":
        return not any(said)
    if token.startswith("words:"):
        wanted = token.removeprefix("words:").lower()
        return any(wanted in s.lower() for s in said)
    if token.startswith("button:"):
        wanted = token.removeprefix("button:")
        return any(
            str(b.get("payload") or "").startswith(wanted)
            for m in messages
            for b in m.get("buttons") or []
        )
    if token.startswith("utter_"):
        return any(s in domain_texts(token, language) for s in said)
    kind, _, key = token.partition(":")
    patterns = [_template(t) for t in _content_texts(kind, key, language)]
    return any(p.fullmatch(s) for p in patterns for s in said)
