"""Grade a teach-back answer against a chunk's key points, offline and in a few milliseconds.

Each key point and the answer become *units*: concepts from the lexicon (everyday words,
times, amounts, fixed phrases) or lemmas of the remaining content words. A key point is
covered when the answer holds enough of its weighted units, every time or amount it names,
and nothing that says the opposite (a negated match, an antonym, a different number).
The evidence is the answer's own words that matched, which clinicians see.

Lemmas come from spaCy's lookup lemmatizer (`spacy-lookups-data`); word weights from its
English word probabilities, so rare, specific words count more than "take" or "glass".
Welsh words are compared by their radical forms, so mutations do not matter.

`grade_reference_answers` is a second, separate mode for the other shape of task: one
whole model answer per question (SemEval-2013 Task 7). It scores the same matches
differently, as a logistic combination of recall, precision, loose (stem) matches, word
pairs, size and negation, with constants fitted on a training split only. The coach's
teach-back dialogue does not use it: `grade_teachback`/`grade_with_phrasings` score as before.
"""

from __future__ import annotations

import functools
import gzip
import itertools
import json
import math
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from rapidfuzz.distance import OSA
from rapidfuzz.process import extractOne

from bot.teachback import lexicon, welsh

LANGUAGES = ("en", "cy")
COVERAGE_THRESHOLD = 0.55
LEAD_BOOST = 2.0
AMOUNT_THRESHOLD = 0.35
GIVEN_DISCOUNT = 0.25
DEFAULT_CONCEPT_WEIGHT = 0.8
WELSH_WORD_WEIGHT = 0.6
COMMON_WORD_LOGPROB = -13.5  # a word at least this common is spelt as meant

_TOKEN = re.compile(
    r"\d+(?:\.\d+)?|[^\W\d_]+(?:['\u2019][^\W\d_]+)*|['\u2019][^\W\d_]+|[^\w\s]", re.UNICODE
)
_WELSH_CLITIC = re.compile(r"^(.+?)(['\u2019](?:n|r|m|ch|w|i|u|th))$")
_DURATION = re.compile(
    r"\b(?:(?P<d>\d+(?:\.\d+)?)\s?|(?P<w>half an?|quarter of an|a couple of|couple of|a few|few|"
    r"several|an?|un|hanner)\s)(?P<unit>"
    + "|".join(sorted(lexicon.UNIT_SECONDS, key=len, reverse=True))
    + r")\b(?!\s(?:puff|dose|time|reading|one|go|spray|inhaler|set|pwff))"
)
_VAGUE = {"a few", "few", "several", "a couple of", "couple of"}
_LINK_WORDS = {"or", "neu", "/", "and/or"}
_EXAMPLE_WORDS = {
    "like",
    "such",
    "e.g.",
    "eg",
    "including",
    "include",
    "includes",
    "fel",
    "megis",
    "gan gynnwys",
}


@dataclass(frozen=True)
class PointResult:
    """One key point's grade: covered or not, the answer's matching words, and why not."""

    covered: bool
    evidence: list[str]
    contradicted: bool = False
    score: float = 0.0
    amounts_ok: bool = True


@dataclass
class _Unit:
    concept: str
    start: int
    end: int
    keys: frozenset[str]
    weight: float
    negated: bool = False


@dataclass
class _Text:
    lang: str
    raw: str
    spans: list[tuple[int, int]]
    tokens: list[str]
    units: list[_Unit] = field(default_factory=list)


# ------------------------------------------------------------------------------ resources


@functools.cache
def _lookups_dir() -> Path:
    import spacy_lookups_data  # type: ignore[import-untyped]

    return Path(spacy_lookups_data.__file__).parent / "data"


@functools.cache
def _word_logprob() -> dict[str, float]:
    """English word log-probabilities, kept only for words common enough to matter."""
    with gzip.open(_lookups_dir() / "en_lexeme_prob.json.gz", "rt", encoding="utf-8") as f:
        table: dict[str, float] = json.load(f)
    return {word: prob for word, prob in table.items() if prob > -17.0}


