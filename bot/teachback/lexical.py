"""Lexical evidence for a key point: which of its ideas, times and amounts the answer says.

Each key point and the answer become *units*: quantities (`bot.teachback.quantities`),
concepts from the lexicon (everyday words and fixed phrases), or lemmas of the remaining
content words. `grade_point` weighs how much of the point the answer holds, whether every
quantity it names is said, and whether anything says the opposite: a negated match, an
antonym, a different number. Those are the lexical half of the grader's evidence; the
semantic half is `bot.teachback.semantic`.

Lemmas come from spaCy's lookup lemmatizer (`spacy-lookups-data`); word weights from its
English word probabilities (`bot.language.words`), so rare, specific words count more than
"take" or "glass". Welsh words are compared by their radical forms, so mutations do not
matter.
"""

from __future__ import annotations

import functools
import itertools
import re
from collections.abc import Sequence
from dataclasses import dataclass, field

from rapidfuzz.distance import OSA
from rapidfuzz.process import extractOne

from bot.language.normalise import normalise
from bot.language.words import english_logprob
from bot.teachback import lexicon, quantities, welsh
from bot.teachback.quantities import Quantity

LEAD_BOOST = 2.0
GIVEN_DISCOUNT = 0.25
WELSH_WORD_WEIGHT = 0.6
COMMON_WORD_LOGPROB = -14.5  # a word (or its lemma) at least this common is spelt as meant
CONTRADICTION_MIN_WEIGHT = 0.3  # "not into the puffer" does not deny a point about puffing
QUANTITY_WEIGHT = 1.0
POST_NEGATION_REACH = 3  # content words back from "... doesn't matter"
HEAD_MIN_WEIGHT = 0.5  # "never walk barefoot" denies "barefoot", not "walk"

_TOKEN = re.compile(
    r"\d+(?:\.\d+)?|[^\W\d_]+(?:['\u2019][^\W\d_]+)*|['\u2019][^\W\d_]+|[^\w\s]", re.UNICODE
)
_WELSH_CLITIC = re.compile(r"^(.+?)(['\u2019](?:n|r|m|ch|w|i|u|th))$")
_LINK_WORDS = {"or", "neu", "/", "and/or"}
_DETERMINERS = {"the", "a", "an", "your", "my", "their", "his", "her", "its", "'r", "y", "yr",
                "eich", "fy", "ei", "eu", "ein"}  # fmt: skip
_COORDINATORS = {",", "or", "nor", "and", "neu", "na", "nac", "a", "ac", "/"}
_EXAMPLE_WORDS = {"like", "such", "e.g.", "eg", "including", "include", "includes", "fel",
                  "megis", "gan gynnwys", "cynnwys"}  # fmt: skip


@dataclass
class Unit:
    """One idea in a text: a concept, a word's lemma, or a quantity, over a token range."""

    concept: str
    start: int
    end: int
    keys: frozenset[str]
    weight: float
    negated: bool = False
    quantity: Quantity | None = None
    head: bool = False  # the first weighty idea a "not" reaches: what it denies
    conditional: bool = False  # in an "if" or "when" clause: a situation, not an instruction


@dataclass
class Analysis:
    """A text read for grading: tokens, where each came from, and its units."""

    lang: str
    raw: str
    spans: list[tuple[int, int]]
    tokens: list[str]
    units: list[Unit] = field(default_factory=list)
    negated_at: list[bool] = field(default_factory=list)
    negator_at: set[int] = field(default_factory=set)  # tokens of "stop adding", "no longer"
    source: str = ""  # the text as given

    @property
    def quantities(self) -> list[Unit]:
        """The units that are quantities."""
        return [u for u in self.units if u.quantity is not None]


@dataclass(frozen=True)
class LexicalGrade:
    """What the words of an answer say about one key point."""

    score: float  # share of the point's weighted ideas the answer holds
    contradicted: bool  # the answer denies the point's first idea, or says its antonym
    opposed: bool  # something else in a clause about the point says the opposite
    quantities_needed: int
    quantities_matched: int
    quantity_conflict: bool
    lead_matched: bool  # the point's first idea, usually its action
    evidence: tuple[tuple[int, int], ...]  # token ranges of the answer that matched
    precision: float = 0.0  # share of the answer's weighty ideas that belong to the point

    @property
    def quantities_complete(self) -> bool:
        """Every time and amount the point names is said, and none contradicted."""
        return self.quantities_matched == self.quantities_needed and not self.quantity_conflict


