"""Option grids and the Ask 3 texts: the real files pass the checker, broken ones do not."""

from __future__ import annotations

import copy
from datetime import date
from pathlib import Path
from typing import Any

import pytest
import yaml

from bot.content import check
from bot.content.option_grids import GRIDS_DIR, check_grid, load_grids
from bot.content.teachback import read_yaml
from bot.decisions import content
from bot.decisions.dates import parse_date
from bot.decisions.grids import match_grid


def _grid() -> dict[str, Any]:
    data: dict[str, Any] = read_yaml(GRIDS_DIR / "knee-osteoarthritis.yml")
    return copy.deepcopy(data)


def test_the_real_grids_pass_the_checker_and_load() -> None:
    grids = load_grids()
    assert {"breast-cancer-surgery", "knee-osteoarthritis", "carpal-tunnel"} <= set(grids)
    for path in sorted(GRIDS_DIR.glob("*.yml")):
        assert check_grid(read_yaml(path), path.name) == []
    breast = grids["breast-cancer-surgery"]
    assert "Co-producing services" in breast.source.en
    assert [o.name.en for o in breast.options] == ["Lumpectomy with radiotherapy", "Mastectomy"]
    assert all("clinical review" in g.review_notice.en for g in grids.values())
    assert all(g.review_date > date(2026, 1, 1) for g in grids.values())


def test_a_grid_with_a_missing_cell_is_rejected() -> None:
    data = _grid()
    del data["questions"][1]["answers"]["injection"]
    assert check_grid(data, "broken.yml") == [
        "broken.yml: question 'pain': no answer for option 'injection'"
    ]


def test_a_grid_with_a_missing_language_is_rejected() -> None:
    data = _grid()
    del data["questions"][0]["answers"]["replacement"]["cy"]
    del data["options"][0]["name"]["cy"]
    problems = check_grid(data, "broken.yml")
    assert "broken.yml: question 'what-happens' answer 'replacement': missing 'cy' text" in problems
    assert "broken.yml: option 'exercise' name: missing 'cy' text" in problems


def test_a_grid_without_source_or_review_date_is_rejected() -> None:
    data = _grid()
    del data["source"]
    data["review_date"] = "soon"
    problems = check_grid(data, "broken.yml")
    assert "broken.yml: source: needs an 'en' and a 'cy' text" in problems
    assert any("review_date" in p for p in problems)


def test_coach_content_check_runs_over_the_grids(tmp_path: Path, capsys: Any) -> None:
    assert check.main([]) == 0
    summary = capsys.readouterr().out
    # The summary also counts modules awaiting clinical sign-off (issue 16) between the two.
    assert "3 option grid(s)," in summary and "0 problem(s)" in summary
    folder = tmp_path / "option_grids"
    folder.mkdir()
    data = _grid()
    data["questions"][2]["answers"].pop("exercise")
    (folder / "bad.yml").write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    assert check.main([str(folder / "bad.yml")]) == 1
    assert "no answer for option 'exercise'" in capsys.readouterr().err


def test_the_ask3_texts_are_complete_in_both_languages() -> None:
    assert content.check(read_yaml(content.ASK3_FILE)) == []
    broken = copy.deepcopy(read_yaml(content.ASK3_FILE))
    del broken["replies"]["intro"]["cy"]
    assert content.check(broken) == ["ask3.yml: reply 'intro' missing 'cy' text"]


@pytest.mark.parametrize(
    ("said", "grid"),
    [
        ("my doctor says I could have surgery or physio for my knee", "knee-osteoarthritis"),
        ("whether to have a knee replacement", "knee-osteoarthritis"),
        ("lumpectomy or mastectomy", "breast-cancer-surgery"),
        ("llawdriniaeth ar y fron", "breast-cancer-surgery"),
        ("my wrist splint isn't helping with carpal tunnel", "carpal-tunnel"),
        ("which blood pressure tablets to take", None),
    ],
)
def test_a_decision_is_matched_to_its_grid(said: str, grid: str | None) -> None:
    found = match_grid(said)
    assert (found.id if found else None) == grid


@pytest.mark.parametrize(
    ("typed", "expected"),
    [
        ("14 March", date(2027, 3, 14)),
        ("14/03/2027", date(2027, 3, 14)),
        ("2027-01-05", date(2027, 1, 5)),
        ("tomorrow", date(2026, 11, 27)),
        ("in 2 weeks", date(2026, 12, 10)),
        ("next Tuesday", date(2026, 12, 1)),
        ("3 Rhagfyr", date(2026, 12, 3)),
        ("dydd Mawrth", date(2026, 12, 1)),
        ("whenever", None),
    ],
)
def test_appointment_dates_are_read_in_english_and_welsh(typed: str, expected: date | None) -> None:
    assert parse_date(typed, today=date(2026, 11, 26)) == expected


@pytest.mark.parametrize("language", ["en", "cy"])
def test_a_grids_source_line_reads_cleanly_with_no_doubled_full_stops(language: str) -> None:
    """Sources end in a full stop; the line under the grid must not add a second one."""
    for grid in load_grids().values():
        shown = content.reply(
            "grid_source",
            language,
            source=grid.source.in_language(language),
            date=grid.review_date.isoformat(),
            notice=grid.review_notice.in_language(language),
        )
        text = shown["text"]
        assert ".." not in text and ". ." not in text, text
        assert grid.review_date.isoformat() in text and grid.source.in_language(language) in text