@functools.cache
def _english_lemmatizer() -> object:
    import spacy

    nlp = spacy.blank("en")
    nlp.add_pipe("lemmatizer", config={"mode": "lookup"})
    nlp.initialize()
    return nlp


@functools.cache
def _lemma(word: str) -> str:
    from spacy.language import Language
    from spacy.tokens import Doc

    nlp = _english_lemmatizer()
    assert isinstance(nlp, Language)
    doc = nlp.get_pipe("lemmatizer")(Doc(nlp.vocab, words=[word]))
    lemma = doc[0].lemma_.lower()
    return lemma or word


@functools.cache
def _stopwords(lang: str) -> frozenset[str]:
    if lang == "cy":
        return lexicon.STOPWORDS_CY
    from spacy.lang.en.stop_words import STOP_WORDS

    return (frozenset(STOP_WORDS) | lexicon.EN_EXTRA_STOPWORDS) - lexicon.EN_KEEP


@functools.cache
def _lexicon_words(lang: str) -> frozenset[str]:
    words = {w for phrase in lexicon.CONCEPTS[lang] for w in phrase.split()}
    words.update(lexicon.NUMBER_WORDS[lang])
    words.update(lexicon.UNIT_SECONDS)
    for rule in lexicon.RULES[lang]:
        plain = re.sub(r"\\[a-zA-Z]", " ", rule.pattern.pattern)
        words.update(re.findall(r"[a-zâêîôûŵŷ']{4,}", plain))
    return frozenset(words)


def warm_up() -> None:
    """Load the lookup tables now rather than on the first answer."""
    _word_logprob()
    _english_lemmatizer()
    _lexicon_words("en")
    _lexicon_words("cy")


# ------------------------------------------------------------------------------ analysis


def _tokenise(text: str, lang: str) -> tuple[list[str], list[tuple[int, int]]]:
    tokens: list[str] = []
    spans: list[tuple[int, int]] = []
    lowered = text.lower().replace("\u2019", "'")
    for match in _TOKEN.finditer(lowered):
        word, start = match.group(), match.start()
        clitic = _WELSH_CLITIC.match(word) if lang == "cy" else None
        if clitic:
            head = clitic.group(1)
            tokens += [head, clitic.group(2)]
            spans += [(start, start + len(head)), (start + len(head), match.end())]
        else:
            tokens.append(word)
            spans.append((start, match.end()))
    return tokens, spans


def _known(word: str, lang: str) -> bool:
    if lang == "en":
        return _word_logprob().get(word, -99.0) >= COMMON_WORD_LOGPROB
    return word in lexicon.STOPWORDS_CY


def _correct(tokens: list[str], lang: str, vocabulary: frozenset[str]) -> list[str]:
    """Respell unknown words as the nearest key-point or lexicon word (typos).

    Ties go to the alphabetically first word, so a grade never depends on set order.
    """
    out = []
    choices: list[str] = []
    for token in tokens:
        if (
            len(token) >= 4
            and token.isalpha()
            and token not in vocabulary
            and not _known(token, lang)
            and not (lang == "cy" and welsh.radicals(token) & vocabulary)
        ):
            limit = 1 if len(token) <= 5 else 2
            choices = choices or sorted(vocabulary)
            best = extractOne(token, choices, scorer=OSA.distance, score_cutoff=limit)
            if best is not None:
                token = best[0]
        out.append(token)
    return out


def _numbers(tokens: list[str], lang: str) -> list[str]:
    table = lexicon.NUMBER_WORDS[lang]
    return [str(table[t]) if t in table and t != "un" else t for t in tokens]


def _analyse(text: str, lang: str, vocabulary: frozenset[str] | None) -> _Text:
    tokens, spans = _tokenise(text, lang)
    if vocabulary is not None:
        tokens = _correct(tokens, lang, vocabulary)
    tokens = _numbers(tokens, lang)
    result = _Text(lang, text, spans, tokens)
    result.units = _units(tokens, lang)
    _mark_negation(result)
    return result


