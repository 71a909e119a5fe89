"""Teach-back grading figures: every labelled set, SemEval-2013, the modules' own words, speed.

    .venv/bin/python -m benchmarks.teachback_grading [--no-semeval] [--errors SET]

Each set is graded by the coach's grader (`bot.teachback.grader`), with plain key points as
the `coach teachback grade` contract says; the embedding vectors come from a disk cache of
the same model (`benchmarks.teachback_data.VectorStore`) so a re-run is quick. Per set:
per-point accuracy, false credit (a point marked covered that was not, of the points not
covered), miss rate (a covered point marked missed, of the points covered), by kind and by
language; and answers marked "unsure" (the dialogue would ask one follow-up question).

- own: tests/data/teachback_answers.jsonl (fitted on);
- dev-train / dev-held-out: the blind dev set, split by chunk (only dev-train is fitted on);
- fresh / fresh-new-topic: tests/data/teachback_fresh.jsonl, never fitted or tuned on;
- SemEval-2013 2-way macro-F1 on every split, each reference answer a wording of one key
  point, correct when any is covered (train splits are fitted on; test splits never);
- the modules' own words: every `re_explain` and `accepted` text graded against its own
  plain key point, and as the coach grades it (with the point's wordings);
- time per answer: `grade_teachback` on the live model, off the cache, with the key points'
  vectors already in memory as the coach keeps them, on these 2 shared cores.

`--speed-only` prints the time per answer alone. `--errors SET` lists the points graded wrongly in a training set (own, dev-train) only.

Before issue 16 (the lexical grader, untouched, 2026-12-01 on these sets): own 0.939
accuracy (false credit 0.016, miss 0.132); dev 0.749 (0.032, 0.438), Welsh 0.564;
fresh 0.786 (0.082, 0.346), Welsh 0.686, new topics 0.753; own words 59 of 111 against
the plain key point; SemEval as run: Beetle UA 0.727, UQ 0.697, SciEntsBank UA 0.574,
UQ 0.595, UD 0.677.

After issue 16 (2026-12-02, this grader, data/teachback/grader_model.json): own 0.973
(false credit 0.019, miss 0.040); dev-train 0.966 (0.039, 0.030); dev-held-out 0.886
(0.085, 0.144), Welsh 0.889; fresh 0.899 (0.123, 0.079), Welsh 0.919, new topics 0.888;
own words 103 of 111 against the plain key point, 111 of 111 as the coach grades them;
SemEval: Beetle UA 0.708, UQ 0.719, SciEntsBank UA 0.690, UQ 0.744, UD 0.738; p95 82-103 ms
an answer at load average 1.9-2.4 on 2 shared cores, nearly all of it the embedding call.
"""

from __future__ import annotations

import argparse
import os
import statistics
import time
from collections import Counter
from collections.abc import Sequence

from benchmarks.teachback_data import (
    BLIND3,
    SEMEVAL_TEST,
    SEMEVAL_TRAIN,
    Item,
    VectorStore,
    dev_set,
    fresh_set,
    own_set,
    semeval_split,
)
from bot.content.teachback import load_modules
from bot.language import embeddings
from bot.teachback import grader, lexical, semantic
from bot.teachback.grader import PointResult

GOALS = "goals on held-out: accuracy >= 0.92, false credit <= 0.05, miss <= 0.10"
TRAINING_SETS = ("own", "dev-train")


def grade(items: Sequence[Item], store: VectorStore) -> list[list[PointResult]]:
    """The coach's grade of every item, with vectors from the store."""
    model = grader.load_model()
    out = []
    for item in items:
        analysed, evidence = grader.gather(
            item.key_points, item.answer, item.lang, item.question, embed=store
        )
        out.append([grader.decide(row, analysed, model) for row in evidence])
    return out


def _counts(pairs: Sequence[tuple[bool, bool]]) -> Counter[str]:
    counts: Counter[str] = Counter()
    for predicted, truth in pairs:
        counts[{(True, True): "tp", (False, False): "tn", (True, False): "fp",
                (False, True): "fn"}[(predicted, truth)]] += 1  # fmt: skip
    return counts


def describe(pairs: Sequence[tuple[bool, bool]]) -> str:
    """Accuracy, false credit and miss rate of (predicted, truth) pairs."""
    c = _counts(pairs)
    total = sum(c.values())
    if not total:
        return "n=0"
    accuracy = (c["tp"] + c["tn"]) / total
    negatives, positives = c["fp"] + c["tn"], c["fn"] + c["tp"]
    false_credit = f"{c['fp'] / negatives:.3f}" if negatives else "  -  "
    miss = f"{c['fn'] / positives:.3f}" if positives else "  -  "
    return f"accuracy {accuracy:.3f}  false credit {false_credit}  miss {miss}  (n={total})"


def report(name: str, items: Sequence[Item], results: Sequence[Sequence[PointResult]]) -> None:
    """Figures for one set: overall, by language, by kind; and the unsure share."""
    pairs = [
        (r.covered, t)
        for item, row in zip(items, results, strict=True)
        for r, t in zip(row, item.covered, strict=True)
    ]
    print(f"{name}: {len(items)} answers")
    print(f"  all              {describe(pairs)}")
    for key, label in (("lang", "language"), ("kind", "kind")):
        values = sorted({getattr(i, key) for i in items})
        for value in values:
            subset = [
                (r.covered, t)
                for item, row in zip(items, results, strict=True)
                if getattr(item, key) == value
                for r, t in zip(row, item.covered, strict=True)
            ]
            print(f"  {label} {value:18s} {describe(subset)}"[:110])
    unsure = [r for row in results for r in row if r.unsure]
    right = sum(
        t
        for item, row in zip(items, results, strict=True)
        for r, t in zip(row, item.covered, strict=True)
        if r.unsure
    )
    print(f"  unsure (a follow-up question): {len(unsure)} points, {right} of them covered")


