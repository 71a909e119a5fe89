"""Numbers, times, amounts and how often, read the way patients say them.

"quarter of an hour", "2x daily", "morning and night", "a fortnight", "half 6", "within a
day", "bore a nos": each becomes a `Quantity` (a kind, a range of values in one unit, and
how the words bound it), so "for 7 days" meets "a week" and not "a fortnight". The words
and patterns are data (`data/teachback/quantities.yml`); this module only applies them.

`judge` decides, for one key point, whether the answer says each of its quantities
(matched), says a different one (conflict), or says none (missing).
"""

from __future__ import annotations

import functools
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any, Literal

import yaml

from bot.config import ROOT
from bot.teachback import welsh

QUANTITIES_FILE = ROOT / "data" / "teachback" / "quantities.yml"
Kind = Literal["time", "rate", "number", "mass", "length", "clock"]
Bound = Literal["exact", "about", "up_to", "deadline", "at_least", "more_than"]
Comparison = Literal["match", "compatible", "conflict", "unrelated"]
TWELVE_HOURS = 720  # minutes on a clock face


@dataclass(frozen=True)
class Quantity:
    """An amount in the text: its kind, its range in base units, and where it was said.

    `said` is the bare number as spoken ("10" of "10 seconds"), so an answer that says only
    "hold it for 10" can still meet it.
    """

    kind: str
    low: float
    high: float
    bound: str
    start: int
    end: int
    said: tuple[float, float] | None = None
    keep: bool = False  # its words also count on their own ("with breakfast and tea")


@dataclass(frozen=True)
class Verdict:
    """How an answer's quantities stand against one key point's."""

    needed: int  # groups of quantities the point names
    matched: int
    conflict: bool
    evidence: tuple[Quantity, ...] = ()

    @property
    def complete(self) -> bool:
        """Every quantity the point names is said, and none is contradicted."""
        return self.matched == self.needed and not self.conflict


@dataclass(frozen=True)
class _Table:
    numbers: dict[str, float]
    vague: dict[str, tuple[float, float]]
    fractions: dict[str, float]
    units: dict[str, tuple[str, float]]
    ordinal_nouns: frozenset[str]
    bounds: dict[str, str]
    phrases: tuple[tuple[re.Pattern[str], str, float, float, str, bool], ...]
    ignore: tuple[re.Pattern[str], ...]
    clock: dict[str, int]
    amount: re.Pattern[str]
    bare: re.Pattern[str]
    clock_pattern: re.Pattern[str]
    per_unit: re.Pattern[str]
    bare_unit: re.Pattern[str]
    durations_after: frozenset[str]


def _alternation(words: Iterable[str]) -> str:
    return "|".join(re.escape(w) for w in sorted(set(words), key=len, reverse=True))


def _welsh_forms(words: Iterable[str]) -> dict[str, str]:
    """Each Welsh word and its mutated forms ("munud" -> "funud"), back to the word."""
    forms: dict[str, str] = {}
    for word in words:
        forms.setdefault(word, word)
        for mutated in welsh.mutations(word):
            forms.setdefault(mutated, word)
    return forms


@functools.cache
def _data() -> dict[str, Any]:
    data: dict[str, Any] = yaml.safe_load(QUANTITIES_FILE.read_text(encoding="utf-8"))
    return data


@functools.cache
def tolerance(bound: str) -> float:
    """How far (as a factor) an answer's amount may sit from a point's."""
    table: dict[str, float] = _data()["tolerance"]
    return float(table.get(bound, table["exact"]))


