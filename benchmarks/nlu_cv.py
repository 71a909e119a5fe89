"""NLU macro-F1 by stratified k-fold cross-validation, and per-message parse latency.

For config.yml and for each candidate pipeline, on the same folds (fixed seed):
- trains the NLU pipeline on k-1 folds of data/nlu and predicts the held-back fold, as the
  deployed model would (a low-confidence answer is `nlu_fallback`, and counts as a miss);
- prints the macro-F1 and accuracy over all folds, and the macro-F1 on the held-out
  examples in tests/nlu of a model trained on all of data/nlu;
- times that model's parse of every tests/nlu message (p50/p95 ms per message, after a
  warm-up), in the engine's venv with the TF thread settings the engine runs with.

    .venv/bin/python -m benchmarks.nlu_cv                    # config.yml vs "fast"
    .venv/bin/python -m benchmarks.nlu_cv --folds 5 --candidates fast lean
    .venv/bin/python -m benchmarks.nlu_cv --config-file other.yml --no-current

It runs Rasa in .venv-rasa (a child process) and prints figures; nothing here is a test.
"""

from __future__ import annotations

import argparse
import copy
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import yaml

from bot.config import ROOT

RASA_PYTHON = ROOT / ".venv-rasa" / "bin" / "python"


def _pipeline(config: dict[str, Any], name: str) -> list[dict[str, Any]]:
    return [c for c in config["pipeline"] if c["name"] == name]