def _joined(tokens: list[str]) -> tuple[str, list[int]]:
    """Tokens joined by spaces (Welsh clitics kept on their word), and where each starts."""
    starts: list[int] = []
    parts: list[str] = []
    pos = 0
    for token in tokens:
        if token.startswith("'") and parts:
            pos -= 1
            parts[-1] += token
        else:
            parts.append(token)
        starts.append(pos)
        pos += len(token) + 1
    return " ".join(parts), starts


def _token_range(starts: list[int], tokens: list[str], begin: int, end: int) -> tuple[int, int]:
    first = max(i for i, s in enumerate(starts) if s <= begin)
    last = max(i for i, s in enumerate(starts) if s < end)
    del tokens
    return first, last + 1


def _concept_weight(concept: str) -> float:
    if concept.startswith(lexicon.MANDATORY_PREFIXES):
        return 1.0
    return lexicon.CONCEPT_WEIGHTS.get(concept, DEFAULT_CONCEPT_WEIGHT)


def _duration(number: str, unit: str) -> str | None:
    seconds = lexicon.UNIT_SECONDS.get(unit)
    if seconds is None:
        return None
    if number in _VAGUE:
        return (
            "dur:weeks"
            if seconds == 604800
            else f"dur:{seconds * (2 if 'couple' in number else 3)}"
        )
    amount = {
        "a": 1.0,
        "an": 1.0,
        "un": 1.0,
        "half a": 0.5,
        "half an": 0.5,
        "hanner": 0.5,
        "quarter of an": 0.25,
        "dau": 2.0,
        "dwy": 2.0,
    }.get(number)
    if amount is None:
        amount = float(number)
    return f"dur:{round(amount * seconds)}"


def _units(tokens: list[str], lang: str) -> list[_Unit]:
    text, starts = _joined(tokens)
    taken = [False] * len(tokens)
    units: list[_Unit] = []

    def add(concept: str, first: int, last: int, consume: bool) -> None:
        units.append(_Unit(concept, first, last, frozenset({concept}), _concept_weight(concept)))
        if consume:
            for i in range(first, last):
                taken[i] = True

    for rule in lexicon.RULES[lang]:
        for match in rule.pattern.finditer(text):
            first, last = _token_range(starts, tokens, match.start(), match.end())
            if any(taken[first:last]):
                continue
            add(rule.concept, first, last, rule.consume)
    for match in _DURATION.finditer(text):
        first, last = _token_range(starts, tokens, match.start(), match.end())
        if any(taken[first:last]):
            continue
        concept = _duration(match.group("d") or match.group("w"), match.group("unit"))
        if concept is not None:
            add(concept, first, last, True)
    for i, token in enumerate(tokens):
        if taken[i]:
            continue
        if token in {"weeks", "wythnosau"}:
            add("dur:weeks", i, i + 1, True)
        elif token.isdigit():
            add(f"num:{int(token)}", i, i + 1, True)
    concepts = lexicon.CONCEPTS[lang]
    stop = _stopwords(lang) | lexicon.NEGATORS[lang]
    for i, token in enumerate(tokens):
        if taken[i] or not token[:1].isalpha():
            continue
        if lang == "en":
            lemma = _lemma(token)
            concept = concepts.get(token) or concepts.get(lemma)
            if concept:
                add(concept, i, i + 1, True)
            elif token not in stop and lemma not in stop and len(token) > 1:
                prob = _word_logprob().get(token, -16.0)
                weight = min(1.0, max(0.15, (-prob - 7.5) / 5.0))
                units.append(_Unit(f"w:{lemma}", i, i + 1, frozenset({lemma}), weight))
        else:
            forms = welsh.radicals(token)
            concept = next((concepts[f] for f in forms if f in concepts), None)
            if concept is None:
                table = _welsh_stem_concepts()
                candidates = welsh.stems(token) | {welsh.stem(s) for s in welsh.stems(token)}
                concept = next((table[f] for f in sorted(candidates) if f in table), None)
            if concept:
                add(concept, i, i + 1, True)
            elif not (forms & stop) and len(token) > 2:
                units.append(_Unit(f"w:{token}", i, i + 1, welsh.stems(token), WELSH_WORD_WEIGHT))
    units.sort(key=lambda u: (u.start, u.end))
    return units