# ------------------------------------------------------------------------------ resources


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
    table = lexicon.load().languages[lang]
    if lang == "cy":
        return table.stopwords
    from spacy.lang.en.stop_words import STOP_WORDS

    return (frozenset(STOP_WORDS) | table.stopwords) - table.keep_words


@functools.cache
def lexicon_words(lang: str) -> frozenset[str]:
    """Every word the lexicon and the quantity tables know, for typo correction."""
    table = lexicon.load().languages[lang]
    words = {w for phrase in table.concepts for w in phrase.split()}
    words.update(quantities.known_words(lang))
    for rule in table.rules:
        plain = re.sub(r"\\[a-zA-Z]", " ", rule.pattern.pattern)
        words.update(re.findall(r"[a-zâêîôûŵŷ']{4,}", plain))
    return frozenset(words)


def warm_up() -> None:
    """Load the lookup tables now rather than on the first answer."""
    english_logprob()
    _english_lemmatizer()
    for lang in lexicon.LANGUAGES:
        lexicon_words(lang)
        _stopwords(lang)


# ------------------------------------------------------------------------------ analysis


def _tokenise(text: str, lang: str) -> tuple[list[str], list[tuple[int, int]]]:
    tokens: list[str] = []
    spans: list[tuple[int, int]] = []
    for match in _TOKEN.finditer(text):
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
        table = english_logprob()
        return max(table.get(word, -99.0), table.get(_lemma(word), -99.0)) >= COMMON_WORD_LOGPROB
    return word in _stopwords("cy")


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
            and not is_negator(token, lang)
            and token not in _stopwords(lang)
            and not _known(token, lang)
            and not (lang == "cy" and welsh.radicals(token) & vocabulary)
        ):
            if lang == "cy" and len(token) < 6:
                out.append(token)  # no Welsh word list: only longer words are respelt
                continue
            limit = 1 if len(token) <= 5 or lang == "cy" else 2
            choices = choices or sorted(vocabulary)
            best = extractOne(token, choices, scorer=OSA.distance, score_cutoff=limit)
            if best is not None:
                token = best[0]
        out.append(token)
    return out


def analyse(text: str, lang: str, vocabulary: frozenset[str] | None = None) -> Analysis:
    """Read a text: normalise it, respell typos against `vocabulary`, find its units."""
    plain = normalise(text)
    tokens, spans = _tokenise(plain, lang)
    if vocabulary is not None:
        tokens = _correct(tokens, lang, vocabulary)
    result = Analysis(lang, plain, spans, tokens, source=text)
    result.units, result.negator_at = _units(tokens, lang)
    _mark_negation(result)
    return result


def joined(tokens: list[str]) -> tuple[str, list[int]]:
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


def _token_range(starts: list[int], begin: int, end: int) -> tuple[int, int]:
    first = max(i for i, s in enumerate(starts) if s <= begin)
    last = max(i for i, s in enumerate(starts) if s < end)
    return first, last + 1