def candidates(current: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """Faster pipelines to weigh against config.yml (the policies are left alone)."""
    out: dict[str, dict[str, Any]] = {}

    # fast: one small transformer layer instead of two of 256 units, and character n-grams
    # up to 3 instead of 4 (a smaller sparse input layer).
    fast = copy.deepcopy(current)
    for diet in _pipeline(fast, "DIETClassifier"):
        diet.update(number_of_transformer_layers=1, transformer_size=128)
    for cv in _pipeline(fast, "CountVectorsFeaturizer"):
        if cv.get("analyzer") == "char_wb":
            cv["max_ngram"] = 3
    out["fast"] = fast

    # lean: as fast, and without the LexicalSyntacticFeaturizer (per-token Python work).
    lean = copy.deepcopy(fast)
    lean["pipeline"] = [c for c in lean["pipeline"] if c["name"] != "LexicalSyntacticFeaturizer"]
    out["lean"] = lean

    # diet: the pipeline before issue 17, DIET classifying intents on word and character
    # n-grams alone (no e5 embedding, no logistic regression).
    diet = copy.deepcopy(current)
    diet["pipeline"] = [c for c in diet["pipeline"] if not str(c["name"]).startswith("engine.")]
    for component in _pipeline(diet, "DIETClassifier"):
        component.pop("intent_classification", None)
        component["epochs"] = 70
    for component in _pipeline(diet, "FallbackClassifier"):
        component.update(threshold=0.6, ambiguity_threshold=0.1)
    out["diet"] = diet

    # notrans: DIET with no transformer at all (bag of features into the embedding).
    notrans = copy.deepcopy(current)
    for diet in _pipeline(notrans, "DIETClassifier"):
        diet.update(number_of_transformer_layers=0)
    out["notrans"] = notrans
    return out


WORKER = r"""
import asyncio, json, os, sys, tempfile, time, logging
from pathlib import Path
logging.disable(logging.WARNING)
import numpy as np
from sklearn.metrics import f1_score, accuracy_score
from sklearn.model_selection import StratifiedKFold
from rasa.shared.nlu.training_data.loading import load_data
from rasa.shared.nlu.training_data.training_data import TrainingData
from rasa.shared.nlu.training_data.formats.rasa_yaml import RasaYAMLWriter
from rasa.model_training import train_nlu
from rasa.core.agent import Agent
from rasa.core.channels.channel import UserMessage

job = json.loads(sys.argv[1])
config, folds, seed, tmp = job["config"], job["folds"], job["seed"], Path(job["tmp"])
data = load_data(job["nlu"])
held_out = load_data(job["test_nlu"])

def train(examples, name):
    td = TrainingData(training_examples=examples, entity_synonyms=data.entity_synonyms,
                      regex_features=data.regex_features, lookup_tables=data.lookup_tables)
    path = tmp / f"{name}.yml"
    RasaYAMLWriter().dump(path, td)
    started = time.monotonic()
    model = train_nlu(config, str(path), str(tmp / name), fixed_model_name="nlu")
    return Agent.load(model).processor, time.monotonic() - started

loop = asyncio.new_event_loop()
asyncio.set_event_loop(loop)

def predict(processor, examples):
    out = []
    for ex in examples:
        parsed = loop.run_until_complete(processor.parse_message(UserMessage(ex.get("text"))))
        out.append((parsed.get("intent") or {}).get("name") or "")
    return out

x = [e for e in data.intent_examples]
y = [e.get("intent") for e in x]
truth, guess, train_seconds = [], [], []
skf = StratifiedKFold(n_splits=folds, shuffle=True, random_state=seed)
for i, (tr, te) in enumerate(skf.split(x, y)):
    processor, seconds = train([x[j] for j in tr], f"fold{i}")
    train_seconds.append(seconds)
    truth += [y[j] for j in te]
    guess += predict(processor, [x[j] for j in te])
    print(f"  fold {i + 1}/{folds} trained in {seconds:.0f} s", file=sys.stderr, flush=True)
labels = sorted(set(y))
cv_f1 = f1_score(truth, guess, labels=labels, average="macro", zero_division=0)
cv_acc = accuracy_score(truth, guess)

processor, seconds = train(x, "full")
train_seconds.append(seconds)
tests = held_out.intent_examples
ho_truth = [e.get("intent") for e in tests]
ho_guess = predict(processor, tests)
ho_labels = sorted(set(ho_truth))
ho_f1 = f1_score(ho_truth, ho_guess, labels=ho_labels, average="macro", zero_division=0)
ho_acc = accuracy_score(ho_truth, ho_guess)

texts = [e.get("text") for e in tests]
for t in texts[:20]:
    loop.run_until_complete(processor.parse_message(UserMessage(t)))
times = []
for _ in range(job["repeats"]):
    for t in texts:
        started = time.perf_counter()
        loop.run_until_complete(processor.parse_message(UserMessage(t)))
        times.append(time.perf_counter() - started)
times.sort()
print(json.dumps({
    "cv_macro_f1": cv_f1, "cv_accuracy": cv_acc, "cv_examples": len(truth),
    "heldout_macro_f1": ho_f1, "heldout_accuracy": ho_acc, "heldout_examples": len(tests),
    "parse_p50_ms": times[len(times) // 2] * 1000,
    "parse_p95_ms": times[int(len(times) * 0.95)] * 1000,
    "parse_mean_ms": sum(times) / len(times) * 1000,
    "train_seconds_per_model": sum(train_seconds) / len(train_seconds),
}))
"""


def evaluate(name: str, config: dict[str, Any], args: argparse.Namespace) -> dict[str, Any]:
    """One config through the worker in the engine's venv."""
    with tempfile.TemporaryDirectory(prefix=f"nlu-cv-{name}-") as tmp:
        path = Path(tmp) / "config.yml"
        path.write_text(yaml.safe_dump(config, sort_keys=False))
        job = {
            "config": str(path),
            "folds": args.folds,
            "seed": args.seed,
            "tmp": tmp,
            "nlu": str(ROOT / "data" / "nlu"),
            "test_nlu": str(ROOT / "tests" / "nlu"),
            "repeats": args.repeats,
        }
        env = {
            **os.environ,
            "TF_CPP_MIN_LOG_LEVEL": "2",
            "PYTHONWARNINGS": "ignore",
            "TF_INTER_OP_PARALLELISM_THREADS": str(args.tf_inter),
            "TF_INTRA_OP_PARALLELISM_THREADS": str(args.tf_intra),
        }
        started = time.monotonic()
        print(f"{name}: {args.folds}-fold CV + one full model ...", flush=True)
        result = subprocess.run(
            [str(RASA_PYTHON), "-c", WORKER, json.dumps(job)],
            cwd=ROOT,
            env=env,
            stdout=subprocess.PIPE,
            text=True,
            check=False,
        )
        if result.returncode != 0:
            sys.exit(f"{name}: the worker failed ({result.returncode})")
        figures: dict[str, Any] = json.loads(result.stdout.strip().splitlines()[-1])
        figures["wall_seconds"] = time.monotonic() - started
        print(f"{name}: {json.dumps(figures)}", flush=True)
        return figures


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--folds", type=int, default=5)
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument("--repeats", type=int, default=5, help="timed parses of each message")
    parser.add_argument("--candidates", nargs="*", default=["fast"])
    parser.add_argument("--config-file", action="append", default=[], help="more configs")
    parser.add_argument("--no-current", action="store_true", help="skip config.yml")
    parser.add_argument("--tf-inter", type=int, default=1, help="as the engine runs")
    parser.add_argument("--tf-intra", type=int, default=1, help="as the engine runs")
    args = parser.parse_args()
    current = yaml.safe_load((ROOT / "config.yml").read_text())
    configs: dict[str, dict[str, Any]] = {} if args.no_current else {"config.yml": current}
    known = candidates(current)
    for name in args.candidates:
        if name not in known:
            sys.exit(f"unknown candidate {name!r}; known: {', '.join(known)}")
        configs[name] = known[name]
    for extra in args.config_file:
        configs[extra] = yaml.safe_load(Path(extra).read_text())
    print(f"load before: {Path('/proc/loadavg').read_text().strip()}")
    results = {name: evaluate(name, config, args) for name, config in configs.items()}
    print(f"\n=== NLU: {args.folds}-fold CV (seed {args.seed}) on data/nlu; held-out tests/nlu ===")
    print(
        f"{'config':<14}{'CV macro-F1':>12}{'CV acc':>8}{'held-out F1':>12}{'HO acc':>8}"
        f"{'parse p50':>10}{'p95 ms':>8}{'train s':>9}"
    )
    for name, r in results.items():
        print(
            f"{name:<14}{r['cv_macro_f1']:>12.4f}{r['cv_accuracy']:>8.4f}"
            f"{r['heldout_macro_f1']:>12.4f}{r['heldout_accuracy']:>8.4f}"
            f"{r['parse_p50_ms']:>10.2f}{r['parse_p95_ms']:>8.2f}"
            f"{r['train_seconds_per_model']:>9.0f}"
        )
    print(
        f"CV examples {next(iter(results.values()))['cv_examples']}; load after: "
        f"{Path('/proc/loadavg').read_text().strip()}"
    )


if __name__ == "__main__":
    main()