@functools.cache
def _table(lang: str) -> _Table:
    raw = _data()[lang]
    numbers = {str(k): float(v) for k, v in raw["numbers"].items()}
    units = {str(k): (str(v[0]), float(v[1])) for k, v in raw["units"].items()}
    if lang == "cy":
        numbers = {form: numbers[word] for form, word in _welsh_forms(numbers).items()}
        units = {form: units[word] for form, word in _welsh_forms(units).items()}
    vague = {str(k): (float(v[0]), float(v[1])) for k, v in raw["vague"].items()}
    fractions = {str(k): float(v) for k, v in raw["fractions"].items()}
    bounds = {str(k): str(v) for k, v in raw["bounds"].items()}
    number = rf"\d+(?:\.\d+)?|{_alternation(numbers)}"
    joiner = r"\s?(?:-|to|or|and|i|neu|a|ac|hyd at)\s?"
    amount = (
        rf"(?:(?P<bound>{_alternation(bounds)})\s)?(?:between\s|rhwng\s)?"
        rf"(?:(?P<lo>{number})(?:{joiner}(?P<hi>{number}))?|(?P<vague>{_alternation(vague)})"
        rf"|(?P<fraction>{_alternation(fractions)}))"
        rf"\s?(?:(?:o|of)\s)?(?P<unit>{_alternation(units)})"
        rf"(?:\s(?P<after>or so|ish|or less|or under|or more|or longer|at most|max|tops|at least))?"
    )
    ordinals = frozenset(str(w) for w in raw.get("ordinal_nouns") or ())
    phrases = tuple(
        (re.compile(rf"(?<![\w'])(?:{row[0]})(?![\w'])"), str(row[1]), float(row[2]),
         float(row[3]), str(row[4]), len(row) > 5 and row[5] == "keep")
        for row in raw["phrases"]
    )  # fmt: skip
    ignore = tuple(re.compile(rf"(?<![\w'])(?:{p})(?![\w'])") for p in raw.get("ignore") or ())
    clock = {str(k): int(v) for k, v in (raw.get("clock") or {}).items()}
    clock_pattern = (
        rf"(?P<words>{_alternation(clock)})\s(?P<hour>\d{{1,2}}|{_alternation(numbers)})(?!\s?\d)"
        r"|(?P<h>\d{1,2})[:.](?P<m>[0-5]\d)\s?(?P<ampm>am|pm|yb|yh)?"
        r"|(?P<h2>\d{1,2})\s?(?P<ampm2>am|pm|yb|yh|o'clock|o'r gloch)"
    )
    per_unit = r"\s?(?:a|per|each|/|the|y|bob|yr)\s?(?:day|week|dydd|diwrnod|wythnos)(?![\w'])"
    return _Table(
        numbers=numbers,
        vague=vague,
        fractions=fractions,
        units=units,
        ordinal_nouns=ordinals,
        bounds=bounds,
        phrases=phrases,
        ignore=ignore,
        clock=clock,
        amount=re.compile(rf"(?<![\w'.]){amount}(?![\w'])"),
        bare=re.compile(rf"(?<![\w'.])(?:(?P<lo>{number})(?:{joiner}(?P<hi>{number}))?)(?![\w'])"),
        clock_pattern=re.compile(rf"(?<![\w'.])(?:{clock_pattern})(?![\w'])"),
        per_unit=re.compile(per_unit),
        bare_unit=re.compile(
            rf"(?<![\w'])(?:(?P<bound>{_alternation(bounds)})\s)?"
            rf"(?P<unit>{_alternation(u for u in units if u in _BARE_UNITS_CY)})(?![\w'])"
        ),
        durations_after=frozenset(str(w) for w in raw.get("durations_after") or ()),
    )


_BARE_UNITS_CY = frozenset(
    form
    for word in ("wythnos", "pythefnos", "awr", "munud", "eiliad", "mis", "diwrnod")
    for form in {word, *welsh.mutations(word)}
)
_PER_UNITS = frozenset({"day", "week", "dydd", "diwrnod", "wythnos", "ddydd"})


@functools.cache
def known_words(lang: str) -> frozenset[str]:
    """Every word the quantity tables read, for typo correction."""
    table = _table(lang)
    words: set[str] = set()
    for phrase in [*table.numbers, *table.vague, *table.fractions, *table.units, *table.bounds]:
        words.update(w for w in phrase.split() if len(w) >= 3)
    return frozenset(words)


def _value(word: str, table: _Table) -> float | None:
    if not word:
        return None
    if word[0].isdigit():
        return float(word)
    return table.numbers.get(word)


def _free(taken: list[bool], start: int, end: int) -> bool:
    return not any(taken[start:end])


def _take(taken: list[bool], start: int, end: int) -> None:
    for i in range(start, end):
        taken[i] = True


