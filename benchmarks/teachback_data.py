"""The labelled teach-back sets, SemEval-2013, the held-out split, and a vector store.

Shared by benchmarks/teachback_grading.py (figures) and benchmarks/fit_teachback_grader.py
(fitting). Nothing here is used by the coach.

- Own set: tests/data/teachback_answers.jsonl (the team's, 208 answers).
- Blind dev set: ../shared/benchmarks/blind-dev/teachback_dev.jsonl (242 answers). Its
  held-out part is chosen by chunk, by a rule fixed before any figure was looked at: the
  first `HELD_OUT_CHUNKS` chunk ids in SHA-256 order. Only the other chunks are fitted on.
- Fresh blind set: tests/data/teachback_fresh.jsonl (330 answers, 100 on three topics in
  no other set). Never fitted or tuned on; reported only.
- SemEval-2013 Task 7: train splits are fitted on; test splits are reported only.

`VectorStore` keeps every text's embedding in var/cache/embeddings, keyed by model, kind
and text, so re-running a benchmark after a change to the grader costs only new texts.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from bot.config import ROOT
from bot.language import embeddings
from bot.language.embeddings import Kind, Matrix

OWN = ROOT / "tests" / "data" / "teachback_answers.jsonl"
DEV = ROOT.parent / "shared" / "benchmarks" / "blind-dev" / "teachback_dev.jsonl"
FRESH = ROOT / "tests" / "data" / "teachback_fresh.jsonl"
# The third blind set (2026-12-03, 360 answers, 110 on four new topics), report only.
BLIND3 = ROOT / "tests" / "data" / "teachback_blind3.jsonl"
SEMEVAL = ROOT.parent / "shared" / "benchmarks" / "semeval2013"
HELD_OUT_CHUNKS = 8
SEMEVAL_TRAIN = ("beetle_train", "scientsbank_train")
SEMEVAL_TEST = (
    "beetle_test_ua",
    "beetle_test_uq",
    "scientsbank_test_ua",
    "scientsbank_test_uq",
    "scientsbank_test_ud",
)


@dataclass(frozen=True)
class Item:
    """One labelled answer: its key points (each with its wordings) and their truth."""

    set: str
    id: str
    group: str  # chunk id, or SemEval question id: folds never split one
    lang: str
    kind: str
    key_points: tuple[tuple[str, ...], ...]
    answer: str
    covered: tuple[bool, ...]
    question: str = ""  # SemEval's question: its words prove little when repeated


def read_jsonl(path: Path) -> list[dict[str, Any]]:
    """Every JSON object in a file, one a line."""
    with path.open(encoding="utf-8") as handle:
        return [json.loads(line) for line in handle if line.strip()]


def held_out_chunks(rows: Sequence[dict[str, Any]]) -> frozenset[str]:
    """The blind dev set's held-out chunks: the first few chunk ids in SHA-256 order."""
    chunks = sorted(
        {str(r["chunk_id"]) for r in rows}, key=lambda c: hashlib.sha256(c.encode()).hexdigest()
    )
    return frozenset(chunks[:HELD_OUT_CHUNKS])


def _teachback(path: Path, name: str, group_key: str) -> list[Item]:
    return [
        Item(
            set=name,
            id=str(r["id"]),
            group=str(r[group_key]),
            lang=str(r["lang"]),
            kind=str(r["kind"]),
            key_points=tuple((str(p),) for p in r["key_points"]),
            answer=str(r["answer"]),
            covered=tuple(bool(c) for c in r["covered"]),
        )
        for r in read_jsonl(path)
    ]


def own_set() -> list[Item]:
    """The team's own labelled answers."""
    return _teachback(OWN, "own", "group")


def dev_set() -> tuple[list[Item], list[Item]]:
    """The blind dev set split by chunk: (training chunks, held-out chunks)."""
    held = held_out_chunks(read_jsonl(DEV))
    items = _teachback(DEV, "dev", "chunk_id")
    train = [i for i in items if i.group not in held]
    test = [i for i in items if i.group in held]
    return (
        [Item(**{**i.__dict__, "set": "dev-train"}) for i in train],
        [Item(**{**i.__dict__, "set": "dev-held-out"}) for i in test],
    )


def fresh_set(path: Path = FRESH, name: str = "fresh") -> list[Item]:
    """A blind set written before any tuning on it (report only)."""
    rows = read_jsonl(path)
    return [
        Item(
            set=f"{name}-new-topic" if r["new_topic"] else name,
            id=str(r["id"]),
            group=str(r["chunk_id"]),
            lang=str(r["lang"]),
            kind=str(r["kind"]),
            key_points=tuple((str(p),) for p in r["key_points"]),
            answer=str(r["answer"]),
            covered=tuple(bool(c) for c in r["covered"]),
        )
        for r in rows
    ]


def semeval_split(split: str, directory: Path = SEMEVAL) -> list[Item]:
    """One SemEval split: each reference answer a wording of one key point."""
    return [
        Item(
            set=split,
            id=str(r["id"]),
            group=str(r["question_id"]),
            lang="en",
            kind=split.split("_")[0],
            key_points=(tuple(str(a) for a in r["reference_answers"]),),
            answer=str(r["student_answer"]),
            covered=(r["label_2way"] == "correct",),
            question=str(r["question"]),
        )
        for r in read_jsonl(directory / f"semeval2013_{split}.jsonl")
    ]


class VectorStore:
    """Embeddings of many texts, one file per kind, extended as new texts come."""

    def __init__(self, name: str = "benchmark") -> None:
        self.name = name
        self.vectors: dict[str, dict[str, np.ndarray]] = {"query": {}, "passage": {}}
        for kind in self.vectors:
            path = self._path(kind)
            if path.exists():
                with np.load(path, allow_pickle=False) as data:
                    for text, vector in zip(data["texts"].tolist(), data["vectors"], strict=True):
                        self.vectors[kind][str(text)] = vector

    def _path(self, kind: str) -> Path:
        return embeddings.CACHE_DIR / f"{self.name}-{embeddings.model_fingerprint()}-{kind}.npz"

    def __call__(self, texts: Sequence[str], kind: Kind) -> Matrix:
        """Vectors for `texts`, computing (and keeping) the ones not seen before."""
        table = self.vectors[kind]
        missing = [t for t in dict.fromkeys(texts) if t not in table]
        for start in range(0, len(missing), 32):
            batch = missing[start : start + 32]
            table.update(zip(batch, embeddings.embed(batch, kind), strict=True))
        if not texts:
            return embeddings.embed([], kind)
        return np.stack([table[t] for t in texts]).astype(np.float32)

    def save(self) -> None:
        """Write the store back to disk."""
        embeddings.CACHE_DIR.mkdir(parents=True, exist_ok=True)
        for kind, table in self.vectors.items():
            texts = list(table)
            matrix = np.stack([table[t] for t in texts]) if texts else np.zeros((0, 384))
            partial = self._path(kind).with_suffix(".tmp.npz")
            np.savez(partial, texts=np.array(texts, dtype=str), vectors=matrix)
            partial.replace(self._path(kind))