@functools.cache
def _welsh_stem_concepts() -> dict[str, str]:
    table: dict[str, str] = {}
    for word, concept in lexicon.CONCEPTS["cy"].items():
        if " " not in word and len(word) >= 4:
            table.setdefault(word, concept)
            table.setdefault(welsh.stem(word), concept)
            table.setdefault(welsh.stem(welsh.stem(word)), concept)
    return table


def _is_negator(token: str, lang: str) -> bool:
    negators = lexicon.NEGATORS[lang]
    if lang == "cy":
        return bool(welsh.radicals(token) & negators)
    return token in negators or token.endswith("n't")


def _mark_negation(text: _Text) -> None:
    """A negator reaches the next few content words of its clause ("don't need to shake it")."""
    breaks = lexicon.CLAUSE_BREAKS[text.lang]
    stop = _stopwords(text.lang)
    negated_at: list[bool] = []
    reach = 0
    for token in text.tokens:
        if token in breaks:
            reach = 0
        negated_at.append(reach > 0)
        if _is_negator(token, text.lang):
            reach = lexicon.NEGATION_REACH
        elif reach and token not in stop and token[:1].isalnum():
            reach -= 1
    for unit in text.units:
        unit.negated = any(negated_at[unit.start : unit.end])


# ------------------------------------------------------------------------------ matching


def _same(point: _Unit, answer: _Unit, lang: str) -> bool:
    if point.concept == answer.concept:
        return True
    if point.concept == "dur:weeks" and answer.concept.startswith("dur:"):
        value = answer.concept[4:]
        return value == "weeks" or (value.isdigit() and 604800 <= int(value) <= 4838400)
    if point.concept.startswith("w:") and answer.concept.startswith("w:"):
        if point.keys & answer.keys:
            return True
        if lang == "cy":
            return any(
                len(a) >= 4 and len(b) >= 4 and (a.startswith(b) or b.startswith(a))
                for a in point.keys
                for b in answer.keys
            )
    return False


def _groups(point: _Text) -> list[list[_Unit]]:
    """Key-point units, with alternatives ("cuts, blisters or redness") in one group."""
    units = [u for u in point.units if u.weight > 0]
    if not units:
        return []
    links: list[str] = []
    for left, right in itertools.pairwise(units):
        between = point.tokens[left.end : right.start]
        if between and all(t in _LINK_WORDS | {","} for t in between):
            links.append("or" if any(t in _LINK_WORDS for t in between) else ",")
        elif between and all(t in {",", "and", "a", "ac"} for t in between):
            links.append(",")
        elif any(t in _EXAMPLE_WORDS for t in between) and all(
            t in _EXAMPLE_WORDS | {",", "as", "a", "an", "the"} for t in between
        ):
            links.append("example")
        else:
            links.append("")
    for i in range(len(links) - 2, -1, -1):  # "a, b or c": the comma joins too
        if links[i] == "," and links[i + 1] == "or":
            links[i] = "or"
    for i in range(1, len(links)):  # "includes a, b and c": any one of the examples
        if links[i] == "," and links[i - 1] in ("example", "example-list"):
            links[i] = "example-list"
    links = ["or" if link.startswith("example") else link for link in links]
    groups: list[list[_Unit]] = [[units[0]]]
    for link, unit in zip(links, units[1:], strict=True):
        if link == "or":
            groups[-1].append(unit)
        else:
            groups.append([unit])
    return groups


def _dedupe(groups: list[list[_Unit]]) -> list[list[_Unit]]:
    seen: set[str] = set()
    out = []
    for group in groups:
        concepts = {u.concept for u in group}
        if concepts <= seen:
            continue
        seen |= concepts
        out.append(group)
    return out