def _units(tokens: list[str], lang: str) -> tuple[list[Unit], set[int]]:
    text, starts = joined(tokens)
    taken = [False] * len(tokens)
    units: list[Unit] = []
    lex = lexicon.load()
    table = lex.languages[lang]
    other_language = lex.languages["cy" if lang == "en" else "en"]
    negator_at: set[int] = set()

    def add(concept: str, first: int, last: int, consume: bool) -> None:
        units.append(Unit(concept, first, last, frozenset({concept}), lex.weight(concept)))
        if consume:
            for i in range(first, last):
                taken[i] = True

    if not tokens:
        return units, negator_at
    for pattern in table.negator_phrases:
        for match in pattern.finditer(text):
            first, last = _token_range(starts, match.start(), match.end())
            negator_at.update(range(first, last))
            for i in range(first, last):
                taken[i] = True
    for quantity in quantities.find_quantities(text, lang):
        first, last = _token_range(starts, quantity.start, quantity.end)
        if any(taken[first:last]):
            continue
        name = f"q:{quantity.kind}"
        units.append(Unit(name, first, last, frozenset({name}), QUANTITY_WEIGHT,
                          quantity=quantity))  # fmt: skip
        if not quantity.keep:  # "with breakfast and tea": twice a day, and with food
            for i in range(first, last):
                taken[i] = True
    for rule in (*table.rules, *other_language.rules):  # people mix the two languages
        for match in rule.pattern.finditer(text):
            first, last = _token_range(starts, match.start(), match.end())
            if any(taken[first:last]):
                continue
            add(rule.concept, first, last, rule.consume)
    stop = _stopwords(lang) | table.negators
    other = lex.languages["cy" if lang == "en" else "en"].concepts
    for i, token in enumerate(tokens):
        if taken[i] or not token[:1].isalpha():
            continue
        if lang == "en":
            lemma = _lemma(token)
            concept = table.concepts.get(token) or table.concepts.get(lemma)
            if concept is None and not _known(token, "en"):  # "dŵr cynnes" in English
                welsh_concepts = lex.languages["cy"].concepts
                concept = next(
                    (
                        welsh_concepts[f]
                        for f in sorted(welsh.radicals(token))
                        if f in welsh_concepts
                    ),
                    None,
                )
            if concept:
                add(concept, i, i + 1, True)
            elif token not in stop and lemma not in stop and len(token) > 1:
                prob = english_logprob().get(token, -16.0)
                weight = min(1.0, max(0.15, (-prob - 7.5) / 5.0))
                units.append(Unit(f"w:{lemma}", i, i + 1, frozenset({lemma}), weight))
        else:
            forms = welsh.radicals(token)
            welsh_concept = _welsh_concept(token)
            concept = welsh_concept
            if concept is None and len(token) > 2:
                concept = other.get(token) or other.get(_lemma(token))  # "shaky" in Welsh
            if concept:
                add(concept, i, i + 1, True)
            elif not (forms & stop) and len(token) > 2:
                units.append(Unit(f"w:{token}", i, i + 1, welsh.stems(token), WELSH_WORD_WEIGHT))
    units.sort(key=lambda u: (u.start, u.end))
    return units, negator_at


def _welsh_concept(token: str) -> str | None:
    concepts = lexicon.load().languages["cy"].concepts
    forms = welsh.radicals(token)
    concept = next((concepts[f] for f in sorted(forms) if f in concepts), None)
    if concept is None:
        stems = _welsh_stem_concepts()
        candidates = welsh.stems(token) | {welsh.stem(s) for s in welsh.stems(token)}
        concept = next((stems[f] for f in sorted(candidates) if f in stems), None)
    return concept


@functools.cache
def _welsh_stem_concepts() -> dict[str, str]:
    table: dict[str, str] = {}
    for word, concept in lexicon.load().languages["cy"].concepts.items():
        if " " not in word and len(word) >= 4:
            table.setdefault(word, concept)
            table.setdefault(welsh.stem(word), concept)
            table.setdefault(welsh.stem(welsh.stem(word)), concept)
    return table


def is_negator(token: str, lang: str) -> bool:
    """Whether a token says "not"."""
    negators = lexicon.load().languages[lang].negators
    if lang == "cy":
        return bool(welsh.radicals(token) & negators)
    return token in negators or token.endswith("n't")


def _mark_negation(text: Analysis) -> None:
    """A negator reaches the content words after it, to the end of its clause ("do not
    inject into lumpy or hard skin"); a post-negator ("... doesn't matter") reaches back
    over the words before it. Words inside a quantity ("no more than 6 g") are its bound,
    not a negation."""
    table = lexicon.load().languages[text.lang]
    stop = _stopwords(text.lang)
    inside_phrase = [False] * len(text.tokens)  # "no more than 6 g", "if not": no negation
    for unit in text.units:
        if unit.quantity is not None or unit.end - unit.start > 1:
            for i in range(unit.start, unit.end):
                inside_phrase[i] = True
    negated_at: list[bool] = []
    scope_at: list[int] = []  # which "not" reaches each token (-1: none)
    reach = 0
    scope = -1
    for i, token in enumerate(text.tokens):
        if token in table.clause_breaks:
            reach = 0
        negated_at.append(reach > 0)
        scope_at.append(scope if negated_at[-1] else -1)
        if (is_negator(token, text.lang) and not inside_phrase[i]) or i in text.negator_at:
            reach = lexicon.NEGATION_REACH
            scope = i
        elif reach and token not in stop and token[:1].isalnum():
            reach -= 1
    plain, starts = joined(text.tokens)
    for pattern in table.post_negators:
        for match in pattern.finditer(plain):
            first, last = _token_range(starts, match.start(), match.end())
            content = 0
            for i in range(first - 1, -1, -1):
                token = text.tokens[i]
                if token in table.clause_breaks and token not in ("and", "a", "ac", "or", "neu"):
                    break
                negated_at[i] = not negated_at[i]
                scope_at[i] = -2 - first  # every word a post-negator reaches back over
                content += token not in stop and token[:1].isalnum()
                if content >= POST_NEGATION_REACH:
                    break
            for i in range(first, last):
                negated_at[i] = False
                scope_at[i] = -1
    text.negated_at = negated_at
    conditional = _conditional_at(text)
    heads: dict[int, Unit] = {}
    for unit in text.units:
        unit.negated = any(negated_at[unit.start : unit.end])
        unit.conditional = conditional[unit.start]
        scopes = {scope_at[i] for i in range(unit.start, unit.end)} - {-1}
        for scope in scopes:
            head = heads.get(scope)
            between = text.tokens[head.end : unit.start] if head is not None else []
            listed = any(t in _COORDINATORS for t in between) and all(  # "no smoking or tea"
                (t in _COORDINATORS or t in stop) and t not in _DETERMINERS for t in between
            )
            if scope <= -2 or listed or (head is None and unit.weight >= HEAD_MIN_WEIGHT):
                unit.head = True
                heads[scope] = unit


