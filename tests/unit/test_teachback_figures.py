"""The grader's headline figures on the blind dev set's held-out chunks, in every test run.

Graded by the coach's grader with the embedding vectors from the disk cache
(benchmarks/teachback_data.VectorStore), so it stays quick; the full figures, by kind and
language, are in benchmarks/teachback_grading.py.
"""

from __future__ import annotations

import pytest

from benchmarks.teachback_data import DEV, VectorStore, dev_set
from benchmarks.teachback_grading import describe, grade

UNTOUCHED_ACCURACY = 0.749  # the lexical grader before issue 16, on the whole dev set


def test_held_out_chunks_are_graded_better_than_before(figures: list[str]) -> None:
    if not DEV.exists():
        pytest.skip(f"the blind dev set is not on this machine ({DEV})")
    _, held_out = dev_set()
    store = VectorStore()
    results = grade(held_out, store)
    store.save()
    pairs = [
        (r.covered, truth)
        for item, row in zip(held_out, results, strict=True)
        for r, truth in zip(row, item.covered, strict=True)
    ]
    figures.append(f"teach-back grader, blind dev held-out chunks: {describe(pairs)}")
    accuracy = sum(p == t for p, t in pairs) / len(pairs)
    assert accuracy > UNTOUCHED_ACCURACY
