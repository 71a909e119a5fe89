"""'My questions for my appointment': the three questions as the person worded them, their
own questions, what matters to them and the options they named."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import Any

from bot.content.calendar import date_in_words
from bot.decisions import content


@dataclass(frozen=True)
class QuestionList:
    """What the person prepared; their own words throughout."""

    decision: str
    options: str
    questions: dict[str, str]  # question id -> their wording
    own_questions: list[str] = field(default_factory=list)
    matters: str = ""
    appointment_on: date | None = None
    grid_id: str | None = None

    def as_dict(self) -> dict[str, Any]:
        return {
            "decision": self.decision,
            "options": self.options,
            "questions": [self.questions.get(q, "") for q in content.QUESTION_IDS],
            "own_questions": list(self.own_questions),
            "matters": self.matters,
            "appointment_on": self.appointment_on.isoformat() if self.appointment_on else None,
        }


def split_questions(text: str) -> list[str]:
    """Their own questions, one per line or sentence ending in '?'; empty for none."""
    pieces: list[str] = []
    for line in text.replace("?", "?\n").splitlines():
        line = line.strip(" -•*\t")
        if line:
            pieces.append(line)
    return pieces


def sections(summary: QuestionList, language: str) -> list[dict[str, Any]]:
    """The summary as headed sections, for the chat, the printable page and the portal."""
    say = content.text
    wanted = [summary.questions.get(q, "") for q in content.QUESTION_IDS]
    parts: list[dict[str, Any]] = [
        {"heading": say("summary_decision", language, value=summary.decision), "items": []},
        {"heading": say("summary_options", language, value=summary.options), "items": []},
    ]
    if summary.appointment_on is not None:
        parts.append(
            {
                "heading": say(
                    "summary_date", language, value=date_in_words(summary.appointment_on, language)
                ),
                "items": [],
            }
        )
    parts.append({"heading": say("summary_questions", language), "items": [q for q in wanted if q]})
    if summary.own_questions:
        parts.append({"heading": say("summary_own", language), "items": summary.own_questions})
    if summary.matters:
        parts.append(
            {"heading": say("summary_matters", language, value=summary.matters), "items": []}
        )
    parts.append({"heading": say("summary_best", language), "items": []})
    return parts


def as_text(summary: QuestionList, language: str) -> str:
    """The summary as one chat message."""
    lines = [content.text("summary_title", language)]
    for part in sections(summary, language):
        lines.append("")
        lines.append(part["heading"])
        lines.extend(f"• {item}" for item in part["items"])
    return "\n".join(lines)
