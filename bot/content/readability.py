"""Flesch reading ease, computed here so the checker needs no downloads.

textstat needs NLTK's CMU dictionary, which it fetches at run time; this is the same
formula with the usual vowel-group syllable estimate.
"""

from __future__ import annotations

import re

_WORD = re.compile(r"[A-Za-z]+(?:'[A-Za-z]+)?")
_SENTENCE_END = re.compile(r"[.!?]+(?:\s|$)")
_VOWEL_GROUPS = re.compile(r"[aeiouy]+")


def syllables(word: str) -> int:
    """An estimate of a word's syllables: vowel groups, less a silent final e."""
    word = word.lower().split("'")[0]
    count = len(_VOWEL_GROUPS.findall(word))
    if word.endswith("e") and not word.endswith(("le", "ee", "ye")) and count > 1:
        count -= 1
    if word.endswith(("ia", "ea", "oa", "io")) and len(word) > 4:
        count += 1  # "diarrhoea", "bacteria": two vowels, two syllables
    return max(1, count)


def words(text: str) -> list[str]:
    """The words of a text."""
    return _WORD.findall(text)


def flesch_reading_ease(text: str) -> float:
    """206.835 - 1.015 (words per sentence) - 84.6 (syllables per word)."""
    found = words(text)
    if not found:
        return 100.0
    sentences = max(1, len(_SENTENCE_END.findall(text.strip())))
    per_sentence = len(found) / sentences
    per_word = sum(syllables(w) for w in found) / len(found)
    return 206.835 - 1.015 * per_sentence - 84.6 * per_word
