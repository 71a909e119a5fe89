"""Undo the ways typed text hides its words, before any rule or model reads it.

Patients type on phones: "i cnt brethin", "CHESSST PAIN", a zero-width space pasted into a
word, a Cyrillic "о" from another keyboard, a Welsh "ŵ" typed as "w". `normalise` gives
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

# Letters from Cyrillic and Greek that look like Latin ones, as typed by a phone set to
# another keyboard or pasted from elsewhere.
CONFUSABLES = str.maketrans(
    {
        "а": "a", "в": "b", "е": "e", "ё": "e", "к": "k", "м": "m", "н": "h", "о": "o",
        "р": "p", "с": "c", "т": "t", "у": "y", "х": "x", "і": "i", "ї": "i", "ј": "j",
        "ѕ": "s", "ԁ": "d", "ɡ": "g", "ո": "n", "ս": "u",
        "А": "A", "В": "B", "Е": "E", "К": "K", "М": "M", "Н": "H", "О": "O", "Р": "P",
        "С": "C", "Т": "T", "Х": "X", "І": "I", "Ѕ": "S",
        "α": "a", "ε": "e", "ι": "i", "κ": "k", "ν": "v", "ο": "o", "ρ": "p", "τ": "t",
        "υ": "u", "χ": "x", "Α": "A", "Β": "B", "Ε": "E", "Η": "H", "Ι": "I", "Κ": "K",
        "Μ": "M", "Ν": "N", "Ο": "O", "Ρ": "P", "Τ": "T", "Χ": "X", "Υ": "Y", "Ζ": "Z",
        "\u2018": "'", "\u2019": "'", "\u02bc": "'", "`": "'", "\u00b4": "'",
        "\u201c": '"', "\u201d": '"', "\u2013": "-", "\u2014": "-",
    }
)  # fmt: skip
# A digit standing for a letter, only between letters ("ch3st", "p41n"); "2.4" is untouched.
LEET = {"0": "o", "1": "i", "3": "e", "4": "a", "5": "s", "7": "t", "@": "a", "$": "s"}
_LEET_IN_WORD = re.compile(r"(?<=[^\W\d_])[013457@$]+(?=[^\W\d_])")
_REPEATS = re.compile(r"([^\W\d_])\1{2,}")
_WORD = re.compile(r"[^\W_]+(?:'[^\W_]+)*", re.UNICODE)


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
    text = strip_format_characters(text).translate(CONFUSABLES)
    text = _LEET_IN_WORD.sub(_unleet, text)
    text = _WORD.sub(_expand, text.lower())
    return " ".join(text.split())


def textspeak_path() -> Path:
    """Where the text-speak table lives (for the content checks)."""
    return TEXTSPEAK_FILE
