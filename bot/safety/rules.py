"""The red-flag rules: explicit signs, read in their clause, from `data/safety/signs.yml`.

What rules do well, and what this layer is for: explicit signs ("crushing chest pain"),
and the context that turns them harmless: negation ("no chest pain today"), the
hypothetical or a question about signs ("what if I get chest pain?"), the distant past ("I
had a stroke in 2019"), someone else's past, and idioms ("this diet is killing me"). The
semantic layer (`bot.safety.semantic`) catches what no rule names; it reads the
`RuleReading` below as evidence too, so that "no chest pain" is not mistaken for chest pain.

Rules are pure: text in, `RuleReading` out. They never see who sent the message.
"""

from __future__ import annotations

import functools
import re
import unicodedata
from dataclasses import dataclass, field
from typing import Any, Literal

import yaml
from rapidfuzz.distance import OSA

from bot.config import ROOT
from bot.language.normalise import normalise as plain

SIGNS_FILE = ROOT / "data" / "safety" / "signs.yml"

Category = Literal["emergency", "urgent", "distress"]
Action = Literal["alert", "ask", "none"]
# Why a matched sign did not alarm, in the order they are checked.
Veto = Literal[
    "negated", "hypothetical", "question", "distant_past", "third_party_past", "resolved"
]
VETOES: tuple[Veto, ...] = (
    "negated",
    "hypothetical",
    "question",
    "distant_past",
    "third_party_past",
    "resolved",
)

# Which decision wins when a message matches several signs: an emergency alert, then a
# distress alert, then a question about an emergency, then an urgent alert.
RANK: dict[tuple[str, str], int] = {
    ("alert", "emergency"): 5,
    ("alert", "distress"): 4,
    ("ask", "emergency"): 3,
    ("alert", "urgent"): 2,
}


@dataclass(frozen=True)
class Sign:
    """One red-flag pattern. `requires` must also occur somewhere in the message."""

    code: str
    category: Category
    pattern: re.Pattern[str]
    lang: str = "en"
    ask_only: bool = False
    requires: re.Pattern[str] | None = None


@dataclass(frozen=True)
class RuleReading:
    """What the rules found: their decision, and the vetoed signs behind a "none"."""

    action: Action = "none"
    category: Category | None = None
    sign: str | None = None
    lang: str | None = None
    vetoed: frozenset[tuple[str, Veto]] = field(default_factory=frozenset)
    idiom: bool = False

    def vetoed_because(self, veto: Veto) -> bool:
        """Whether some sign matched but was read as harmless for this reason."""
        return any(reason == veto for _, reason in self.vetoed)


@dataclass(frozen=True)
class _Context:
    idioms: re.Pattern[str]
    negation: re.Pattern[str]
    hypothetical: re.Pattern[str]
    question_start: re.Pattern[str]
    first_person_now: re.Pattern[str]
    distant_past: re.Pattern[str]
    past_verb: re.Pattern[str]
    recent_time: re.Pattern[str]
    ongoing: re.Pattern[str]
    third_party: re.Pattern[str]
    person_or_now: re.Pattern[str]
    scope_break: re.Pattern[str]
    negation_window: int


@dataclass(frozen=True)
class Rules:
    """Everything in signs.yml, compiled."""

    signs: tuple[Sign, ...]
    context: _Context
    vocabulary: frozenset[str]
    protected: frozenset[str]
    by_initial: dict[str, tuple[str, ...]]
    cues: dict[str, re.Pattern[str]]
    laughter_emoji: tuple[str, ...]


def _expand(pattern: str, fragments: dict[str, str]) -> str:
    for name, fragment in fragments.items():
        pattern = pattern.replace("{" + name + "}", fragment)
    return pattern


