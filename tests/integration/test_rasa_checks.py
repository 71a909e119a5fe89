"""Rasa's own checks on the training data and the trained model: validate, stories, NLU."""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

import pytest

from bot.config import ROOT

pytestmark = pytest.mark.engine

RASA = ROOT / ".venv-rasa" / "bin" / "rasa"
QUIET = {**os.environ, "TF_CPP_MIN_LOG_LEVEL": "2", "PYTHONWARNINGS": "ignore"}
MIN_INTENT_MACRO_F1 = 0.85


def rasa(*args: str) -> subprocess.CompletedProcess[str]:
    """Run a rasa command in the engine's venv from the repo root."""
    return subprocess.run(
        [str(RASA), *args], cwd=ROOT, env=QUIET, capture_output=True, text=True, timeout=900
    )


def test_training_data_validates() -> None:
    result = rasa(
        "data", "validate", "--domain", "domain.yml", "--data", "data/nlu", "stories",
        "--config", "config.yml", "--fail-on-warnings",
    )  # fmt: skip
    assert result.returncode == 0, result.stdout[-4000:] + result.stderr[-4000:]


def test_stories_predicted_without_errors(trained_model: Path, tmp_path: Path) -> None:
    result = rasa(
        "test", "core", "--stories", "tests/stories", "--model", str(trained_model),
        "--fail-on-prediction-errors", "--e2e", "--out", str(tmp_path),
    )  # fmt: skip
    assert result.returncode == 0, result.stdout[-4000:] + result.stderr[-4000:]


def test_nlu_evaluation_on_held_out_examples(
    trained_model: Path, tmp_path: Path, figures: list[str]
) -> None:
    result = rasa(
        "test", "nlu", "--nlu", "tests/nlu", "--model", str(trained_model), "--out", str(tmp_path)
    )
    assert result.returncode == 0, result.stdout[-4000:] + result.stderr[-4000:]
    report = json.loads((tmp_path / "intent_report.json").read_text())
    macro = report["macro avg"]
    figures.append(
        f"NLU held-out: accuracy {report['accuracy']:.3f}, macro F1 {macro['f1-score']:.3f}, "
        f"weighted F1 {report['weighted avg']['f1-score']:.3f}, examples {macro['support']}"
    )
    for intent, row in sorted(report.items()):
        if isinstance(row, dict) and "f1-score" in row and not intent.endswith(" avg"):
            figures.append(f"  {intent:<24} f1 {row['f1-score']:.3f}  n={row['support']}")
    assert macro["f1-score"] >= MIN_INTENT_MACRO_F1