def _grade_point(point: _Text, answer: _Text) -> PointResult:
    lang = answer.lang
    groups = _dedupe(_groups(point))
    if not groups:
        return PointResult(False, [])
    total = matched_weight = 0.0
    matched: list[_Unit] = []
    contradicted = False
    missing_mandatory = False
    boosted = False
    for group in groups:
        weight = max(u.weight for u in group)
        if not boosted and weight >= DEFAULT_CONCEPT_WEIGHT * 0.5:
            weight *= LEAD_BOOST  # the first idea of a key point is usually its action
            boosted = True
        total += weight
        hits = [(p, a) for p in group for a in answer.units if _same(p, a, lang)]
        hits += [
            (p, a)  # "never barefoot" is said by "always wear shoes"
            for p in group
            for a in answer.units
            if a.concept in lexicon.ANTONYMS.get(p.concept, ())
            and a.negated != p.negated
            and a.concept not in lexicon.WEAK_ANTONYMS
            for p in [_Unit(p.concept, p.start, p.end, p.keys, p.weight, not p.negated)]
        ]
        agreeing = [a for p, a in hits if p.negated == a.negated]
        if hits and not agreeing:
            contradicted = True
            matched += [a for _, a in hits]
            continue
        if agreeing:
            matched_weight += weight
            matched += agreeing
        elif any(u.concept.startswith(lexicon.MANDATORY_PREFIXES) for u in group):
            missing_mandatory = True
            if _conflicting_amount(group, answer):
                contradicted = True
    near = {i for u in matched for i in range(u.start - 3, u.end + 3)}
    for unit in point.units:
        for opposite in lexicon.ANTONYMS.get(unit.concept, ()):
            for a in answer.units:
                if a.concept != opposite or a.negated != unit.negated:
                    continue
                if opposite in lexicon.WEAK_ANTONYMS and a.start not in near:
                    continue
                contradicted = True
                matched.append(a)
    score = matched_weight / total if total else 0.0
    threshold = COVERAGE_THRESHOLD
    if any(u.concept.startswith(lexicon.MANDATORY_PREFIXES) for u in point.units):
        threshold = AMOUNT_THRESHOLD  # every time and amount matched: strong evidence
    covered = score >= threshold and not contradicted and not missing_mandatory
    return PointResult(
        covered, _evidence(answer, matched), contradicted, round(score, 3), not missing_mandatory
    )


def _conflicting_amount(group: list[_Unit], answer: _Text) -> bool:
    kinds = {u.concept.split(":", 1)[0] for u in group}
    return any(a.concept.split(":", 1)[0] in kinds for a in answer.units if ":" in a.concept)


def _evidence(answer: _Text, units: list[_Unit]) -> list[str]:
    """The answer's own words behind the matched units, adjacent ones merged, in order."""
    ranges = sorted({(u.start, u.end) for u in units})
    merged: list[list[int]] = []
    for start, end in ranges:
        if merged and start <= merged[-1][1]:
            merged[-1][1] = max(merged[-1][1], end)
        else:
            merged.append([start, end])
    return [answer.raw[answer.spans[s][0] : answer.spans[e - 1][1]] for s, e in merged]


def _vocabulary(points: Sequence[_Text], lang: str) -> frozenset[str]:
    words = {t for p in points for t in p.tokens if t.isalpha() and len(t) >= 3}
    return frozenset(words) | _lexicon_words(lang)


def grade_teachback(key_points: Sequence[str], answer: str, lang: str = "en") -> list[PointResult]:
    """Grade one answer against plain-text key points; one result per point, in order.

    Accepted phrasings, when the content has them, are extra key-point texts: see
    `grade_with_phrasings`.
    """
    return grade_with_phrasings([[p] for p in key_points], answer, lang)