def _compile_rules(data: dict[str, Any]) -> Rules:
    fragments = {str(k): str(v) for k, v in (data.get("fragments") or {}).items()}
    signs = tuple(
        Sign(
            code=str(row["code"]),
            category=row["category"],
            pattern=re.compile(_expand(str(row["pattern"]), fragments)),
            lang=str(row.get("lang", "en")),
            ask_only=bool(row.get("ask_only", False)),
            requires=(
                re.compile(_expand(str(row["requires"]), fragments))
                if row.get("requires")
                else None
            ),
        )
        for row in data["signs"]
    )
    ctx = data["context"]
    context = _Context(
        **{
            name: re.compile(str(ctx[name]))
            for name in _Context.__dataclass_fields__
            if name != "negation_window"
        },
        negation_window=int(ctx["negation_window"]),
    )
    vocabulary = frozenset(str(w) for w in data["vocabulary"])
    by_initial: dict[str, list[str]] = {}
    for word in sorted(vocabulary):
        if len(word) >= 4:
            by_initial.setdefault(word[0], []).append(word)
    return Rules(
        signs=signs,
        context=context,
        vocabulary=vocabulary,
        protected=frozenset(str(w) for w in data["protected"]),
        by_initial={k: tuple(v) for k, v in by_initial.items()},
        cues={str(k): re.compile(str(v)) for k, v in (data.get("cues") or {}).items()},
        laughter_emoji=tuple(str(e) for e in data.get("laughter_emoji") or ()),
    )


@functools.cache
def rules() -> Rules:
    """The rules file, loaded and compiled once per process."""
    data = yaml.safe_load(SIGNS_FILE.read_text(encoding="utf-8"))
    if not isinstance(data, dict) or not data.get("signs"):
        raise ValueError(f"{SIGNS_FILE.name} must hold a list of signs")
    return _compile_rules(data)


# ------------------------------------------------------------------ normalisation


@functools.lru_cache(maxsize=8192)
def correct_word(word: str) -> str:
    """The key word a typo most likely meant (rapidfuzz OSA distance), or the word itself."""
    table = rules()
    if word in table.vocabulary or word in table.protected or not word.isalpha():
        return word
    if len(word) < 3:
        return word
    if len(word) == 3:
        doubled = word + word[-1]
        return doubled if doubled in table.vocabulary else word
    limit = 1 if len(word) < 8 else 2
    best, best_distance = word, limit + 1
    for candidate in table.by_initial.get(word[0], ()):
        if len(word) == 4 and sorted(word) != sorted(candidate):
            continue  # four letters: only swapped letters ("pian"), too many real words else
        distance = OSA.distance(word, candidate, score_cutoff=limit)
        if distance < best_distance:
            best, best_distance = candidate, distance
    return best


def normalise(text: str) -> str:
    """The rules' form: plain text (bot.language), no accents or apostrophes, typos fixed."""
    text = unicodedata.normalize("NFKD", plain(text))
    text = "".join(c for c in text if not unicodedata.combining(c))
    text = re.sub(r"(\w)'n\b", r"\1 yn", text)
    text = re.sub(r"(\w)'r\b", r"\1 y", text)
    text = text.replace("'", "")
    # Keep clause punctuation and decimal points; everything else becomes a space.
    text = re.sub(r"(?<!\d)\.|\.(?!\d)", " . ", text)
    text = re.sub(r"[^\w.,!?;\n]+", " ", text)
    text = re.sub(r"([,!?;\n])", r" \1 ", text)
    return " ".join(correct_word(w) for w in text.split(" ") if w)


def clauses(normalised: str) -> list[str]:
    """The message split at sentence and comma boundaries, without the punctuation."""
    parts = re.split(r"\s*[.,!?;\n]\s*", normalised)
    return [p.strip() for p in parts if p.strip()]


# ------------------------------------------------------------------ reading


def _negated(before: str, ctx: _Context) -> bool:
    scope = ctx.scope_break.split(before)[-1] if ctx.scope_break.search(before) else before
    words = scope.split()[-ctx.negation_window :]
    return bool(ctx.negation.search(" ".join(words)))