def macro_f1(pairs: Sequence[tuple[bool, bool]]) -> float:
    """2-way macro-F1, as SemEval-2013 reports it."""
    scores = []
    for positive in (True, False):
        tp = sum(1 for p, t in pairs if p == positive and t == positive)
        fp = sum(1 for p, t in pairs if p == positive and t != positive)
        fn = sum(1 for p, t in pairs if p != positive and t == positive)
        precision = tp / (tp + fp) if tp + fp else 0.0
        recall = tp / (tp + fn) if tp + fn else 0.0
        scores.append(2 * precision * recall / (precision + recall) if precision + recall else 0.0)
    return statistics.fmean(scores)


def semeval(store: VectorStore) -> None:
    """2-way macro-F1 on every SemEval-2013 split, graded by the coach's grader."""
    print("SemEval-2013 Task 7, 2-way macro-F1 (reference answers as one point's wordings):")
    for split in (*SEMEVAL_TRAIN, *SEMEVAL_TEST):
        items = semeval_split(split)
        results = grade(items, store)
        pairs = [
            (row[0].covered, item.covered[0]) for item, row in zip(items, results, strict=True)
        ]
        note = "  (fitted on)" if split in SEMEVAL_TRAIN else ""
        print(f"  {split:22s} {macro_f1(pairs):.3f}  accuracy "
              f"{sum(p == t for p, t in pairs) / len(pairs):.3f}  n={len(pairs)}{note}")  # fmt: skip
    store.save()


def own_words() -> None:
    """Every module's re-explanations and accepted phrasings, graded for their own point."""
    plain = coach = total = 0
    for module in load_modules().values():
        for chunk in module.chunks:
            for point in chunk.key_points:
                for lang in ("en", "cy"):
                    texts = [point.re_explain.in_language(lang), *point.accepted.get(lang, ())]
                    for text in texts:
                        total += 1
                        plain += grader.grade_teachback([point.text.in_language(lang)], text, lang)[
                            0
                        ].covered
                        coach += grader.grade_with_phrasings([point.wordings(lang)], text, lang)[
                            0
                        ].covered
    print(f"the modules' own words: {plain} of {total} against the plain key point, "
          f"{coach} of {total} as the coach grades them (goal: all)")  # fmt: skip


def speed(items: Sequence[Item]) -> None:
    """Milliseconds per answer on the live model, with the key points' vectors in memory,
    and how much of it is the one embedding call for the answer's clauses."""
    semantic.remember_point_vectors(sorted({p for i in items for w in i.key_points for p in w}))
    times, embedding = [], []
    for item in items:
        points = [w[0] for w in item.key_points][:4]
        started = time.perf_counter()
        grader.grade_teachback(points, item.answer, item.lang)
        times.append((time.perf_counter() - started) * 1000)
        clauses = semantic.clauses(lexical.analyse(item.answer, item.lang).raw)
        started = time.perf_counter()
        embeddings.embed(clauses, "query")
        embedding.append((time.perf_counter() - started) * 1000)

    def p(values: list[float], share: float) -> float:
        ordered = sorted(values)
        return ordered[min(len(ordered) - 1, round(share * (len(ordered) - 1)))]

    load = os.getloadavg()[0]
    print(f"time per answer (live model, up to 4 key points, {len(times)} answers, load average "
          f"{load:.1f} on {os.cpu_count()} cores): p50 {p(times, 0.5):.1f} ms, p95 "
          f"{p(times, 0.95):.1f} ms (goal p95 <= 50 ms); of which the answer's embedding: "
          f"p50 {p(embedding, 0.5):.1f} ms, p95 {p(embedding, 0.95):.1f} ms")  # fmt: skip


def errors(name: str, items: Sequence[Item], results: Sequence[Sequence[PointResult]]) -> None:
    """Every point graded wrongly in a training set."""
    for item, row in zip(items, results, strict=True):
        for point, result, truth in zip(item.key_points, row, item.covered, strict=True):
            if result.covered != truth:
                kind = "false credit" if result.covered else "miss"
                print(f"  {kind}: {item.id} ({item.kind}, {item.lang}) {point[0]!r}\n"
                      f"      {item.answer!r} p={result.score} evidence={result.evidence}")  # fmt: skip
    del name


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--no-semeval", action="store_true")
    parser.add_argument(
        "--no-fresh", action="store_true", help="leave the fresh blind set out (while developing)"
    )
    parser.add_argument("--errors", choices=TRAINING_SETS, help="list a training set's errors")
    parser.add_argument("--speed-only", action="store_true")
    args = parser.parse_args()
    grader.warm_up()
    store = VectorStore()
    train, held = dev_set()
    if args.speed_only:
        speed(train + held)
        return
    fresh = fresh_set()
    sets = {
        "own": own_set(),
        "dev-train": train,
        "dev-held-out": held,
    }
    if not args.no_fresh:
        sets["fresh (existing topics)"] = [i for i in fresh if i.set == "fresh"]
        sets["fresh (new topics)"] = [i for i in fresh if i.set == "fresh-new-topic"]
        sets["fresh (all)"] = fresh
        third = fresh_set(BLIND3, "blind3")
        sets["third blind set (existing topics)"] = [i for i in third if i.set == "blind3"]
        sets["third blind set (new topics)"] = [i for i in third if i.set != "blind3"]
        sets["third blind set (all)"] = third
    print(GOALS)
    for name, items in sets.items():
        results = grade(items, store)
        report(name, items, results)
        if args.errors == name:
            errors(name, items, results)
    store.save()
    own_words()
    speed(train + held)
    if not args.no_semeval:
        semeval(store)


if __name__ == "__main__":
    main()
