"""Typed answers to button questions, and corrections of the last answer.

A patient on a phone often types instead of tapping: the button's own title ("use these
words"), a word that means the same ("skip", "hepgor"), or a close misspelling ("Cary on").
Each counts as the tap. A correction starts with words like "actually" or "a dweud y gwir";
what follows is the new answer. Matching data is in data/content/conversation.yml.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from typing import Any

from rapidfuzz import fuzz

from bot.conversation.content import load
from bot.language.normalise import normalise

# A typed text this close to a button's title (0-100) is that button.
TITLE_SIMILARITY = 88
# Shorter texts must match a title exactly: "ok" is not "No".
MIN_FUZZY_LENGTH = 5


def plain(text: str) -> str:
    """Lower case, text-speak expanded, no punctuation except apostrophes."""
    return " ".join(re.sub(r"[^\w' ]+", " ", normalise(text)).split())


def button_for(text: str, buttons: Iterable[Mapping[str, Any]]) -> str | None:
    """The payload of the button a typed text stands for, or None.

    Its title typed (any case, punctuation or emoji), a word listed for its payload in
    `button_words`, or a title misspelt slightly (long enough to be sure).
    """
    said = plain(text)
    offered = [(plain(str(b.get("title") or "")), str(b.get("payload") or "")) for b in buttons]
    offered = [(title, payload) for title, payload in offered if payload]
    if not said or not offered or text.strip().startswith("/"):
        return None
    for title, payload in offered:
        if said == title:
            return payload
    words: dict[str, list[str]] = load()["button_words"]
    for _, payload in offered:
        if said in {plain(w) for w in words.get(payload, [])}:
            return payload
    if len(said) >= MIN_FUZZY_LENGTH:
        scored = [(fuzz.ratio(said, title), payload) for title, payload in offered if title]
        best = max(scored, default=(0.0, ""))
        if best[0] >= TITLE_SIMILARITY:
            return best[1]
    return None


def correction(text: str) -> str | None:
    """The new answer in a correction ("actually, wednesday and saturday" -> "wednesday and
    saturday"), or None when the message is not a correction."""
    said = " ".join(text.lower().replace("\u2019", "'").split())
    markers: dict[str, list[str]] = load()["correction_markers"]
    every = sorted({m for found in markers.values() for m in found}, key=len, reverse=True)
    for marker in every:
        if said == marker or not said.startswith(marker):
            continue
        rest = said[len(marker) :]
        if rest and rest[0].isalnum():
            continue  # "actuallyy" or "waiting": not the marker
        rest = rest.strip(" ,.:;-!")
        for again in every:  # "actually, make it ..."
            if rest.startswith(f"{again} "):
                rest = rest[len(again) :].strip(" ,.:;-!")
                break
        return rest or None
    return None
