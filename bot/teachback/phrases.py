"""Whole-message phrases the teach-back loop treats specially, in English and Welsh.

An acknowledgement ("ok", "I understand") is not an explanation, a request to hear it
again ("I don't know", "dunno") gets the re-explanation, and a stop request pauses the
module where it is. The phrases are matching data in data/teachback/replies.yml, never
shown to anyone.
"""

from __future__ import annotations

import functools
import re

import yaml

from bot.config import ROOT

REPLIES_FILE = ROOT / "data" / "teachback" / "replies.yml"


def _compile(alternatives: list[str]) -> re.Pattern[str]:
    forms = [a.strip().lower() if a.startswith("/") else normalise(a) for a in alternatives]
    words = "|".join(re.escape(f) for f in sorted(set(forms), key=len, reverse=True) if f)
    return re.compile(rf"^(?:{words})(?: (?:please|plis|thanks|diolch|now|nawr))?$")


@functools.cache
def _patterns() -> dict[str, re.Pattern[str]]:
    raw: dict[str, list[str]] = yaml.safe_load(REPLIES_FILE.read_text(encoding="utf-8"))
    return {kind: _compile([str(a) for a in raw[kind]]) for kind in raw}


def normalise(text: str) -> str:
    """Lower case, one space, straight apostrophes, no punctuation at the edges."""
    text = text.lower().replace("\u2019", "'")
    text = re.sub(r"[^\w' ]+", " ", text)
    return " ".join(text.split())


def kind_of_reply(text: str) -> str | None:
    """What a reply is: "acknowledgement", "explain_again", "stop", "button" or None.

    None is an attempt to explain. A button's payload ("/start_teach_back", "/help")
    pressed mid-module is not an answer.
    """
    if text.strip().startswith("/"):
        return "button"
    said = normalise(text)
    if not said:
        return "acknowledgement"
    patterns = _patterns()
    for kind in ("acknowledgement", "explain_again", "stop"):
        if patterns[kind].match(said):
            return kind
    return None


def language_request(text: str) -> str | None:
    """The language ("en" or "cy") a whole message asks for, such as "Cymraeg"; else None."""
    said = normalise(text)
    patterns = _patterns()
    for language, kind in (("cy", "welsh"), ("en", "english")):
        if patterns[kind].match(said):
            return language
    return None


def yes_or_no(text: str) -> bool | None:
    """A yes (True) or a no (False) to a yes/no question, typed or from its button."""
    said = text.strip().lower() if text.strip().startswith("/") else normalise(text)
    patterns = _patterns()
    for answer, kind in ((True, "affirm"), (False, "deny")):
        if patterns[kind].match(said):
            return answer
    return None