def grade_with_phrasings(
    key_points: Sequence[Sequence[str]], answer: str, lang: str = "en", given: str = ""
) -> list[PointResult]:
    """Grade against key points that each have one or more accepted wordings.

    A point is covered if any of its wordings is. Words of `given` (the question asked,
    when there is one) count little: repeating the question proves nothing.
    """
    if lang not in LANGUAGES:
        raise ValueError(f"unsupported language {lang!r}")
    points = [[_analyse(text, lang, None) for text in wordings] for wordings in key_points]
    if given:
        _discount(points, _analyse(given, lang, None), lang)
    vocabulary = _vocabulary([p for wordings in points for p in wordings], lang)
    analysed = _analyse(answer, lang, vocabulary)
    results = []
    for wordings in points:
        grades = [_grade_point(p, analysed) for p in wordings]
        results.append(max(grades, key=lambda g: (g.covered, g.score, not g.contradicted)))
    return results


def _discount(points: list[list[_Text]], given: _Text, lang: str) -> None:
    for wordings in points:
        for point in wordings:
            for unit in point.units:
                if any(_same(unit, other, lang) for other in given.units):
                    unit.weight *= GIVEN_DISCOUNT


# ------------------------------------------------------------------- reference-answer mode

_SUFFIXES = (
    "ments", "ment", "nesses", "ness", "ities", "ity", "ively", "ive", "ions", "ion", "ings", "ing", "ers",
    "er", "est", "edly", "ed", "ally", "ly", "als", "al", "ous", "ic", "es", "s", "e",
)  # fmt: skip


@functools.cache
def _stem(word: str) -> str:
    """A rough stem for loose matches ("vibrates", "vibration" -> "vibrat")."""
    for suffix in _SUFFIXES:
        if word.endswith(suffix) and len(word) - len(suffix) >= 4:
            word = word[: -len(suffix)]
            break
    return word[:-1] if word.endswith("e") and len(word) >= 5 else word


def _key(unit: _Unit) -> str:
    return min(unit.keys) if unit.concept.startswith("w:") else unit.concept


def _loose(unit: _Unit, others: Sequence[_Unit], lang: str) -> bool:
    if any(_same(unit, other, lang) for other in others):
        return True
    if not unit.concept.startswith("w:"):
        return False
    stems = {_stem(k) for k in unit.keys}
    return any(o.concept.startswith("w:") and stems & {_stem(k) for k in o.keys} for o in others)


def _share(units: Sequence[_Unit], found: Sequence[bool]) -> float:
    total = sum(u.weight for u in units)
    return sum(u.weight for u, f in zip(units, found, strict=True) if f) / total if total else 0.0


@functools.lru_cache(maxsize=1024)
def _analysed(text: str, lang: str) -> _Text:
    """A reference or question analysed once (callers must not change it)."""
    return _analyse(text, lang, None)


REFERENCE_FEATURES = (
    "coverage",
    "recall",
    "recall_loose",
    "recall_all",
    "precision",
    "precision_loose",
    "precision_all",
    "bigrams",
    "reference_size",
    "answer_size",
    "answer_tokens",
    "question_share",
    "novel",
    "negation_mismatch",
    "contradicted",
)


