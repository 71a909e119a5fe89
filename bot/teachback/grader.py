"""Grade a teach-back answer against a chunk's key points: the one grader the coach runs.

Two kinds of evidence, for each key point:

- **lexical** (`bot.teachback.lexical`): how much of the point's weighted ideas the words
  of the answer hold (everyday words, Welsh mutations, typos), whether every time and
  amount it names is said (`bot.teachback.quantities`), and whether anything says the
  opposite: a negation, an antonym, a different number or time;
- **semantic** (`bot.teachback.semantic`): how close the best-matching span of the answer
  comes to the point, and to each of its parts, with the local embedding model.

A logistic combination of them, fitted on training data only by
`benchmarks/fit_teachback_grader.py` and kept in `data/teachback/grader_model.json`, gives
a probability. A point is covered when the probability reaches the fitted threshold and
nothing contradicts it or leaves out one of its numbers; a point whose probability falls
in a narrow band around the threshold is `unsure`, so the dialogue can ask one short
follow-up question instead of marking it missed.

Grading is CPU work (about one embedding call per answer): on the event loop, use
`bot.teachback.grade_in_thread`.
"""

from __future__ import annotations

import copy
import functools
import json
import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from bot.config import ROOT
from bot.language import embeddings
from bot.teachback import lexical, semantic
from bot.teachback.lexical import Analysis, LexicalGrade
from bot.teachback.semantic import Embedder, SemanticEvidence

LANGUAGES = ("en", "cy")
MODEL_FILE = ROOT / "data" / "teachback" / "grader_model.json"


@dataclass(frozen=True)
class PointResult:
    """One key point's grade.

    `score` is the grader's probability that the point was explained; `unsure` says it sits
    near the threshold; `contradicted` that the answer says the opposite (a "not", an
    antonym, a different number); `amounts_ok` that every time and amount the point names
    was said. `evidence` is the answer's words that matched.
    """

    covered: bool
    evidence: list[str]
    contradicted: bool = False
    score: float = 0.0
    amounts_ok: bool = True
    unsure: bool = False


@dataclass(frozen=True)
class Model:
    """The fitted combination: feature weights on standardised features, and the decision."""

    features: tuple[str, ...]
    weights: tuple[float, ...]
    bias: float
    mean: tuple[float, ...]
    scale: tuple[float, ...]
    threshold: float
    unsure_band: float

    def probability(self, values: dict[str, float]) -> float:
        """The probability that a point was explained, from its features."""
        logit = self.bias
        for name, weight, mean, scale in zip(
            self.features, self.weights, self.mean, self.scale, strict=True
        ):
            logit += weight * (values[name] - mean) / scale
        return 1.0 / (1.0 + math.exp(-max(-30.0, min(30.0, logit))))


@functools.cache
def load_model() -> Model:
    """The fitted grader constants (see benchmarks/fit_teachback_grader.py)."""
    data: dict[str, Any] = json.loads(MODEL_FILE.read_text(encoding="utf-8"))
    return Model(
        features=tuple(data["features"]),
        weights=tuple(float(w) for w in data["weights"]),
        bias=float(data["bias"]),
        mean=tuple(float(m) for m in data["mean"]),
        scale=tuple(float(s) for s in data["scale"]),
        threshold=float(data["threshold"]),
        unsure_band=float(data["unsure_band"]),
    )


def warm_up(key_points: Sequence[str] = ()) -> None:
    """Load the tables, the model and the fixed key points now, not on the first answer."""
    lexical.warm_up()
    load_model()
    embeddings.warm_up()
    if key_points:
        semantic.remember_point_vectors(key_points)


# ------------------------------------------------------------------------------ features

FEATURES = (
    "lex_score",
    "lex_lead",
    "lex_quantities",
    "lex_quantities_missing",
    "lex_opposed",
    "lex_parts_min",
    "lex_precision",
    "lex_shared",
    "sem_best",
    "sem_whole",
    "sem_parts_min",
    "sem_best_x_lex",
    "answer_words",
    "point_words",
)


def feature_values(
    point: Analysis,
    grade: LexicalGrade,
    meaning: SemanticEvidence,
    answer: Analysis,
    parts: Sequence[LexicalGrade] = (),
) -> dict[str, float]:
    """The numbers the fitted combination reads, for one point and one answer.

    `parts` are the lexical grades of the point's parts, when it joins several
    instructions: a compound point needs every part.
    """
    return {
        "lex_parts_min": min((p.score for p in parts), default=grade.score),
        "lex_precision": grade.precision,
        "lex_score": grade.score,
        "lex_lead": float(grade.lead_matched),
        "lex_quantities": float(grade.quantities_needed > 0 and grade.quantities_complete),
        "lex_quantities_missing": float(grade.quantities_matched < grade.quantities_needed),
        "lex_opposed": float(grade.opposed),
        "sem_best": meaning.best,
        "sem_whole": meaning.whole,
        "sem_parts_min": meaning.parts_min,
        "sem_best_x_lex": meaning.best * grade.score,
        "answer_words": math.log1p(sum(t[:1].isalnum() for t in answer.tokens)),
        "point_words": math.log1p(sum(t[:1].isalnum() for t in point.tokens)),
    }


