"""Intent F1 on the blind NLU set, per intent and per language, and parse time per message.

The blind set (`tests/data/nlu_blind.jsonl`, README beside it) was written from the intents'
descriptions alone, by someone who never saw the training data. It is never trained on:
this benchmark only reads its labels and predictions, and prints figures, never a message
(so nobody tunes training examples to its wording).

    .venv/bin/python -m benchmarks.nlu_blind                       # models/coach.tar.gz
    .venv/bin/python -m benchmarks.nlu_blind --model other.tar.gz
    .venv/bin/python -m benchmarks.nlu_blind --config config.yml   # trains NLU only, then scores
    .venv/bin/python -m benchmarks.nlu_blind --confusions          # true -> predicted counts

Some short, common messages ("yes", "thanks") are in the training data too, written
independently; the figures are also given without those exact matches (after lower-casing
and dropping punctuation), so the score of text the model never saw is visible.

A prediction of `nlu_fallback` (below the FallbackClassifier's threshold) counts as a miss,
as it would in the conversation. Macro-F1 is over the intents present in each language.
It runs Rasa in .venv-rasa (a child process); nothing here is a test.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import subprocess
import sys
import tempfile
from collections import Counter
from pathlib import Path
from typing import Any

import yaml

from bot.config import ROOT

RASA_PYTHON = ROOT / ".venv-rasa" / "bin" / "python"
BLIND = ROOT / "tests" / "data" / "nlu_blind.jsonl"
GOAL = 0.85

WORKER = r"""
import asyncio, json, sys, time, logging
from pathlib import Path
logging.disable(logging.WARNING)
from rasa.core.agent import Agent
from rasa.core.channels.channel import UserMessage

job = json.loads(sys.argv[1])
model = job["model"]
if job.get("config"):
    from rasa.model_training import train_nlu
    started = time.monotonic()
    model = train_nlu(job["config"], job["nlu"], job["out"], fixed_model_name="nlu")
    print(f"trained in {time.monotonic() - started:.0f} s", file=sys.stderr, flush=True)
processor = Agent.load(model).processor
loop = asyncio.new_event_loop()
asyncio.set_event_loop(loop)
texts = [json.loads(line)["text"] for line in Path(job["blind"]).read_text().splitlines() if line]
for t in texts[:10]:
    loop.run_until_complete(processor.parse_message(UserMessage(t)))
guesses, times = [], []
for t in texts:
    started = time.perf_counter()
    parsed = loop.run_until_complete(processor.parse_message(UserMessage(t)))
    times.append(time.perf_counter() - started)
    guesses.append((parsed.get("intent") or {}).get("name") or "")
