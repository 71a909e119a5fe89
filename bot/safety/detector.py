"""Red-flag detection: the rules and the semantic layer together, one decision per message.

- The rules (`bot.safety.rules`, data in `data/safety/signs.yml`) name explicit signs and
  read their context: negation, the hypothetical, the past, someone else, idioms.
- The semantic layer (`bot.safety.semantic`) reads the message's meaning against a bank
  of labelled exemplars, with the rules' reading as part of its evidence.

The decision, in order: a sign the rules matched in a message of some words that the
semantic layer is sure is only a mention (its chance of "none" at or above `overrule_at`:
television, the past, a teach-back explanation) is not a red flag; otherwise an emergency
or distress alert from the rules stands; so does a question from the rules (a sign they read as recent, bare or ambiguous: "I had chest pain
this morning"); a chance of danger at or above the semantic layer's alert level alerts in
its category; an urgent alert from the rules stands; a chance in the middle band asks the
direct yes/no question; anything else is not a red flag.

The semantic layer only reads messages with a word in them beyond the times, days and
numbers of a form's answer (data/safety/answer_words.yml): a bare "5" (a 0-10 rating),
"quarter past five", an emoji or punctuation carries no meaning it could weigh, and its
reading of one is noise (a lone "5" once read as a seizure). The rules still read them.

The detector is pure: text in, `Assessment` out. It never sees who sent the message. It
blocks for about the time of one embedding (about 10 ms), so the gateway calls it in a
thread (`assess_in_thread`).
"""

from __future__ import annotations

import asyncio
import functools
import re
from collections.abc import Sequence
from dataclasses import dataclass

import yaml

from bot.config import ROOT
from bot.language.embeddings import cached_embeddings as embed_many
from bot.language.normalise import normalise as normalise_plain
from bot.safety.rules import Action, Category, RuleReading, clauses, normalise
from bot.safety.rules import read as read_rules
from bot.safety.rules import rules as loaded_rules
from bot.safety.semantic import Reading, Settings, model

__all__ = [
    "Assessment",
    "assess",
    "assess_in_thread",
    "assess_many",
    "clauses",
    "decide",
    "normalise",
    "signs",
]

# Signs the semantic layer may name whose direct question is the self-harm one.
DISTRESS_QUESTION_SIGN = "self_harm"


@dataclass(frozen=True)
class Assessment:
    """What to do about a message: alert (reply now), ask (yes/no question) or none."""

    action: Action
    category: Category | None = None
    sign: str | None = None
    lang: str | None = None
    source: str | None = None

    @property
    def alarming(self) -> bool:
        """Whether the message gets any safety reply at all."""
        return self.action != "none"


NONE = Assessment("none")
# No reading (a message of times and numbers only): no danger, and nothing to overrule.
NOTHING_READ = Reading({}, None)
_WORD = re.compile(r"[^\W\d_]+(?:'[^\W\d_]+)?")
ANSWER_WORDS = ROOT / "data" / "safety" / "answer_words.yml"


@functools.cache
def _answer_words() -> frozenset[str]:
    data = yaml.safe_load(ANSWER_WORDS.read_text(encoding="utf-8"))
    return frozenset(str(w).lower() for words in data.values() for w in words)


def has_words(text: str) -> bool:
    """Whether a message holds a word the semantic layer can weigh: two letters or more, and
    not only the times, days and numbers of a form's answer (data/safety/answer_words.yml)."""
    quiet = _answer_words()
    return any(len(w) >= 2 and w not in quiet for w in _WORD.findall(normalise_plain(text).lower()))


def signs() -> tuple[str, ...]:
    """Every sign code the rules know."""
    return tuple(dict.fromkeys(s.code for s in loaded_rules().signs))


def _semantic(action: Action, reading: Reading, lang: str | None) -> Assessment:
    category: Category = reading.category  # type: ignore[assignment]
    sign = reading.sign or category
    if action == "ask" and category == "distress":
        sign = DISTRESS_QUESTION_SIGN
    return Assessment(action, category, sign, lang, "semantic")


def overruled(reading: Reading, config: Settings) -> bool:
    """Whether the semantic layer is sure enough that a message the rules matched is a
    mention, not a report ("watching Casualty, someone's having a heart attack"): only on a
    message with context to weigh, never a bare sign ("hypo", "chest pain")."""
    return (
        reading.words >= config.overrule_words
        and reading.chances.get("none", 0.0) >= config.overrule_at
    )


def decide(rules: RuleReading, reading: Reading, config: Settings) -> Assessment:
    """One decision from the two layers' readings (see the module's docstring)."""
    if rules.action != "none" and overruled(reading, config):
        return NONE
    if rules.action == "alert" and rules.category in ("emergency", "distress"):
        return Assessment("alert", rules.category, rules.sign, rules.lang, "rules")
    lang = rules.lang if rules.sign else reading.lang
    if rules.action == "ask":
        return Assessment("ask", rules.category, rules.sign, rules.lang, "rules")
    if reading.danger >= config.alert_at:
        return _semantic("alert", reading, lang)
    if rules.action != "none":
        return Assessment(rules.action, rules.category, rules.sign, rules.lang, "rules")
    if reading.danger >= config.ask_at:
        return _semantic("ask", reading, lang)
    return NONE


def assess(text: str) -> Assessment:
    """Decide whether a message is a red flag, and what to do about it."""
    rules = read_rules(text)
    if not has_words(text):
        return decide(rules, NOTHING_READ, model().config)
    layer = model()
    return decide(rules, layer.read(text, rules), layer.config)


def assess_many(texts: Sequence[str]) -> list[Assessment]:
    """`assess` for many messages at once, in batches (for benchmarks and checks)."""
    layer = model()
    rules = [read_rules(t) for t in texts]
    vectors = embed_many([normalise_plain(t) for t in texts])
    readings = layer.read_vectors(vectors, rules, texts)
    return [
        decide(r, s if has_words(t) else NOTHING_READ, layer.config)
        for r, s, t in zip(rules, readings, texts, strict=True)
    ]


async def assess_in_thread(text: str) -> Assessment:
    """`assess` off the event loop."""
    return await asyncio.to_thread(assess, text)
