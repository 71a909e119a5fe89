"""Ask 3 texts from data/content/ask3.yml: replies, the three questions, rehearsal scenarios."""

from __future__ import annotations

import functools
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from bot.content.system import CONTENT_DIR
from bot.content.teachback import LANGUAGES, Bilingual, read_yaml

ASK3_FILE = CONTENT_DIR / "ask3.yml"
QUESTION_IDS = ("options", "benefits_risks", "likelihood")


@dataclass(frozen=True)
class Question:
    """One of the three questions: its standard wording and phrasings people use."""

    id: str
    text: Bilingual
    accepted: dict[str, tuple[str, ...]]

    def wordings(self, language: str) -> list[str]:
        return [self.text.in_language(language), *self.accepted.get(language, ())]


@dataclass(frozen=True)
class Scenario:
    """A rehearsal: the clinician's opening and their answer to each of the questions."""

    id: str
    title: Bilingual
    opening: Bilingual
    answers: dict[str, Bilingual]


def _bilingual(data: Any) -> Bilingual:
    return Bilingual(en=" ".join(str(data["en"]).split()), cy=" ".join(str(data["cy"]).split()))


@functools.cache
def _load(path: Path = ASK3_FILE) -> dict[str, Any]:
    data: dict[str, Any] = read_yaml(path)
    return data


def reply(key: str, language: str, **values: Any) -> dict[str, Any]:
    """One reply, {"text", "buttons"}, in the language (English if unknown), filled in.

    Values are inserted once and never formatted again, so braces in a person's own words
    are safe.
    """
    entry = _load()["replies"][key]
    variant = entry.get(language) or entry["en"]
    text = str(variant["text"]).strip().format(**values)
    buttons = [
        {"title": str(b["title"]).format(**values), "payload": str(b["payload"]).format(**values)}
        for b in variant.get("buttons") or []
    ]
    return {"text": text, "buttons": buttons}


def text(key: str, language: str, **values: Any) -> str:
    """Just a reply's text."""
    return str(reply(key, language, **values)["text"])


@functools.cache
def questions() -> tuple[Question, ...]:
    """The three questions, in order."""
    return tuple(
        Question(
            id=str(q["id"]),
            text=_bilingual(q["text"]),
            accepted={lang: tuple(q.get("accepted", {}).get(lang) or ()) for lang in LANGUAGES},
        )
        for q in _load()["questions"]
    )


def question(question_id: str) -> Question:
    return next(q for q in questions() if q.id == question_id)


@functools.cache
def scenarios() -> tuple[Scenario, ...]:
    """The rehearsal scenarios, in file order."""
    return tuple(
        Scenario(
            id=str(s["id"]),
            title=_bilingual(s["title"]),
            opening=_bilingual(s["opening"]),
            answers={k: _bilingual(v) for k, v in s["answers"].items()},
        )
        for s in _load()["scenarios"]
    )


def find_scenario(wanted: str | None) -> Scenario:
    """The scenario by id or title words; the first one when nothing matches."""
    found = scenarios()
    if wanted:
        words = wanted.strip().lower()
        for scenario in found:
            names = (scenario.id, scenario.title.en.lower(), scenario.title.cy.lower())
            if words in names or any(words in n or n in words for n in names):
                return scenario
    return found[0]


def check(data: Any, source: str = "ask3.yml") -> list[str]:
    """Problems with ask3.yml: a missing language, question or scenario answer."""
    if not isinstance(data, dict):
        return [f"{source}: not a mapping"]
    problems: list[str] = []
    for key, entry in (data.get("replies") or {}).items():
        for lang in LANGUAGES:
            variant = (entry or {}).get(lang)
            if not isinstance(variant, dict) or not str(variant.get("text") or "").strip():
                problems.append(f"{source}: reply {key!r} missing {lang!r} text")
        counts = {len((entry or {}).get(lang, {}).get("buttons") or []) for lang in LANGUAGES}
        if len(counts) > 1:
            problems.append(f"{source}: reply {key!r} has different buttons in en and cy")
    found = [q.get("id") for q in data.get("questions") or [] if isinstance(q, dict)]
    if tuple(found) != QUESTION_IDS:
        problems.append(f"{source}: questions must be {', '.join(QUESTION_IDS)} in order")
    for q in data.get("questions") or []:
        for lang in LANGUAGES:
            if not str((q.get("text") or {}).get(lang) or "").strip():
                problems.append(f"{source}: question {q.get('id')!r} missing {lang!r} text")
    scenario_list = data.get("scenarios") or []
    if not scenario_list:
        problems.append(f"{source}: needs at least one rehearsal scenario")
    for s in scenario_list:
        where = f"{source}: scenario {s.get('id')!r}"
        for field in ("title", "opening"):
            for lang in LANGUAGES:
                if not str((s.get(field) or {}).get(lang) or "").strip():
                    problems.append(f"{where} {field} missing {lang!r} text")
        for qid in QUESTION_IDS:
            answer = (s.get("answers") or {}).get(qid) or {}
            for lang in LANGUAGES:
                if not str(answer.get(lang) or "").strip():
                    problems.append(f"{where} answer {qid!r} missing {lang!r} text")
    return problems
