"""Fit the reference-answer combiner's constants on the SemEval-2013 training splits only.

    .venv/bin/python -m benchmarks.fit_reference_answers [--semeval DIR]

For each corpus (Beetle, SciEntsBank) this computes `reference_features` for every answer
in `<corpus>_train.jsonl`, fits an L2-regularised logistic regression by Newton's method
(numpy only, no scikit-learn), and chooses the regularisation and the decision threshold
by 5-fold cross-validation *grouped by question* on the training split, so the held-out
folds hold questions the model has not seen, as in the unseen-question and unseen-domain
test splits. The test splits are never read. It prints the constants that
`bot/teachback/grader.py` stores in `REFERENCE_MODELS`.

Beetle gives several reference answers per question: an answer is scored against each and
the best probability counts. For fitting, each answer first takes the reference with the
most loose recall plus precision, then (second round) the one the first model likes best.

Last run (the constants now in grader.py): grouped 5-fold macro-F1 on the train splits
0.779 for Beetle (penalty 10, threshold 0.47) and 0.692 for SciEntsBank (penalty 10,
threshold 0.42). It takes several minutes: every answer is graded against every reference.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

from benchmarks.teachback_grading import SEMEVAL, _rows
from bot.teachback import warm_up
from bot.teachback.grader import REFERENCE_FEATURES, reference_features

Array = npt.NDArray[np.float64]
PENALTIES = (0.1, 1.0, 10.0, 100.0)
FOLDS = 5


def _features(rows: list[dict[str, Any]]) -> list[Array]:
    return [
        np.array(
            [
                [reference_features(ref, row["student_answer"], row["question"])[name]
                 for name in REFERENCE_FEATURES]
                for ref in row["reference_answers"]
            ]
        )
        for row in rows
    ]  # fmt: skip


def _fit(x: Array, y: Array, penalty: float) -> Array:
    """Logistic regression weights (bias last) on standardised columns, by Newton's method."""
    xb = np.hstack([x, np.ones((len(x), 1))])
    w = np.zeros(xb.shape[1])
    ridge = penalty * np.eye(len(w))
    ridge[-1, -1] = 0.0
    for _ in range(50):
        p = 1.0 / (1.0 + np.exp(-(xb @ w)))
        hessian = xb.T @ (xb * (p * (1 - p))[:, None]) + ridge
        step = np.linalg.solve(hessian, xb.T @ (p - y) + ridge @ w)
        w -= step
        if np.abs(step).max() < 1e-8:
            break
    return w


def _probability(x: Array, w: Array) -> Array:
    probability: Array = 1.0 / (1.0 + np.exp(-(x @ w[:-1] + w[-1])))
    return probability


def _macro_f1(predicted: Array, truth: Array) -> float:
    scores = []
    for positive in (1.0, 0.0):
        tp = np.sum((predicted == positive) & (truth == positive))
        fp = np.sum((predicted == positive) & (truth != positive))
        fn = np.sum((predicted != positive) & (truth == positive))
        scores.append(2 * tp / (2 * tp + fp + fn) if tp else 0.0)
    return float(np.mean(scores))


def _choose(per_answer: list[Array], y: Array, w: Array | None) -> Array:
    """One feature row per answer: its best reference (by loose overlap, or by the model)."""
    recall = REFERENCE_FEATURES.index("recall_loose")
    precision = REFERENCE_FEATURES.index("precision_loose")
    rows = []
    for options in per_answer:
        if w is None:
            best = int(np.argmax(options[:, recall] + options[:, precision]))
        else:
            best = int(np.argmax(_probability(options, w)))
        rows.append(options[best])
    return np.array(rows)


def _cross_validate(x: Array, y: Array, groups: npt.NDArray[Any], penalty: float) -> Array:
    questions = np.unique(groups)
    np.random.RandomState(0).shuffle(questions)
    held_out = np.zeros(len(y))
    for fold in np.array_split(questions, FOLDS):
        test = np.isin(groups, fold)
        held_out[test] = _probability(x[test], _fit(x[~test], y[~test], penalty))
    return held_out


def fit_corpus(path: Path) -> tuple[dict[str, float], float, float]:
    rows = _rows(path)
    per_answer = _features(rows)
    y = np.array([row["label_2way"] == "correct" for row in rows], dtype=float)
    groups = np.array([row["question_id"] for row in rows])
    raw_w: Array | None = None
    for _ in range(2):
        x = _choose(per_answer, y, raw_w)
        mean, spread = x.mean(0), x.std(0) + 1e-9
        z = (x - mean) / spread
        results = []
        for penalty in PENALTIES:
            held_out = _cross_validate(z, y, groups, penalty)
            thresholds = np.round(np.arange(0.30, 0.70, 0.01), 2)
            best_t = max(thresholds, key=lambda t: _macro_f1((held_out >= t) * 1.0, y))
            results.append((_macro_f1((held_out >= best_t) * 1.0, y), penalty, float(best_t)))
        score, penalty, threshold = max(results)
        w = _fit(z, y, penalty)
        raw_w = np.append(w[:-1] / spread, w[-1] - np.sum(w[:-1] * mean / spread))
    assert raw_w is not None
    weights = {
        name: round(float(v), 4) for name, v in zip(REFERENCE_FEATURES, raw_w[:-1], strict=True)
    }
    weights["bias"] = round(float(raw_w[-1]), 4)
    print(f"  {path.name}: grouped {FOLDS}-fold macro-F1 {score:.3f}, penalty {penalty}")
    return weights, threshold, score


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--semeval", type=Path, default=SEMEVAL)
    parser.add_argument("--corpus", choices=("beetle", "scientsbank"), action="append")
    args = parser.parse_args()
    warm_up()
    models = {}
    for corpus in args.corpus or ("beetle", "scientsbank"):
        weights, threshold, _ = fit_corpus(args.semeval / f"semeval2013_{corpus}_train.jsonl")
        models[corpus] = {"weights": weights, "threshold": threshold}
    print(json.dumps(models, indent=4))


if __name__ == "__main__":
    main()
