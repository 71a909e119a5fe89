"""Content versions (PDSA): changed wording needs a version bump; the lock records releases."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
import yaml

from bot.cli import main
from bot.content import versions
from bot.content.system import CONTENT_DIR


@pytest.fixture
def content(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A copy of the real content and its committed lock, which the CLI then works on."""
    target = tmp_path / "content"
    target.mkdir()
    for folder in ("teachback", "option_grids"):
        shutil.copytree(CONTENT_DIR / folder, target / folder)
    shutil.copy(CONTENT_DIR / "checkins.yml", target / "checkins.yml")
    shutil.copy(versions.LOCK_FILE, target / "versions.lock")
    monkeypatch.setattr(versions, "CONTENT_DIR", target)
    monkeypatch.setattr(versions, "LOCK_FILE", target / "versions.lock")
    return target


def version_of(path: Path) -> int:
    """The version a content file is at now (modules move on as they are revised)."""
    return int(yaml.safe_load(path.read_text(encoding="utf-8"))["version"])


def edit(
    path: Path, change: dict[str, object] | None = None, chunk_text: str | None = None
) -> None:
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    if chunk_text is not None:
        data["chunks"][0]["text"]["en"] = chunk_text
    data.update(change or {})
    path.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False), encoding="utf-8")


def test_the_committed_content_matches_its_lock() -> None:
    assert versions.check() == []
    released = versions.read_lock()
    for key in ("module/hypo", "grid/knee-osteoarthritis", "checkins/checkins"):
        assert key in released and 1 in released[key]
    assert main(["content", "check"]) == 0


def test_unchanged_content_passes_even_reflowed(content: Path) -> None:
    # Re-saving the YAML (comments gone, lines re-flowed) is not a change of wording.
    edit(content / "teachback" / "hypo.yml")
    assert versions.check() == []
    assert main(["content", "check"]) == 0


def test_changed_wording_without_a_bump_is_refused(
    content: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    before = (content / "versions.lock").read_text()
    raise_to = f"raise it to {version_of(content / 'teachback' / 'hypo.yml') + 1}"
    edit(content / "teachback" / "hypo.yml", chunk_text="A hypo is when your sugar is low.")
    [problem] = versions.check()
    assert "hypo.yml" in problem and "what-is-a-hypo" in problem and raise_to in problem
    assert main(["content", "check"]) == 1
    assert raise_to in capsys.readouterr().err
    # The lock cannot paper over it either.
    assert main(["content", "lock"]) == 1
    assert (content / "versions.lock").read_text() == before


def test_a_bump_is_accepted_then_locked_with_the_changed_chunk(content: Path) -> None:
    now = version_of(content / "teachback" / "hypo.yml")
    inhaler_before = versions.change_points("module/inhaler")
    edit(
        content / "teachback" / "hypo.yml",
        {"version": now + 1},
        chunk_text="A hypo is when your blood sugar is below 4.",
    )
    assert versions.check() == []
    assert main(["content", "lock"]) == 0
    released = versions.read_lock()
    assert sorted(released["module/hypo"]) == list(range(1, now + 2))
    assert versions.change_points("module/hypo")[-1] == (now + 1, ["what-is-a-hypo"])
    # Other items keep their versions and change points.
    assert versions.change_points("module/inhaler") == inhaler_before
    # A further change at the new version needs the next one.
    edit(content / "teachback" / "hypo.yml", chunk_text="Low blood sugar is a hypo.")
    assert any(f"raise it to {now + 2}" in p for p in versions.check())


def test_check_in_texts_and_grids_need_a_bump_too(content: Path) -> None:
    checkins = yaml.safe_load((content / "checkins.yml").read_text(encoding="utf-8"))
    checkins["checkin"]["text"]["en"] = "Did you do it? {plan}"
    (content / "checkins.yml").write_text(yaml.safe_dump(checkins), encoding="utf-8")
    grid_path = content / "option_grids" / "knee-osteoarthritis.yml"
    grid = yaml.safe_load(grid_path.read_text(encoding="utf-8"))
    grid["options"][0]["name"]["en"] = "Exercise"
    grid_path.write_text(yaml.safe_dump(grid, allow_unicode=True), encoding="utf-8")
    problems = versions.check()
    assert any(p.startswith("checkins.yml") and "(checkin)" in p for p in problems)
    assert any(p.startswith("knee-osteoarthritis.yml") and "option:exercise" in p for p in problems)


def test_a_version_going_down_or_a_new_item_is_flagged(content: Path) -> None:
    released = version_of(content / "teachback" / "hypo.yml")
    edit(content / "teachback" / "hypo.yml", {"version": 0})
    shutil.copy(content / "teachback" / "inhaler.yml", content / "teachback" / "new.yml")
    edit(content / "teachback" / "new.yml", {"id": "new-module"})
    problems = versions.check()
    assert any(f"lower than the released {released}" in p for p in problems)
    assert any(p.startswith("new.yml: not in versions.lock") for p in problems)
