"""Typed answers the Ask 3 dialogues understand, from the `words` of data/content/ask3.yml."""

from __future__ import annotations

import functools
import re

from bot.content.teachback import read_yaml
from bot.decisions.content import ASK3_FILE

GOT_ANSWERS = ("yes", "partly", "no")


@functools.cache
def _words() -> dict[str, object]:
    data = read_yaml(ASK3_FILE)
    words: dict[str, object] = data["words"]
    return words


def _plain(text: str) -> str:
    return " ".join(re.sub(r"[^\w'/ ]+", " ", text.lower().replace("\u2019", "'")).split())


def is_finished(text: str) -> bool:
    """ "I've finished" typed, or its button's payload."""
    said = _plain(text)
    finished = _words()["finished"]
    return said == "/affirm" or (isinstance(finished, list) and said in finished)


def got_answers(text: str) -> str | None:
    """ "yes", "partly" or "no" to "did you get answers?"; None when it is neither."""
    said = _plain(text)
    if said == "/affirm":
        return "yes"
    if said == "/deny":
        return "no"
    table = _words()["got_answers"]
    assert isinstance(table, dict)
    for answer in GOT_ANSWERS:
        said_so = [str(w) for w in table[answer]]
        if said in said_so or any(said.startswith(f"{w} ") for w in said_so):
            return answer
    return None