def _judge(
    sign: Sign,
    clause: str,
    start: int,
    message: str,
    asked: bool,
    ctx: _Context,
    resolved: re.Pattern[str] | None,
) -> Action | Veto:
    """How one matched sign reads in its clause: an action, or why it does not alarm."""
    before = clause[:start]
    if _negated(before, ctx):
        return "negated"
    if ctx.hypothetical.search(before):
        return "hypothetical"
    if asked and ctx.question_start.search(clause) and not ctx.first_person_now.search(clause):
        return "question"
    if ctx.distant_past.search(clause):
        return "distant_past"
    past = bool(ctx.past_verb.search(before))
    if past and ctx.third_party.search(before):
        return "third_party_past"
    recent = past or bool(ctx.recent_time.search(clause))
    if recent and resolved is not None and resolved.search(message):
        return "resolved"  # "had a hypo at 11, jelly babies sorted it, 6.4 now"
    if sign.category == "urgent":
        return "alert"
    if sign.ask_only:
        return "ask"
    if past and not ctx.ongoing.search(clause):
        return "alert" if sign.category == "distress" else "ask"
    if (
        ctx.recent_time.search(clause)
        and not ctx.ongoing.search(clause)
        and sign.category == "emergency"
    ):
        return "ask"
    if sign.category == "emergency" and not ctx.person_or_now.search(message):
        return "ask"
    return "alert"


def read(text: str) -> RuleReading:
    """What the rules make of a message."""
    table = rules()
    ctx = table.context
    normalised = normalise(text)
    without_idioms = re.sub(r" +", " ", ctx.idioms.sub(" ", normalised))
    asked = text.strip().endswith("?")
    parts = clauses(without_idioms)
    message = " ".join(parts)
    best = RuleReading(idiom=without_idioms != normalised)
    best_rank = 0
    vetoed: set[tuple[str, Veto]] = set()
    for clause in parts:
        for sign in table.signs:
            if sign.requires is not None and not sign.requires.search(message):
                continue
            for match in sign.pattern.finditer(clause):
                verdict = _judge(
                    sign, clause, match.start(), message, asked, ctx, table.cues.get("resolved")
                )
                if verdict not in ("alert", "ask"):
                    vetoed.add((sign.code, verdict))  # type: ignore[arg-type]
                    continue
                rank = RANK.get((verdict, sign.category), 1)
                if rank > best_rank:
                    best_rank = rank
                    best = RuleReading(
                        verdict,
                        sign.category,
                        sign.code,
                        sign.lang,
                        idiom=best.idiom,
                    )
    return RuleReading(
        best.action, best.category, best.sign, best.lang, frozenset(vetoed), best.idiom
    )


# ------------------------------------------------------------------ cues for the semantic layer

CUES = (
    "negation",
    "hypothetical",
    "question",
    "distant_past",
    "past_verb",
    "recent_time",
    "ongoing",
    "third_party",
    "first_person_now",
    "resolved",
    "laughter",
    "teachback",
    "sugar_below_3",
    "sugar_3_to_4",
    "sugar_4_to_15",
    "sugar_over_15",
    "length",
)


def cues(text: str) -> tuple[float, ...]:
    """What in a whole message tells a live report from a mention, as numbers (see CUES)."""
    table = rules()
    ctx = table.context
    n = normalise(text)
    found = [
        ctx.negation.search(n),
        ctx.hypothetical.search(n),
        ctx.question_start.search(n) or text.strip().endswith("?"),
        ctx.distant_past.search(n),
        ctx.past_verb.search(n),
        ctx.recent_time.search(n),
        ctx.ongoing.search(n),
        ctx.third_party.search(n),
        ctx.first_person_now.search(n),
        table.cues["resolved"].search(n),
        table.cues["laughter"].search(n) or any(e in text for e in table.laughter_emoji),
        table.cues["teachback"].search(n),
    ]
    readings = [float(m.group(2)) for m in table.cues["sugar_reading"].finditer(n)]
    lowest = min(readings) if readings else None
    buckets = [
        lowest is not None and lowest < 3.0,
        lowest is not None and 3.0 <= lowest < 4.0,
        lowest is not None and 4.0 <= lowest <= 15.0,
        lowest is not None and lowest > 15.0,
    ]
    return (
        *(float(bool(f)) for f in found),
        *(float(b) for b in buckets),
        min(len(n.split()), 60) / 60,
    )
