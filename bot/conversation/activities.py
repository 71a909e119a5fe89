"""The dialogues a patient can step out of and come back to, by form name.

A form's slots stay in the tracker when the patient steps out, so carrying on re-opens the
form and it asks the first question still unanswered. Teach-back keeps its place in the
database as well (bot.teachback.flow.pause).
"""

from __future__ import annotations

FORM_ACTIVITY = {
    "teachback_form": "teachback",
    "action_plan_form": "action_plan",
    "ask3_form": "ask3",
    "ask3_followup_form": "ask3_followup",
    "ask3_rehearsal_form": "ask3_rehearsal",
    "checkin_note_form": "checkin_note",
    "problem_solving_form": "problem_solving",
    "measures_form": "measures",
    "prem_form": "prem",
    "feedback_suggestion_form": "feedback_suggestion",
    "story_form": "story",
}
ACTIVITIES = tuple(FORM_ACTIVITY.values())
ACTIVITY_FORM = {activity: form for form, activity in FORM_ACTIVITY.items()}
TEACHBACK = "teachback"


def activity_of(form: object) -> str | None:
    """The activity a form is, or None for no form (or one not listed)."""
    return FORM_ACTIVITY.get(str(form)) if form else None
