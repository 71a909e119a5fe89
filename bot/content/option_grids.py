"""Option grids: `data/content/option_grids/*.yml`, English and Welsh.

A grid has an id, a title, the decision it helps with, options (the columns) and
frequently asked questions (the rows) with one answer per option, plus a source, a review
date, a notice that it is an example for clinical review, and keywords for matching.
`check_grid` lists what is wrong with one file; `load_grids` parses every file.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

from bot.content.system import CONTENT_DIR
from bot.content.teachback import LANGUAGES, Bilingual, read_yaml

GRIDS_DIR = CONTENT_DIR / "option_grids"
MIN_OPTIONS = 2
MAX_OPTIONS = 4


@dataclass(frozen=True)
class GridOption:
    id: str
    name: Bilingual


@dataclass(frozen=True)
class GridQuestion:
    id: str
    question: Bilingual
    answers: tuple[Bilingual, ...]  # in the order of the grid's options


@dataclass(frozen=True)
class OptionGrid:
    id: str
    version: str
    condition: str
    title: Bilingual
    decision: Bilingual
    review_notice: Bilingual
    source: Bilingual
    review_date: date
    keywords: dict[str, tuple[str, ...]]
    options: tuple[GridOption, ...]
    questions: tuple[GridQuestion, ...]

    def in_language(self, language: str) -> dict[str, Any]:
        """The grid as a channel renders it: plain texts in one language."""
        return {
            "id": self.id,
            "title": self.title.in_language(language),
            "decision": self.decision.in_language(language),
            "options": [o.name.in_language(language) for o in self.options],
            "rows": [
                {
                    "question": q.question.in_language(language),
                    "answers": [a.in_language(language) for a in q.answers],
                }
                for q in self.questions
            ],
            "notice": self.review_notice.in_language(language),
            "source": self.source.in_language(language),
            "review_date": self.review_date.isoformat(),
            "language": language,
        }


def _bilingual(data: Any) -> Bilingual:
    return Bilingual(en=str(data["en"]).strip(), cy=str(data["cy"]).strip())


def parse_grid(data: dict[str, Any]) -> OptionGrid:
    """A checked grid's YAML as an `OptionGrid`."""
    options = tuple(
        GridOption(id=str(o["id"]), name=_bilingual(o["name"])) for o in data["options"]
    )
    questions = tuple(
        GridQuestion(
            id=str(q["id"]),
            question=_bilingual(q["question"]),
            answers=tuple(_bilingual(q["answers"][o.id]) for o in options),
        )
        for q in data["questions"]
    )
    keywords = data.get("keywords") or {}
    return OptionGrid(
        id=str(data["id"]),
        version=str(data["version"]),
        condition=str(data["condition"]),
        title=_bilingual(data["title"]),
        decision=_bilingual(data["decision"]),
        review_notice=_bilingual(data["review_notice"]),
        source=_bilingual(data["source"]),
        review_date=_as_date(data["review_date"]) or date.min,
        keywords={lang: tuple(str(k) for k in keywords.get(lang) or ()) for lang in LANGUAGES},
        options=options,
        questions=questions,
    )


def _as_date(value: Any) -> date | None:
    if isinstance(value, date):
        return value
    try:
        return date.fromisoformat(str(value))
    except ValueError:
        return None


def _bilingual_problems(where: str, value: Any) -> list[str]:
    if not isinstance(value, dict):
        return [f"{where}: needs an 'en' and a 'cy' text"]
    return [
        f"{where}: missing {lang!r} text"
        for lang in LANGUAGES
        if not isinstance(value.get(lang), str) or not value[lang].strip()
    ]


def check_grid(data: Any, source: str = "grid") -> list[str]:
    """Every problem with one grid's parsed YAML; empty when it is fine."""
    if not isinstance(data, dict):
        return [f"{source}: not a mapping"]
    problems: list[str] = []
    for field in ("id", "version", "condition"):
        if data.get(field) in (None, ""):
            problems.append(f"{source}: missing {field!r}")
    for field in ("title", "decision", "review_notice", "source"):
        problems += _bilingual_problems(f"{source}: {field}", data.get(field))
    if _as_date(data.get("review_date")) is None:
        problems.append(f"{source}: missing or unreadable 'review_date' (YYYY-MM-DD)")
    keywords = data.get("keywords")
    if not isinstance(keywords, dict) or any(not keywords.get(lang) for lang in LANGUAGES):
        problems.append(f"{source}: needs 'keywords' in 'en' and 'cy'")
    options = data.get("options")
    if not isinstance(options, list) or not MIN_OPTIONS <= len(options) <= MAX_OPTIONS:
        return [*problems, f"{source}: needs {MIN_OPTIONS} to {MAX_OPTIONS} options"]
    option_ids: list[str] = []
    for option in options:
        if not isinstance(option, dict) or not option.get("id"):
            problems.append(f"{source}: an option without an id")
            continue
        if option["id"] in option_ids:
            problems.append(f"{source}: duplicate option id {option['id']!r}")
        option_ids.append(str(option["id"]))
        problems += _bilingual_problems(
            f"{source}: option {option['id']!r} name", option.get("name")
        )
    questions = data.get("questions")
    if not isinstance(questions, list) or not questions:
        return [*problems, f"{source}: needs at least one question"]
    seen: set[str] = set()
    for question in questions:
        if not isinstance(question, dict) or not question.get("id"):
            problems.append(f"{source}: a question without an id")
            continue
        where = f"{source}: question {question['id']!r}"
        if question["id"] in seen:
            problems.append(f"{where}: duplicate id")
        seen.add(str(question["id"]))
        problems += _bilingual_problems(f"{where} text", question.get("question"))
        answers = question.get("answers")
        if not isinstance(answers, dict):
            problems.append(f"{where}: no answers")
            continue
        for option_id in option_ids:
            if option_id not in answers:
                problems.append(f"{where}: no answer for option {option_id!r}")
            else:
                problems += _bilingual_problems(f"{where} answer {option_id!r}", answers[option_id])
        for extra in set(answers) - set(option_ids):
            problems.append(f"{where}: answer for unknown option {extra!r}")
    return problems


def check_paths(paths: list[Path]) -> dict[Path, list[str]]:
    """Problems per grid file, and grid ids used by two files."""
    results: dict[Path, list[str]] = {}
    owners: dict[str, Path] = {}
    for path in paths:
        try:
            data = read_yaml(path)
        except Exception as exc:
            results[path] = [f"{path.name}: cannot be read ({exc})"]
            continue
        problems = check_grid(data, path.name)
        grid_id = data.get("id") if isinstance(data, dict) else None
        if isinstance(grid_id, str):
            if grid_id in owners:
                problems.append(f"{path.name}: duplicate grid id {grid_id!r}")
            owners.setdefault(grid_id, path)
        results[path] = problems
    return results


def load_grids(directory: Path = GRIDS_DIR) -> dict[str, OptionGrid]:
    """Every grid by id (files with problems are left out)."""
    return dict(_load_grids(directory))


@functools.cache
def _load_grids(directory: Path) -> tuple[tuple[str, OptionGrid], ...]:
    grids: list[tuple[str, OptionGrid]] = []
    for path in sorted(directory.glob("*.yml")):
        data = read_yaml(path)
        if not check_grid(data, path.name):
            grid = parse_grid(data)
            grids.append((grid.id, grid))
    return tuple(grids)


def find_grid(grid_id: str, directory: Path = GRIDS_DIR) -> OptionGrid | None:
    """The grid with this id, if there is one."""
    return load_grids(directory).get(grid_id)