def find_quantities(text: str, lang: str) -> list[Quantity]:
    """Every quantity in lower-cased, normalised text, in the order said."""
    table = _table(lang)
    taken = [False] * len(text)
    found: list[Quantity] = []
    for pattern in table.ignore:
        for match in pattern.finditer(text):
            _take(taken, match.start(), match.end())
    other = _table("cy" if lang == "en" else "en")  # "bore a nos" in an English answer
    for pattern, kind, low, high, bound, keep in (*table.phrases, *other.phrases):
        for match in pattern.finditer(text):
            if _free(taken, match.start(), match.end()):
                found.append(Quantity(kind, low, high, bound, *match.span(), keep=keep))
                _take(taken, match.start(), match.end())
    for match in table.clock_pattern.finditer(text):
        if _free(taken, match.start(), match.end()):
            minutes = _clock(match, table)
            if minutes is not None:
                found.append(Quantity("clock", minutes, minutes, "exact", *match.span()))
                _take(taken, match.start(), match.end())
    for match in table.amount.finditer(text):
        if not _free(taken, match.start(), match.end()):
            continue
        quantity = _amount(match, text, table)
        if quantity is not None:
            found.append(quantity)
            end = quantity.end
            per = table.per_unit.match(text, end)
            _take(taken, match.start(), per.end() if per else end)
    if lang == "cy":  # "am wythnos": a Welsh unit with no number is one of it
        for match in table.bare_unit.finditer(text):
            if _free(taken, match.start(), match.end()):
                kind, factor = table.units[match["unit"]]
                bound = table.bounds.get(match["bound"] or "", "exact")
                low = 0.0 if bound == "deadline" else factor
                found.append(Quantity(kind, low, factor, bound, *match.span()))
                _take(taken, match.start(), match.end())
    for match in re.finditer(r"(?<![\w'])(?:twice|ddwywaith|dwywaith)(?![\w'])", text):
        if _free(taken, match.start(), match.end()):
            found.append(Quantity("number", 2, 2, "exact", *match.span(), said=(2, 2)))
            _take(taken, match.start(), match.end())
    for match in table.bare.finditer(text):
        if not _free(taken, match.start(), match.end()):
            continue
        said = _value(match["lo"], table)
        upper = _value(match["hi"] or "", table)
        if said is None or (not match["lo"][0].isdigit() and said < 2 and not match["hi"]):
            continue  # "one" is more often "the blue one" than a count
        top = said if upper is None or upper < said else upper
        found.append(Quantity("number", said, top, "exact", *match.span(), said=(said, top)))
        _take(taken, match.start(), match.end())
    found.sort(key=lambda q: q.start)
    return found


def _clock(match: re.Match[str], table: _Table) -> float | None:
    if match["words"]:
        hour = _value(match["hour"], table)
        if hour is None or not 1 <= hour <= 12:
            return None
        offset = table.clock[match["words"]]
        return ((hour % 12) * 60 + offset) % TWELVE_HOURS
    hour_text = match["h"] or match["h2"]
    hour = int(hour_text)
    minutes = int(match["m"]) if match["m"] else 0
    if hour > 23:
        return None
    return float((hour % 12) * 60 + minutes)


def _amount(match: re.Match[str], text: str, table: _Table) -> Quantity | None:
    unit = match["unit"]
    kind, factor = table.units[unit]
    start, end = match.span()
    if len(unit) == 1 and not (match["lo"] and match["lo"][0].isdigit()):
        return None  # "s", "m", "h" only after a figure ("10s"), never "as your plan says"
    if not match["lo"] and text[match.start("unit") - 1 : match.start("unit")] != " ":
        return None  # a word amount needs a space before its unit
    if kind == "time" and unit in ("second", "s", "eiliad") and _ordinal(text, end, table):
        return None  # "a second puff"
    if match["lo"]:
        low = _value(match["lo"], table)
        high = _value(match["hi"] or "", table) if match["hi"] else low
        if low is None or high is None:
            return None
        low, high = min(low, high), max(low, high)
    elif match["vague"]:
        low, high = table.vague[match["vague"]]
    else:
        low = high = table.fractions[match["fraction"]]
    if (
        match["fraction"] in ("a", "an", "un")
        and unit in _PER_UNITS
        and not match["bound"]
        and _word_before(text, start) not in table.durations_after
    ):
        return None  # "6 g of salt a day": per day, not for a day
    said = (low, high) if match["lo"] else None
    bound = table.bounds.get(match["bound"] or "", "exact")
    after = match["after"] or ""
    if after in ("or so", "ish"):
        bound = "about"
    elif after in ("or less", "or under", "at most", "max", "tops"):
        bound = "deadline"
    elif after in ("or more", "or longer", "at least"):
        bound = "at_least"
    if bound == "deadline":
        return Quantity(kind, 0.0, high * factor, bound, start, end, said)
    return Quantity(kind, low * factor, high * factor, bound, start, end, said)


def _word_before(text: str, start: int) -> str:
    before = re.search(r"([\w']+)\s*$", text[:start])
    return before.group(1) if before else ""


def _ordinal(text: str, end: int, table: _Table) -> bool:
    following = re.match(r"\s(\w+)", text[end:])
    return bool(following and following.group(1) in table.ordinal_nouns)


# ---------------------------------------------------------------------------- comparing


