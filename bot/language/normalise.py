"""Undo the ways typed text hides its words, before any rule or model reads it.

Patients type on phones: "i cnt brethin", "CHESSST PAIN", a zero-width space pasted into a
word, a Cyrillic letter o from another keyboard, a Welsh "ŵ" typed as "w". `normalise` gives
one plain, lower-case form that the safety rules, the semantic layer and the teach-back
grader all read, so an exemplar and a patient's message meet on the same ground.

Steps, in order: Unicode NFKC; format characters (zero-width, soft hyphen, joiners,
direction marks) removed; confusable letters from other scripts mapped to Latin; digits
used as letters inside a word ("ch3st") read as letters; curly quotes made straight; lower
case; letters repeated three or more times squashed to two ("chessst" -> "chesst"); then
common text-speak words expanded from `data/language/textspeak.yml` ("cnt" -> "cant").

Numbers are never changed ("sugar 2.4", "40 units"), and accents are kept: the rules strip
them themselves where they need to.
"""

from __future__ import annotations

import functools
import re
import unicodedata
from pathlib import Path

import yaml

from bot.config import ROOT
from bot.language.words import english_logprob

TEXTSPEAK_FILE = ROOT / "data" / "language" / "textspeak.yml"
CONFUSABLES_FILE = ROOT / "data" / "language" / "confusables.yml"

# A digit standing for a letter, only between letters ("ch3st", "p41n"); "2.4" is untouched.
LEET = {"0": "o", "1": "i", "3": "e", "4": "a", "5": "s", "7": "t", "@": "a", "$": "s"}
_LEET_IN_WORD = re.compile(r"(?<=[^\W\d_])[013457@$]+(?=[^\W\d_])")
_REPEATS = re.compile(r"([^\W\d_])\1{2,}")
_WORD = re.compile(r"[^\W_]+(?:'[^\W_]+)*", re.UNICODE)


@functools.cache
def confusables() -> dict[int, str]:
    """Look-alike characters and the plain ones they are read as (for str.translate)."""
    data = yaml.safe_load(CONFUSABLES_FILE.read_text(encoding="utf-8"))
    return {ord(str(k)): str(v) for k, v in data["confusables"].items()}


@functools.cache
def textspeak() -> dict[str, str]:
    """Text-speak words and their plain forms, both languages in one table."""
    data = yaml.safe_load(TEXTSPEAK_FILE.read_text(encoding="utf-8"))
    table: dict[str, str] = {}
    for language in ("en", "cy"):
        for short, plain in (data.get(language) or {}).items():
            table[str(short).lower()] = str(plain).lower()
    return table


def strip_format_characters(text: str) -> str:
    """Remove invisible format characters (Unicode category Cf), keeping everything else."""
    return "".join(c for c in text if unicodedata.category(c) != "Cf")


def _unleet(match: re.Match[str]) -> str:
    return "".join(LEET.get(c, c) for c in match.group(0))


def _squash(word: str) -> str:
    """Letters held down ("paaain", "weeeek") back to the likelier of one or two."""
    if not _REPEATS.search(word):
        return word
    two = _REPEATS.sub(r"\1\1", word)
    one = _REPEATS.sub(r"\1", word)
    scores = english_logprob()
    return one if scores.get(one, -99.0) > scores.get(two, -99.0) else two


def _expand(match: re.Match[str]) -> str:
    word = _squash(match.group(0))
    return textspeak().get(word, word)


@functools.lru_cache(maxsize=8192)
def normalise(text: str) -> str:
    """The plain, lower-case form of a typed message that every reader works on."""
    text = unicodedata.normalize("NFKC", text)
    text = strip_format_characters(text).translate(confusables())
    text = _LEET_IN_WORD.sub(_unleet, text)
    text = _WORD.sub(_expand, text.lower())
    return " ".join(text.split())


def textspeak_path() -> Path:
    """Where the text-speak table lives (for the content checks)."""
    return TEXTSPEAK_FILE