def reference_features(
    reference: str, answer: str, question: str = "", lang: str = "en"
) -> dict[str, float]:
    """Lexical features of an answer against one whole reference answer (SemEval style).

    Words of the question are left out of recall and precision: repeating the question
    proves nothing. Weights are the same word rarity weights the key-point grader uses.
    """
    point = _analysed(reference, lang)
    asked = _analysed(question, lang)
    said = _analyse(answer, lang, _vocabulary([point, asked], lang))
    coverage = grade_with_phrasings([[reference]], answer, lang, given=question)[0]
    ref_units = [u for u in point.units if u.weight > 0]
    ans_units = [u for u in said.units if u.weight > 0]
    asked_units = [u for u in asked.units if u.weight > 0]
    new_ref = [u for u in ref_units if not any(_same(u, q, lang) for q in asked_units)]
    in_question = [any(_same(a, q, lang) for q in asked_units) for a in ans_units]
    new_ans = [a for a, q in zip(ans_units, in_question, strict=True) if not q]
    ref_pairs = set(itertools.pairwise(_key(u) for u in ref_units))
    ans_pairs = set(itertools.pairwise(_key(u) for u in ans_units))
    said_negation = any(_is_negator(t, lang) for t in said.tokens)
    ref_negation = any(_is_negator(t, lang) for t in point.tokens)
    novel = sum(a.weight for a in new_ans if not _loose(a, ref_units, lang))
    return {
        "coverage": coverage.score,
        "recall": _share(new_ref, [any(_same(u, a, lang) for a in ans_units) for u in new_ref]),
        "recall_loose": _share(new_ref, [_loose(u, ans_units, lang) for u in new_ref]),
        "recall_all": _share(ref_units, [_loose(u, ans_units, lang) for u in ref_units]),
        "precision_all": _share(ans_units, [_loose(a, ref_units, lang) for a in ans_units]),
        "precision": _share(new_ans, [any(_same(a, u, lang) for u in ref_units) for a in new_ans]),
        "precision_loose": _share(new_ans, [_loose(a, ref_units, lang) for a in new_ans]),
        "bigrams": len(ref_pairs & ans_pairs) / len(ref_pairs) if ref_pairs else 0.0,
        "reference_size": math.log1p(sum(u.weight for u in ref_units)),
        "answer_size": math.log1p(sum(u.weight for u in ans_units)),
        "answer_tokens": math.log1p(len(said.tokens)),
        "question_share": _share(ans_units, in_question),
        "novel": math.log1p(novel),
        "negation_mismatch": float(said_negation != ref_negation),
        "contradicted": float(coverage.contradicted),
    }


@dataclass(frozen=True)
class ReferenceModel:
    """A logistic combination of `reference_features`, fitted on one corpus's train split."""

    weights: dict[str, float]
    threshold: float


# Fitted by benchmarks/fit_reference_answers.py on the SemEval-2013 *training* splits only
# (regularisation and threshold chosen by cross-validation grouped by question).
REFERENCE_MODELS = {
    "beetle": ReferenceModel(
        {
            "coverage": 1.7807,
            "recall": 0.6844,
            "recall_loose": -0.1692,
            "recall_all": 0.2047,
            "precision": 0.5687,
            "precision_loose": -0.0564,
            "precision_all": 1.0599,
            "bigrams": 1.2951,
            "reference_size": -1.2531,
            "answer_size": -0.4251,
            "answer_tokens": 1.5373,
            "question_share": -0.0153,
            "novel": -0.3233,
            "negation_mismatch": -1.0046,
            "contradicted": -0.2133,
            "bias": -4.1181,
        },
        0.47,
    ),
    "scientsbank": ReferenceModel(
        {
            "coverage": 1.9152,
            "recall": 0.0157,
            "recall_loose": 0.2832,
            "recall_all": 0.5617,
            "precision": -1.114,
            "precision_loose": 1.3092,
            "precision_all": 1.1557,
            "bigrams": -0.689,
            "reference_size": -1.0082,
            "answer_size": -0.2023,
            "answer_tokens": 0.7779,
            "question_share": -0.2019,
            "novel": 0.1005,
            "negation_mismatch": -0.2332,
            "contradicted": 0.2368,
            "bias": -1.5649,
        },
        0.42,
    ),
}


def grade_reference_answers(
    references: Sequence[str], answer: str, question: str, model: ReferenceModel, lang: str = "en"
) -> PointResult:
    """Grade a whole answer against reference answers (SemEval-style short-answer grading).

    Each reference is scored by the model; the best probability counts. The evidence is
    the key-point grader's, so clinicians would see the same words.
    """
    best = 0.0
    for reference in references:
        features = reference_features(reference, answer, question, lang)
        logit = sum(
            weight * (1.0 if name == "bias" else features[name])
            for name, weight in model.weights.items()
        )
        best = max(best, 1.0 / (1.0 + math.exp(-logit)))
    evidence = grade_with_phrasings([list(references)], answer, lang, given=question)[0]
    return PointResult(
        best >= model.threshold,
        evidence.evidence,
        evidence.contradicted,
        round(best, 3),
        evidence.amounts_ok,
    )
