"""Clarity feedback, suggestions, stories and nudge state in the store (SQLite, PostgreSQL)."""

from __future__ import annotations

from datetime import time

import pytest
from sqlalchemy import select

from bot.decisions.summary import QuestionList
from bot.scheduling.messages import checkin_version
from bot.store import ask3, goals, improvement, people
from bot.store.db import unit_of_work
from bot.store.models import Ask3List, CheckinResult, ContentFeedback, PatientStory


def test_a_rating_and_its_suggestion_are_kept_with_the_version_shown(db: str) -> None:
    with unit_of_work(db) as session:
        feedback_id = improvement.record_clarity(
            session, "web-p1", "module", "hypo", 3, 2, "cy", "web", chunk_id="treat-a-hypo"
        )
        assert improvement.add_suggestion(session, "web-p1", feedback_id, "  Say what 4 means ")
    with unit_of_work(db) as session:
        row = session.get(ContentFeedback, feedback_id)
        assert row is not None
        person = people.find_person(session, "web-p1")
        assert person is not None and row.person_id == person.id
        assert (row.item_kind, row.item_id, row.chunk_id, row.content_version) == (
            "module", "hypo", "treat-a-hypo", 3,
        )  # fmt: skip
        assert (row.clarity, row.suggestion, row.language, row.channel) == (
            2, "Say what 4 means", "cy", "web",
        )  # fmt: skip


def test_nobody_can_add_a_suggestion_to_someone_elses_rating(db: str) -> None:
    with unit_of_work(db) as session:
        feedback_id = improvement.record_clarity(
            session, "web-owner", "grid", "knee-osteoarthritis", 1, 4, "en", "telegram"
        )
        people.ensure_person(session, "web-other", channel="web")
        assert not improvement.add_suggestion(session, "web-other", feedback_id, "mine now")
        assert not improvement.add_suggestion(session, "web-nobody", feedback_id, "mine now")
        assert not improvement.add_suggestion(session, "web-owner", feedback_id + 99, "lost")
        assert not improvement.add_suggestion(session, "web-owner", feedback_id, "   ")
    with unit_of_work(db) as session:
        row = session.get(ContentFeedback, feedback_id)
        assert row is not None and row.suggestion is None


@pytest.mark.parametrize(("kind", "clarity"), [("leaflet", 3), ("module", 0), ("module", 6)])
def test_bad_ratings_are_refused(db: str, kind: str, clarity: int) -> None:
    with unit_of_work(db) as session, pytest.raises(ValueError):
        improvement.record_clarity(session, "web-p", kind, "hypo", 1, clarity, "en", "web")


def test_stories_are_kept_in_their_words_and_only_shared_ones_are_listed(db: str) -> None:
    with unit_of_work(db) as session:
        shared = improvement.record_story(
            session, "web-s1", "The coach helped me ask my GP.", "en", share_consent=True
        )
        improvement.record_story(session, "web-s2", "Private story", "cy", share_consent=False)
        with pytest.raises(ValueError):
            improvement.record_story(session, "web-s1", "   ", "en", share_consent=True)
    with unit_of_work(db) as session:
        assert [s.id for s in improvement.shared_stories(session)] == [shared]
        texts = sorted(s.text for s in session.scalars(select(PatientStory)))
        assert texts == ["Private story", "The coach helped me ask my GP."]


def test_nudge_state_starts_on_and_can_be_turned_off_and_on(db: str) -> None:
    with unit_of_work(db) as session:
        person = people.ensure_person(session, "web-n", channel="web")
        state = improvement.nudge_state(session, person.id)
        assert (state.nudges_off, state.unanswered, state.last_nudged_at) == (False, 0, None)
        state.unanswered = 3
        improvement.set_nudges_off(session, "web-n", True)
    with unit_of_work(db) as session:
        found = people.find_person(session, "web-n")
        assert found is not None
        state = improvement.nudge_state(session, found.id)
        assert (state.nudges_off, state.unanswered) == (True, 3)
        improvement.set_nudges_off(session, "web-n", False)
    with unit_of_work(db) as session:
        state = improvement.nudge_state(session, person.id)
        assert (state.nudges_off, state.unanswered) == (False, 0)


def test_check_in_answers_and_question_lists_keep_the_content_version_given(db: str) -> None:
    with unit_of_work(db) as session:
        goals.create_plan(
            session, "web-v", activity="walk", amount="10 minutes", timing="after lunch",
            days_per_week=3, ratings=[(8, None)], weekdays=frozenset({1, 3}),
            local_time=time(9, 0),
        )  # fmt: skip
        assert goals.record_checkin(session, "web-v", "done") is not None
        ask3.save_list(
            session, "web-v",
            QuestionList(decision="my knee", options="physio or surgery",
                         questions={"options": "What are my options?"},
                         grid_id="knee-osteoarthritis"),
            "en",
        )  # fmt: skip
        ask3.save_list(
            session, "web-v", QuestionList(decision="x", options="y", questions={}), "en"
        )
    with unit_of_work(db) as session:
        [result] = session.scalars(select(CheckinResult)).all()
        assert result.content_version == checkin_version() == 1
        versions_kept = session.scalars(select(Ask3List.grid_version).order_by(Ask3List.id))
        assert list(versions_kept) == [1, None]