times.sort()
print(json.dumps({"guesses": guesses, "p50_ms": times[len(times) // 2] * 1000,
                  "p95_ms": times[int(len(times) * 0.95)] * 1000}))
"""


def _plain(text: str) -> str:
    return " ".join(re.sub(r"[^\w' ]+", " ", text.lower()).split())


def training_texts() -> set[str]:
    """Every training example of data/nlu, lower-cased, entities unmarked."""
    found: set[str] = set()
    for path in sorted((ROOT / "data" / "nlu").glob("*.yml")):
        for item in (yaml.safe_load(path.read_text(encoding="utf-8")) or {}).get("nlu", []):
            for line in str(item.get("examples") or "").splitlines():
                line = line.strip()
                if line.startswith("- "):
                    text = re.sub(r"\[([^\]]+)\](\([^)]*\)|\{[^}]*\})", r"\1", line[2:])
                    found.add(_plain(text))
    return found


def f1_by_intent(truth: list[str], guess: list[str]) -> dict[str, tuple[float, int]]:
    """Per true intent: (F1, support)."""
    labels = sorted(set(truth))
    out: dict[str, tuple[float, int]] = {}
    for label in labels:
        tp = sum(1 for t, g in zip(truth, guess, strict=True) if t == label and g == label)
        fp = sum(1 for t, g in zip(truth, guess, strict=True) if t != label and g == label)
        fn = sum(1 for t, g in zip(truth, guess, strict=True) if t == label and g != label)
        precision = tp / (tp + fp) if tp + fp else 0.0
        recall = tp / (tp + fn) if tp + fn else 0.0
        f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
        out[label] = (f1, tp + fn)
    return out


def predict(args: argparse.Namespace) -> dict[str, Any]:
    """Run the worker in the engine's venv: the blind set's predicted intents and timings."""
    with tempfile.TemporaryDirectory(prefix="nlu-blind-") as tmp:
        job = {
            "model": str(args.model),
            "config": str(args.config) if args.config else None,
            "nlu": str(ROOT / "data" / "nlu"),
            "out": tmp,
            "blind": str(BLIND),
        }
        env = {
            **os.environ,
            "TF_CPP_MIN_LOG_LEVEL": "2",
            "PYTHONWARNINGS": "ignore",
            "TF_INTER_OP_PARALLELISM_THREADS": "1",
            "TF_INTRA_OP_PARALLELISM_THREADS": "1",
        }
        result = subprocess.run(
            [str(RASA_PYTHON), "-c", WORKER, json.dumps(job)],
            cwd=ROOT,
            env=env,
            stdout=subprocess.PIPE,
            text=True,
            check=False,
        )
        if result.returncode != 0:
            sys.exit(f"the worker failed ({result.returncode})")
        figures: dict[str, Any] = json.loads(result.stdout.strip().splitlines()[-1])
        return figures


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--model", type=Path, default=ROOT / "models" / "coach.tar.gz")
    parser.add_argument("--config", type=Path, help="train an NLU-only model with this config")
    parser.add_argument("--confusions", action="store_true", help="true -> predicted counts")
    parser.add_argument("--json", type=Path, help="also write the figures here")
    args = parser.parse_args()
    rows = [json.loads(line) for line in BLIND.read_text(encoding="utf-8").splitlines() if line]
    figures = predict(args)
    guesses: list[str] = figures["guesses"]
    report: dict[str, Any] = {"p50_ms": figures["p50_ms"], "p95_ms": figures["p95_ms"]}
    seen = training_texts()
    per_language: dict[str, dict[str, tuple[float, int]]] = {}
    for language in ("en", "cy"):
        picked = [(r, g) for r, g in zip(rows, guesses, strict=True) if r["lang"] == language]
        for subset, chosen in (
            ("all", picked),
            ("unseen", [(r, g) for r, g in picked if _plain(r["text"]) not in seen]),
        ):
            truth, guess = [r["intent"] for r, _ in chosen], [g for _, g in chosen]
            table = f1_by_intent(truth, guess)
            if subset == "all":
                per_language[language] = table
            macro = sum(f for f, _ in table.values()) / len(table)
            accuracy = sum(1 for t, g in zip(truth, guess, strict=True) if t == g) / len(truth)
            report[f"{language}_{subset}"] = {
                "macro_f1": macro,
                "accuracy": accuracy,
                "messages": len(chosen),
            }
    intents = sorted(set(per_language["en"]) | set(per_language["cy"]))
    print(f"{'intent':<24}{'en F1':>8}{'n':>4}{'cy F1':>8}{'n':>4}")
    for intent in intents:
        en = per_language["en"].get(intent, (float("nan"), 0))
        cy = per_language["cy"].get(intent, (float("nan"), 0))
        print(f"{intent:<24}{en[0]:>8.3f}{en[1]:>4}{cy[0]:>8.3f}{cy[1]:>4}")
    for language in ("en", "cy"):
        for subset in ("all", "unseen"):
            r = report[f"{language}_{subset}"]
            met = "meets" if r["macro_f1"] >= GOAL else "below"
            print(
                f"{language} ({subset} {r['messages']} messages): macro-F1 {r['macro_f1']:.3f} "
                f"({met} the {GOAL} goal), accuracy {r['accuracy']:.3f}"
            )
    fallback = sum(1 for g in guesses if g == "nlu_fallback")
    print(
        f"nlu_fallback on {fallback} of {len(guesses)}; parse p50 {report['p50_ms']:.1f} ms, "
        f"p95 {report['p95_ms']:.1f} ms a message"
    )
    if args.confusions:
        pairs = Counter(
            (r["intent"], g) for r, g in zip(rows, guesses, strict=True) if r["intent"] != g
        )
        for (true, guessed), count in pairs.most_common(40):
            print(f"  {true:<24} -> {guessed:<24} {count}")
    if args.json:
        report["per_intent"] = {
            lang: {k: {"f1": f, "n": n} for k, (f, n) in table.items()}
            for lang, table in per_language.items()
        }
        args.json.write_text(json.dumps(report, indent=2))


if __name__ == "__main__":
    main()
