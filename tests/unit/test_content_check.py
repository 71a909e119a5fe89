"""`coach content check`: the real modules pass; each kind of bad module is rejected."""

from __future__ import annotations

import copy
import datetime as dt
from pathlib import Path
from typing import Any

import pytest
import yaml

from bot.cli import main
from bot.content.check import check_dialogue, check_module, check_paths
from bot.content.readability import flesch_reading_ease
from bot.content.teachback import (
    DIALOGUE_FILE,
    MODULES_DIR,
    find_module,
    load_dialogue,
    load_modules,
    parse_module,
    read_yaml,
)

REQUIRED = {"metformin", "inhaler", "hypo", "copd-rescue-pack", "blood-pressure", "foot-care"}


def module() -> dict[str, Any]:
    data: dict[str, Any] = read_yaml(MODULES_DIR / "metformin.yml")
    return copy.deepcopy(data)


def test_the_six_modules_pass_and_say_they_are_examples() -> None:
    assert main(["content", "check"]) == 0
    modules = load_modules()
    assert set(modules) >= REQUIRED
    for path in MODULES_DIR.glob("*.yml"):
        header = " ".join(path.read_text(encoding="utf-8").splitlines()[:2])
        assert "Example content" in header and "reviewed by a clinician" in header
    for found in modules.values():
        assert "clinical review" in found.review_notice.en


def test_modules_are_found_by_everyday_names() -> None:
    assert (m := find_module("teach me about my puffer")) is not None and m.id == "inhaler"
    assert (m := find_module("fy nhraed")) is not None and m.id == "foot-care"
    assert find_module("the weather") is None


def test_missing_welsh_is_rejected() -> None:
    data = module()
    del data["chunks"][0]["text"]["cy"]
    assert any("missing 'cy'" in p for p in check_module(data))


def test_key_point_without_re_explanation_is_rejected() -> None:
    data = module()
    del data["chunks"][0]["key_points"][0]["re_explain"]
    assert any("no re-explanation" in p for p in check_module(data))


def test_long_chunk_is_rejected() -> None:
    data = module()
    data["chunks"][0]["text"]["en"] = "Take it with food. " * 20
    assert any("words (at most 60)" in p for p in check_module(data))


def test_hard_chunk_is_rejected() -> None:
    data = module()
    hard = (
        "Pharmacological intervention necessitates concomitant nutritional "
        "administration, minimising gastrointestinal complications considerably."
    )
    assert flesch_reading_ease(hard) < 30
    data["chunks"][0]["text"]["en"] = hard
    assert any("too hard to read" in p for p in check_module(data))


def test_duplicate_ids_are_rejected(tmp_path: Path) -> None:
    data = module()
    data["chunks"][1]["id"] = data["chunks"][0]["id"]
    assert any("duplicate id" in p for p in check_module(data))
    for name in ("a.yml", "b.yml"):
        (tmp_path / name).write_text(yaml.safe_dump(module()), encoding="utf-8")
    results = check_paths(sorted(tmp_path.glob("*.yml")))
    assert any("duplicate module id" in p for p in results[tmp_path / "b.yml"])


def test_shaming_words_are_rejected() -> None:
    data = module()
    data["chunks"][0]["ask"]["en"] = "Tell me, and I'll say if you are wrong."
    assert any("'wrong'" in p for p in check_module(data))


def test_dialogue_texts_are_complete_and_kind() -> None:
    assert check_dialogue(read_yaml(DIALOGUE_FILE)) == []
    dialogue = load_dialogue()
    assert dialogue.say("praise", "cy", 0) != dialogue.say("praise", "cy", 1)
    assert check_dialogue({"intro": {"en": "x"}})


def test_cli_reports_a_bad_file(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    data = module()
    del data["title"]["en"]
    bad = tmp_path / "bad.yml"
    bad.write_text(yaml.safe_dump(data), encoding="utf-8")
    assert main(["content", "check", str(bad)]) == 1
    assert "missing 'en'" in capsys.readouterr().err


def test_a_sign_off_needs_both_who_and_when() -> None:
    data = module()
    assert not parse_module(data).signed_off  # the examples are not signed off yet
    data["reviewed_by"] = "Dr A. Clinician"
    assert any("needs both" in p for p in check_module(data))
    data["reviewed_on"] = "30/11/2026"
    assert any("must be a date" in p for p in check_module(data))
    data["reviewed_on"] = dt.date.today() + dt.timedelta(days=3)
    assert any("in the future" in p for p in check_module(data))
    data["reviewed_on"] = dt.date(2026, 11, 30)
    assert check_module(data) == []
    assert parse_module(data).signed_off


def test_unsigned_modules_are_reported_and_fail_where_sign_off_is_required(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.delenv("TEACHBACK_REQUIRE_SIGNOFF", raising=False)
    assert main(["content", "check"]) == 0
    out = capsys.readouterr().out
    assert "not signed off" in out and "inhaler.yml" in out
    monkeypatch.setenv("TEACHBACK_REQUIRE_SIGNOFF", "1")
    assert main(["content", "check"]) == 1
    assert "inhaler.yml: not signed off (sign-off is required)" in capsys.readouterr().err


def test_a_probe_needs_both_languages() -> None:
    data = module()
    data["chunks"][0]["key_points"][0]["probe"] = {"en": "What do you take it with?"}
    assert any("probe: missing 'cy'" in p for p in check_module(data))
