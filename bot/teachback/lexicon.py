"""What the grader knows about everyday health language, loaded from data/teachback/lexicon.yml.

Concepts gather the words people use for one idea ("tummy", "stomach", "belly"), so a
paraphrase meets its key point; phrase rules turn fixed phrases into one concept; antonyms
and negators let the grader notice an answer that says the opposite. The words live in the
data file, where a content author can add to them; numbers and times are in
data/teachback/quantities.yml (`bot.teachback.quantities`).
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass
from typing import Any

import yaml

from bot.config import ROOT

LEXICON_FILE = ROOT / "data" / "teachback" / "lexicon.yml"
LANGUAGES = ("en", "cy")
DEFAULT_CONCEPT_WEIGHT = 0.8
NEGATION_REACH = 6  # content words a "not" reaches, within its clause


@dataclass(frozen=True)
class PhraseRule:
    """A pattern on the joined tokens and the concept it stands for.

    `consume` rules use up the words they cover; the others ("tags") only add their
    concept, leaving the words to match on their own too.
    """

    pattern: re.Pattern[str]
    concept: str
    consume: bool = True


@dataclass(frozen=True)
class Language:
    """One language's part of the lexicon."""

    concepts: dict[str, str]  # word or lemma -> concept
    rules: tuple[PhraseRule, ...]
    negators: frozenset[str]
    negator_phrases: tuple[re.Pattern[str], ...]  # "stop adding", "no longer": a "not"
    post_negators: tuple[re.Pattern[str], ...]
    clause_breaks: frozenset[str]
    subordinators: frozenset[str]  # "if", "when": a condition stays with its main clause
    stopwords: frozenset[str]  # Welsh stop words; English adds these to spaCy's
    keep_words: frozenset[str]  # English words spaCy calls stop words that carry meaning


@dataclass(frozen=True)
class Lexicon:
    """Both languages, and what is shared: concept weights and antonyms."""

    languages: dict[str, Language]
    weights: dict[str, float]
    antonyms: dict[str, frozenset[str]]
    weak_antonyms: frozenset[str]

    def weight(self, concept: str) -> float:
        """How much a concept counts towards a key point."""
        return self.weights.get(concept, DEFAULT_CONCEPT_WEIGHT)


def _words(raw: Any) -> frozenset[str]:
    return frozenset(str(w) for w in raw or ())


def _pattern(text: str) -> re.Pattern[str]:
    return re.compile(rf"(?<![\w'])(?:{text})(?![\w'])")


def _language(raw: dict[str, Any]) -> Language:
    concepts = {
        str(word): str(concept)
        for concept, words in (raw.get("concepts") or {}).items()
        for word in words
    }
    rules = [
        PhraseRule(_pattern(str(p)), str(concept), consume)
        for key, consume in (("phrases", True), ("tags", False))
        for concept, patterns in (raw.get(key) or {}).items()
        if patterns
        for p in patterns
    ]
    return Language(
        concepts=concepts,
        rules=tuple(rules),
        negators=_words(raw.get("negators")),
        negator_phrases=tuple(_pattern(str(p)) for p in raw.get("negator_phrases") or ()),
        post_negators=tuple(_pattern(str(p)) for p in raw.get("post_negators") or ()),
        clause_breaks=_words(raw.get("clause_breaks")),
        subordinators=_words(raw.get("subordinators")),
        stopwords=_words(raw.get("stopwords")) | _words(raw.get("extra_stopwords")),
        keep_words=_words(raw.get("keep_words")),
    )


@functools.cache
def load() -> Lexicon:
    """The lexicon, read once per process."""
    raw: dict[str, Any] = yaml.safe_load(LEXICON_FILE.read_text(encoding="utf-8"))
    return Lexicon(
        languages={lang: _language(raw[lang]) for lang in LANGUAGES},
        weights={str(k): float(v) for k, v in (raw.get("weights") or {}).items()},
        antonyms={str(k): _words(v) for k, v in (raw.get("antonyms") or {}).items()},
        weak_antonyms=_words(raw.get("weak_antonyms")),
    )