@dataclass(frozen=True)
class Evidence:
    """Everything the grader knows about one wording of a point against one answer."""

    lexical: LexicalGrade
    semantic: SemanticEvidence
    values: dict[str, float]

    @property
    def vetoed(self) -> bool:
        """The answer denies the point, or leaves out or changes one of its numbers or times."""
        grade = self.lexical
        return grade.contradicted or not grade.quantities_complete


@functools.lru_cache(maxsize=2048)
def _point_analysis(text: str, lang: str) -> Analysis:
    return lexical.analyse(text, lang)


def gather(
    key_points: Sequence[Sequence[str]],
    answer: str,
    lang: str = "en",
    given: str = "",
    embed: Embedder | None = None,
) -> tuple[Analysis, list[list[Evidence]]]:
    """The evidence for every wording of every point (the grader's and the fitting's input)."""
    if lang not in LANGUAGES:
        raise ValueError(f"unsupported language {lang!r}")
    points = [[_point_analysis(text, lang) for text in wordings] for wordings in key_points]
    if given:
        points = [[copy.deepcopy(p) for p in wordings] for wordings in points]
        lexical.discount_given(
            [p for wordings in points for p in wordings], lexical.analyse(given, lang), lang
        )
    vocabulary = lexical.vocabulary([p for wordings in points for p in wordings], lang)
    analysed = lexical.analyse(answer, lang, vocabulary)
    meanings = semantic.evidence(key_points, analysed.raw, embed)
    out = []
    for wordings, senses in zip(points, meanings, strict=True):
        row = []
        for point, meaning in zip(wordings, senses, strict=True):
            grade = lexical.grade_point(point, analysed)
            parts = [
                lexical.grade_point(_point_analysis(text, lang), analysed)
                for text in semantic.point_parts(point.source)
            ]
            values = feature_values(
                point, grade, meaning, analysed, parts if len(parts) > 1 else ()
            )
            row.append(Evidence(grade, meaning, values))
        out.append(row)
    _share_out(out)
    return analysed, out


def _share_out(evidence: list[list[Evidence]]) -> None:
    """`lex_shared`: how much of what a wording matched another point explains better.

    "have juice straight away" matches "another sugary drink if still below 4" only
    through words the first point ("a sugary drink straight away") holds in full.
    """
    best = [max(row, key=lambda e: e.lexical.score) for row in evidence]
    for index, row in enumerate(evidence):
        for item in row:
            mine = {r for r in item.lexical.evidence}
            theirs = {
                r
                for other, rival in enumerate(best)
                if other != index and rival.lexical.score > item.lexical.score
                for r in rival.lexical.evidence
            }
            item.values["lex_shared"] = len(mine & theirs) / len(mine) if mine else 0.0


def decide(evidence: Sequence[Evidence], answer: Analysis, model: Model) -> PointResult:
    """One point's result from the evidence of its wordings (the first is its own text)."""
    best: tuple[bool, float, Evidence] | None = None
    for item in evidence:
        probability = model.probability(item.values)
        covered = probability >= model.threshold and not item.vetoed
        if best is None or (covered, probability) > (best[0], best[1]):
            best = (covered, probability, item)
    assert best is not None
    covered, probability, chosen = best
    main = evidence[0].lexical
    contradicted = main.contradicted or main.quantity_conflict
    if contradicted:
        covered = False
    unsure = (
        not covered
        and not contradicted
        and not chosen.vetoed
        and probability >= model.threshold - model.unsure_band
    )
    return PointResult(
        covered=covered,
        evidence=lexical.evidence_words(answer, chosen.lexical.evidence),
        contradicted=contradicted,
        score=round(probability, 3),
        amounts_ok=chosen.lexical.quantities_complete,
        unsure=unsure,
    )


def grade_with_phrasings(
    key_points: Sequence[Sequence[str]],
    answer: str,
    lang: str = "en",
    given: str = "",
) -> list[PointResult]:
    """Grade against key points that each have one or more accepted wordings.

    A point is covered if any of its wordings is, unless the answer contradicts its own
    text. Words of `given` (the question asked, when there is one) count little.
    """
    model = load_model()
    analysed, evidence = gather(key_points, answer, lang, given)
    return [decide(row, analysed, model) for row in evidence]


def grade_teachback(key_points: Sequence[str], answer: str, lang: str = "en") -> list[PointResult]:
    """Grade one answer against plain-text key points; one result per point, in order."""
    return grade_with_phrasings([[p] for p in key_points], answer, lang)