def _conditional_at(text: Analysis) -> list[bool]:
    """Whether each token is in a condition ("if you are not getting better, ...")."""
    table = lexicon.load().languages[text.lang]
    out: list[bool] = []
    inside = False
    for word in text.tokens:
        if word in table.subordinators:
            inside = True
        elif word in (",", ".", "!", "?", ";"):
            inside = False
        out.append(inside)
    return out


def clause_ids(text: Analysis) -> list[int]:
    """Which clause each token is in. A condition stays with what follows it: "if they
    are too sleepy to swallow, do not give them anything" is one clause."""
    table = lexicon.load().languages[text.lang]
    ids: list[int] = []
    clause = 0
    conditional = False
    started = False
    for word in text.tokens:
        if word in (".", "!", "?", ";", "\n"):
            clause += 1
            conditional = started = False
            ids.append(clause)
            continue
        if word in table.clause_breaks and word not in table.subordinators:
            if conditional and word == ",":
                conditional = False  # the condition's comma: the main clause follows
            elif started:
                clause += 1
                started = False
        if word in table.subordinators and not started:
            conditional = True
        started = started or word[:1].isalnum()
        ids.append(clause)
    return ids


# ------------------------------------------------------------------------------ matching


def same(point: Unit, answer: Unit, lang: str) -> bool:
    """Whether two units are one idea."""
    if point.quantity is not None or answer.quantity is not None:
        return False  # quantities are compared by `quantities.judge`
    if point.concept == answer.concept:
        return True
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


def _groups(point: Analysis) -> list[list[Unit]]:
    """Key-point units, with alternatives ("cuts, blisters or redness") in one group."""
    units = [u for u in point.units if u.weight > 0 and u.quantity is None]
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
    groups: list[list[Unit]] = [[units[0]]]
    for link, unit in zip(links, units[1:], strict=True):
        if link == "or":
            groups[-1].append(unit)
        else:
            groups.append([unit])
    return _dedupe(groups)


def _dedupe(groups: list[list[Unit]]) -> list[list[Unit]]:
    seen: set[str] = set()
    out = []
    for group in groups:
        concepts = {u.concept for u in group}
        if concepts <= seen:
            continue
        seen |= concepts
        out.append(group)
    return out


