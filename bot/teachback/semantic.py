"""Semantic evidence for a key point: how close the best-matching stretch of the answer comes.

The answer is cut into clauses ("cap off, check it's clean, give it a good rattle ...") and
embedded once, in one batch, with the local model (`bot.language.embeddings`, "query" side).
A key point (and each of its parts, when it joins two instructions with "and") is a
"passage". Each point is aligned with its best span of one to three neighbouring clauses,
whose vector is the mean of theirs, so one answer costs one embedding call whatever the
number of points.

The model's cosines sit in a narrow band (about 0.75 to 0.9); they are never compared with
a fixed threshold here. The grader's fitted combination (`bot.teachback.grader`) turns them,
with the lexical evidence, into a decision.
"""

from __future__ import annotations

import re
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np

from bot.language import embeddings
from bot.language.embeddings import Kind, Matrix

MAX_SPAN = 3  # clauses
POINT_CACHE_LIMIT = 4096

Embedder = Callable[[Sequence[str], Kind], Matrix]

_CLAUSE_BREAK = re.compile(
    r"[.;!?\n]+|,|\s(?:and then|and|then|but|so|or|plus|also|because|cos|coz|wedyn|wedyn|ac|a|"
    r"ond|yna|neu|hefyd|achos|felly)\s",
    re.IGNORECASE,
)
_PART_BREAK = re.compile(r";|,? and (?!then\b)|,? ac? (?=[a-zâêîôûŵŷ]{3,})|, then ", re.IGNORECASE)

_point_lock = threading.Lock()
_point_vectors: dict[str, np.ndarray] = {}


@dataclass(frozen=True)
class SemanticEvidence:
    """How close the answer comes to one key point."""

    best: float  # cosine of the best span of the answer
    whole: float  # cosine of the whole answer
    parts_min: float  # the weakest of the point's parts, each at its own best span
    span: tuple[int, int]  # clauses of the best span


def clauses(text: str) -> list[str]:
    """The answer's clauses, in order (the whole text when it has no break)."""
    parts = [p.strip(" -") for p in _CLAUSE_BREAK.split(text)]
    return [p for p in parts if p and any(ch.isalnum() for ch in p)] or [text.strip() or "."]


def point_parts(text: str) -> list[str]:
    """A key point's instructions, when it joins several ("dry well ... and do not put cream")."""
    parts = [p.strip(" ,") for p in _PART_BREAK.split(text)]
    return [p for p in parts if len(p.split()) >= 2] or [text]


def spans(count: int) -> list[tuple[int, int]]:
    """Every run of one to `MAX_SPAN` neighbouring clauses."""
    return [
        (start, start + size)
        for size in range(1, min(MAX_SPAN, count) + 1)
        for start in range(count - size + 1)
    ]


def span_vectors(clause_vectors: Matrix) -> tuple[Matrix, list[tuple[int, int]], np.ndarray]:
    """Unit vectors of every span (means of their clauses), the spans, and the whole answer."""
    runs = spans(len(clause_vectors))
    sums = np.concatenate([np.zeros((1, clause_vectors.shape[1])), np.cumsum(clause_vectors, 0)])
    vectors = np.stack([sums[end] - sums[start] for start, end in runs])
    vectors /= np.linalg.norm(vectors, axis=1, keepdims=True) + 1e-9
    whole = sums[-1] / (np.linalg.norm(sums[-1]) + 1e-9)
    return vectors.astype(np.float32), runs, whole.astype(np.float32)


def point_vectors(texts: Sequence[str], embed: Embedder | None = None) -> Matrix:
    """Passage vectors of key-point texts, kept in memory after the first time."""
    with _point_lock:
        missing = [t for t in dict.fromkeys(texts) if t not in _point_vectors]
    if missing:
        vectors = (embed or embeddings.embed)(missing, "passage")
        with _point_lock:
            if len(_point_vectors) + len(missing) > POINT_CACHE_LIMIT:
                _point_vectors.clear()
            _point_vectors.update(zip(missing, vectors, strict=True))
    with _point_lock:
        return np.stack([_point_vectors[t] for t in texts]).astype(np.float32)


def remember_point_vectors(texts: Sequence[str]) -> None:
    """Load fixed key-point texts (and their parts) from the disk cache, for a fast first answer."""
    every = sorted({p for t in texts for p in [t, *point_parts(t)]})
    if not every:
        return
    vectors = embeddings.cached_embeddings(every, "passage")
    with _point_lock:
        _point_vectors.update(zip(every, vectors, strict=True))


def evidence(
    points: Sequence[Sequence[str]], answer: str, embed: Embedder | None = None
) -> list[list[SemanticEvidence]]:
    """Each wording's semantic evidence in one answer (one embedding call for the answer)."""
    said = clauses(answer)
    clause_vectors = (embed or embeddings.embed)(said, "query")
    vectors, runs, whole = span_vectors(clause_vectors)
    texts = [text for wordings in points for text in wordings]
    owner = [index for index, wordings in enumerate(points) for _ in wordings]
    parts = [point_parts(t) for t in texts]
    flat = [p for group in parts for p in group]
    matrix = point_vectors([*texts, *flat], embed)
    point_matrix, part_matrix = matrix[: len(texts)], matrix[len(texts) :]
    scores = vectors @ point_matrix.T  # spans x wordings
    part_scores = (vectors @ part_matrix.T).max(axis=0) if len(flat) else np.zeros(0)
    out: list[list[SemanticEvidence]] = [[] for _ in points]
    offset = 0
    for index, group in enumerate(parts):
        best = int(np.argmax(scores[:, index]))
        weakest = float(part_scores[offset : offset + len(group)].min())
        offset += len(group)
        out[owner[index]].append(
            SemanticEvidence(
                best=float(scores[best, index]),
                whole=float(whole @ point_matrix[index]),
                parts_min=weakest,
                span=runs[best],
            )
        )
    return out