def compare(point: Quantity, answer: Quantity) -> Comparison:
    """Whether an answer's quantity says the point's, says something else, or is unrelated."""
    if answer.kind == "number" and point.kind != "number":
        if point.said is not None and answer.said is not None:
            return "match" if _overlap(point.said, answer.said, 1.0) else "unrelated"
        return "unrelated"
    if answer.kind != point.kind:
        return "unrelated"
    if point.kind == "number":
        return (
            "match"
            if _overlap((point.low, point.high), (answer.low, answer.high), 1.0)
            else ("conflict")
        )
    if point.kind == "clock":
        gap = abs(point.low - answer.low) % TWELVE_HOURS
        return "match" if min(gap, TWELVE_HOURS - gap) <= 15 else "conflict"
    if point.kind == "rate":
        return _compare_rate(point, answer)
    return _compare_amount(point, answer)


def _overlap(a: tuple[float, float], b: tuple[float, float], factor: float) -> bool:
    return a[0] / factor <= b[1] + 1e-9 and b[0] <= a[1] * factor + 1e-9


def _compare_rate(point: Quantity, answer: Quantity) -> Comparison:
    if point.bound == "at_least":  # "every day": twice a day is every day too
        if answer.high + 1e-9 >= point.low:
            return "match"
        return "conflict"
    if answer.bound == "at_least":  # "every day" for "twice a day": true, but not enough
        return "compatible" if answer.low <= point.high + 1e-9 else "conflict"
    return (
        "match"
        if _overlap((point.low, point.high), (answer.low, answer.high), 1.01)
        else ("conflict")
    )


def _compare_amount(point: Quantity, answer: Quantity) -> Comparison:
    exact = tolerance("exact")
    if point.bound == "deadline":  # "within 2 days": sooner is fine too
        return "match" if answer.high <= point.high * 1.1 + 1e-9 else "conflict"
    if point.bound in ("at_least", "more_than"):  # "more than 10 minutes": about 10, or over
        if answer.bound == "deadline":
            return "conflict"
        ceiling = tolerance("about") if answer.bound in ("at_least", "more_than") else 2.0
        if point.low <= answer.low * 1.1 + 1e-9 and answer.low <= point.low * ceiling:
            return "match"
        return "conflict"
    if point.bound == "up_to":  # "up to 10 seconds": about that, and not more
        low, high = point.high * 0.4, point.high * 1.1
    else:
        factor = tolerance(point.bound if answer.bound != "about" else "about")
        low, high = point.low / factor, point.high * factor
    if answer.bound == "deadline":
        return "match" if low <= answer.high <= high * exact else "conflict"
    if answer.bound in ("at_least", "more_than"):
        return "compatible" if answer.low <= high else "conflict"
    if low - 1e-9 <= answer.low and answer.high <= high + 1e-9:
        return "match"
    if answer.high - answer.low > 0 and _overlap((low, high), (answer.low, answer.high), 1.0):
        return "compatible"  # "a few days" for "2 days"
    return "conflict"


def groups(quantities: Sequence[Quantity]) -> list[list[Quantity]]:
    """A point's quantities, with two ways of saying one amount ("6 g, about a teaspoon",
    "once a day ... each day") in one group: the answer needs only one of them."""
    out: list[list[Quantity]] = []
    for quantity in quantities:
        for group in out:
            if any(_same_amount(quantity, other) for other in group):
                group.append(quantity)
                break
        else:
            out.append([quantity])
    return out


def _same_amount(a: Quantity, b: Quantity) -> bool:
    if a.kind != b.kind:
        return False
    if a.kind in ("rate", "number", "clock"):
        return _overlap((a.low, a.high), (b.low, b.high), 1.01)
    return _overlap((a.low, a.high), (b.low, b.high), tolerance("about"))


def judge(
    point: Sequence[Quantity],
    answer: Sequence[Quantity],
    negated: Sequence[bool] = (),
    relevant: Sequence[bool] = (),
) -> Verdict:
    """How the answer's quantities stand against the point's.

    A negated answer quantity ("you don't need to wait 30 seconds") that would have matched
    is a conflict: it says the opposite. Only `relevant` answer quantities (said about this
    point, not another) can conflict; any can match.
    """
    flags = list(negated) or [False] * len(answer)
    about = list(relevant) or [True] * len(answer)
    needed = groups(point)
    matched = 0
    conflict = False
    evidence: list[Quantity] = []
    for group in needed:
        outcomes = [
            (compare(p, a), a, flag, near)
            for p in group
            for a, flag, near in zip(answer, flags, about, strict=True)
        ]
        hits = [a for outcome, a, flag, _ in outcomes if outcome == "match" and not flag]
        if hits:
            matched += 1
            evidence += hits
        elif any(outcome in ("match", "conflict") and near for outcome, _, _, near in outcomes):
            conflict = True
            evidence += [a for outcome, a, _, near in outcomes if outcome != "unrelated" and near]
    return Verdict(len(needed), matched, conflict, tuple(evidence))