def grade_point(point: Analysis, answer: Analysis) -> LexicalGrade:
    """How much of one key point the answer's words say, and whether any says the opposite.

    A group of the point (one idea, or its alternatives) is matched by an answer unit of
    the same concept and polarity, or by its antonym with the other polarity ("never
    barefoot" by "always wear shoes"). The opposite, with nothing agreeing, contradicts
    the point when it is the point's first idea or when its clause holds another of the
    point's ideas: a "not" in a clause about something else is not about this point.
    """
    lex = lexicon.load()
    lang = answer.lang
    groups = _groups(point)
    clauses = clause_ids(answer)
    total = matched_weight = 0.0
    matched: list[Unit] = []
    opposed: list[tuple[bool, Unit]] = []  # (is the lead idea, the answer's unit)
    touched: list[Unit] = []
    boosted = False
    lead_matched = False
    for group in groups:
        weight = max(u.weight for u in group)
        lead = not boosted and weight >= lexicon.DEFAULT_CONCEPT_WEIGHT * 0.5
        if lead:
            weight *= LEAD_BOOST  # the first idea of a key point is usually its action
            boosted = True
        total += weight
        direct = [(_agree(p, a), a) for p in group for a in answer.units if same(p, a, lang)]
        antonym = [
            (p.negated != a.negated, a)
            for p in group
            for a in answer.units
            if a.concept in lex.antonyms.get(p.concept, ())
            and (a.concept not in lex.weak_antonyms or _near(a, direct))
        ]
        agreeing = [a for agrees, a in direct if agrees] or [a for agrees, a in antonym if agrees]
        touched += [a for _, a in direct + antonym if a.weight >= CONTRADICTION_MIN_WEIGHT]
        if agreeing:
            matched_weight += weight
            matched += agreeing
            lead_matched = lead_matched or lead
        elif weight >= CONTRADICTION_MIN_WEIGHT:
            opposed += [(lead, a) for agrees, a in direct + antonym if not agrees]
    contradicted = weak = False
    for lead, unit in opposed:
        others = [t for t in touched if t is not unit and clauses[t.start] == clauses[unit.start]]
        if lead:
            contradicted = True
            matched.append(unit)
        elif others:
            weak = True
            matched.append(unit)
    about = {clauses[t.start] for t in touched}
    point_quantities = [u.quantity for u in point.quantities if u.quantity is not None]
    answer_units = answer.quantities
    verdict = quantities.judge(
        point_quantities,
        [u.quantity for u in answer_units if u.quantity is not None],
        [u.negated and u.head for u in answer_units],  # "not for 30 minutes", not "no tea for 30"
        [not groups or clauses[u.start] in about for u in answer_units],
    )
    total += QUANTITY_WEIGHT * verdict.needed
    matched_weight += QUANTITY_WEIGHT * verdict.matched
    for unit in answer_units:
        if unit.quantity in verdict.evidence:
            matched.append(unit)
    score = matched_weight / total if total else 0.0
    said = [u for u in answer.units if u.weight >= CONTRADICTION_MIN_WEIGHT]
    own = [a for a in said if any(same(p, a, lang) for p in point.units)]
    precision = sum(u.weight for u in own) / sum(u.weight for u in said) if said else 0.0
    return LexicalGrade(
        precision=round(precision, 4),
        score=round(score, 4),
        contradicted=contradicted,
        opposed=weak,
        quantities_needed=verdict.needed,
        quantities_matched=verdict.matched,
        quantity_conflict=verdict.conflict,
        lead_matched=lead_matched,
        evidence=tuple(sorted({(u.start, u.end) for u in matched})),
    )


def _agree(point: Unit, answer: Unit) -> bool:
    """Same polarity; or the "not" is about something else in both texts (it denies
    neither unit's own idea: "no salt in cooking" and "do not add salt when you cook")."""
    if point.negated == answer.negated:
        return True
    if point.conditional or answer.conditional:
        return True  # a condition's "not" ("if a sore is not healing") is no denial
    return not (point.head or answer.head)


def _near(unit: Unit, hits: Sequence[tuple[bool, Unit]], distance: int = 3) -> bool:
    return any(abs(unit.start - other.start) <= distance for _, other in hits)


def evidence_words(answer: Analysis, ranges: Sequence[tuple[int, int]]) -> list[str]:
    """The answer's words behind the matched units, adjacent ones merged, in order."""
    merged: list[list[int]] = []
    for start, end in sorted(ranges):
        if merged and start <= merged[-1][1]:
            merged[-1][1] = max(merged[-1][1], end)
        else:
            merged.append([start, end])
    return [answer.raw[answer.spans[s][0] : answer.spans[e - 1][1]] for s, e in merged]


def vocabulary(points: Sequence[Analysis], lang: str) -> frozenset[str]:
    """The words typos are respelt towards: the key points' and the lexicon's."""
    words = {t for p in points for t in p.tokens if t.isalpha() and len(t) >= 3}
    return frozenset(words) | lexicon_words(lang)


def discount_given(points: Sequence[Analysis], given: Analysis, lang: str) -> None:
    """Words of the question asked count little: repeating the question proves nothing."""
    for point in points:
        for unit in point.units:
            if any(same(unit, other, lang) for other in given.units):
                unit.weight *= GIVEN_DISCOUNT
