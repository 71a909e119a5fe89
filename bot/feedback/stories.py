"""Patients' stories for improvement: consent first, then the story in their own words.

A story is taken only after the patient agreed that the improvement team may read it, so
every stored story has share_consent true; a "no" keeps nothing at all.
"""

from __future__ import annotations

from sqlalchemy.orm import Session

from bot.feedback.ratings import own_words
from bot.store import improvement
from bot.teachback.phrases import yes_or_no

YES, NO = "yes", "no"


def consent_answer(value: object) -> str | None:
    """ "yes" or "no" to sharing, typed or tapped; None when it is neither."""
    text = str(value or "").strip()
    answer = yes_or_no(text)
    if answer is None and own_words(text) is None and text:
        return NO  # "stop", "no thanks", "nothing": not sharing
    return None if answer is None else (YES if answer else NO)


def save(session: Session, sender_id: str, consent: object, text: object, language: str) -> bool:
    """Store the story if they agreed and told one; False (nothing kept) otherwise."""
    story = own_words(text)
    if consent != YES or story is None:
        return False
    improvement.record_story(session, sender_id, story, language, share_consent=True)
    return True
