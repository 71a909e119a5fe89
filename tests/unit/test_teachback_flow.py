"""The teach-back loop on SQLite and PostgreSQL: chunks, re-tries, follow-up, resuming."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from bot.store import migrate
from bot.store.db import unit_of_work
from bot.store.models import (
    TeachbackAttempt,
    TeachbackFollowUp,
    TeachbackPointResult,
    TeachbackSession,
)
from bot.store.people import find_person
from bot.teachback import flow

SENDER = "tb-sender"
# The inhaler module: get-ready (shake, breathe-out), take-puff, after-puff.
GOOD_FIRST = (
    "shake it well, then breathe out fully away from the inhaler before it goes in my mouth"
)


def start(
    url: str, module: str | None = "inhaler", language: str = "en", keep_text: bool | None = False
) -> None:
    """Start a module; `keep_text` answers the once-only question about keeping their words
    (None leaves it unanswered, so the module asks it first)."""
    with unit_of_work(url) as session:
        assert flow.start_or_resume(session, SENDER, module, language) is not None
        tb = flow.current_session(session, SENDER)
        assert tb is not None
        if keep_text is not None and flow.asks_text_consent(session, tb):
            flow.set_answer_text_consent(session, SENDER, keep=keep_text)


def answer(url: str, text: str, sender: str = SENDER) -> flow.Outcome:
    with unit_of_work(url) as session:
        return flow.handle_answer(session, sender, text)


def current(url: str) -> TeachbackSession:
    with unit_of_work(url) as session:
        tb = flow.current_session(session, SENDER)
        assert tb is not None
        return tb


def test_full_answer_moves_on_and_is_stored_with_evidence(database_url: str) -> None:
    migrate.upgrade(database_url)
    start(database_url)
    outcome = answer(database_url, GOOD_FIRST)
    assert outcome.kind == flow.ALL_COVERED and outcome.chunk_index == 1
    assert current(database_url).chunk_id == "take-puff"
    with unit_of_work(database_url) as session:
        attempt = session.scalars(select(TeachbackAttempt)).one()
        assert (attempt.chunk_id, attempt.attempt_number) == ("get-ready", 1)
        assert attempt.answer_text is None  # no consent to keep the words
        results = session.scalars(select(TeachbackPointResult)).all()
        assert {r.key_point_id: r.covered for r in results} == {
            "shake": True,
            "breathe-out": True,
        }
        assert all(r.evidence for r in results)


def test_acknowledgement_is_not_an_attempt(database_url: str) -> None:
    migrate.upgrade(database_url)
    start(database_url)
    for said in ("yes", "OK, I understand", "iawn diolch"):
        assert answer(database_url, said).kind == flow.OWN_WORDS
    assert answer(database_url, "/start_teach_back").kind == flow.REPEAT
    with unit_of_work(database_url) as session:
        assert session.scalars(select(TeachbackAttempt)).all() == []


def test_missed_points_are_asked_again_then_followed_up(database_url: str) -> None:
    migrate.upgrade(database_url)
    start(database_url)
    first = answer(database_url, "I shake it well first")
    assert first.kind == flow.RETRY
    assert [p.id for p in first.missed] == ["breathe-out"]
    assert current(database_url).pending == ["breathe-out"]
    assert answer(database_url, "I don't know").kind == flow.RETRY  # gets the re-explanation
    moved = answer(database_url, "something about the weather")
    assert moved.kind == flow.MOVE_ON
    assert current(database_url).chunk_id == "take-puff"
    with unit_of_work(database_url) as session:
        follow_up = session.scalars(select(TeachbackFollowUp)).one()
        assert (follow_up.chunk_id, follow_up.missed_key_points) == ("get-ready", ["breathe-out"])
        numbers = session.scalars(select(TeachbackAttempt.attempt_number)).all()
        assert sorted(numbers) == [1, 2, 3]
        asked = session.scalars(
            select(TeachbackPointResult.key_point_id)
            .join(TeachbackAttempt, TeachbackAttempt.id == TeachbackPointResult.attempt_id)
            .where(TeachbackAttempt.attempt_number > 1)
        ).all()
        assert set(asked) == {"breathe-out"}  # re-tries ask about the missed point only


def test_retry_that_covers_the_missed_point_moves_on(database_url: str) -> None:
    migrate.upgrade(database_url)
    start(database_url)
    assert answer(database_url, "I shake it well first").kind == flow.RETRY
    assert answer(database_url, "breathe out all the way first").kind == flow.ALL_COVERED


def test_stop_and_resume_where_they_left_off(database_url: str) -> None:
    migrate.upgrade(database_url)
    start(database_url)
    answer(database_url, GOOD_FIRST)
    assert answer(database_url, "can we stop now").kind == flow.PAUSED_NOW
    assert current(database_url).status == flow.PAUSED
    with unit_of_work(database_url) as session:  # later, unnamed: the paused module
        started = flow.start_or_resume(session, SENDER, None, "cy")
        assert started is not None
        tb, resumed = started
        assert resumed and (tb.module_id, tb.chunk_id, tb.language) == (
            "inhaler",
            "take-puff",
            "cy",
        )


def test_nothing_to_resume_asks_to_choose(database_url: str) -> None:
    migrate.upgrade(database_url)
    with unit_of_work(database_url) as session:
        assert flow.start_or_resume(session, SENDER, None, "en") is None
    assert answer(database_url, "hello").kind == flow.NO_SESSION


def test_answer_text_kept_only_with_consent_and_summary_at_the_end(database_url: str) -> None:
    migrate.upgrade(database_url)
    start(database_url)
    with unit_of_work(database_url) as session:
        flow.set_answer_text_consent(session, SENDER, keep=True)
    answer(database_url, GOOD_FIRST)
    answer(
        database_url,
        "lips round it, breathe in slowly and press at the same time, hold my breath for ten seconds",
    )
    last = answer(
        database_url, "wait 30 seconds before the next puff and rinse my mouth with water"
    )
    assert last.kind == flow.FINISHED
    assert last.follow_up_chunks == []
    assert {p.id for p in last.covered_points} >= {"shake", "hold-breath", "rinse"}
    with unit_of_work(database_url) as session:
        texts = session.scalars(select(TeachbackAttempt.answer_text)).all()
        assert GOOD_FIRST in texts
        assert flow.current_session(session, SENDER) is None  # completed


def test_one_module_at_a_time_the_other_waits(database_url: str) -> None:
    migrate.upgrade(database_url)
    start(database_url, "inhaler")
    answer(database_url, GOOD_FIRST)
    start(database_url, "metformin")
    assert current(database_url).module_id == "metformin"
    start(database_url, "inhaler")  # back to the inhaler, where it was
    tb = current(database_url)
    assert (tb.module_id, tb.chunk_id) == ("inhaler", "take-puff")


def test_first_module_asks_once_whether_their_words_may_be_kept(database_url: str) -> None:
    migrate.upgrade(database_url)
    start(database_url, keep_text=None)
    # An explanation before they have answered the question is not taken as a yes.
    assert answer(database_url, GOOD_FIRST).kind == flow.REPEAT
    saved = answer(database_url, "/deny")
    assert (saved.kind, saved.keep_text) == (flow.TEXT_CONSENT_SAVED, False)
    with unit_of_work(database_url) as session:
        assert session.scalars(select(TeachbackAttempt)).all() == []
    assert answer(database_url, GOOD_FIRST).kind == flow.ALL_COVERED
    start(database_url, "metformin", keep_text=None)  # a second module does not ask again
    with unit_of_work(database_url) as session:
        tb = flow.current_session(session, SENDER)
        assert tb is not None and not flow.asks_text_consent(session, tb)
        assert session.scalars(select(TeachbackAttempt.answer_text)).all() == [None]


def test_a_typed_yes_keeps_their_words_and_stop_still_stops(database_url: str) -> None:
    migrate.upgrade(database_url)
    start(database_url, keep_text=None)
    assert answer(database_url, "stop please").kind == flow.PAUSED_NOW
    start(database_url, keep_text=None)
    assert answer(database_url, "Yes please").keep_text is True
    answer(database_url, GOOD_FIRST)
    with unit_of_work(database_url) as session:
        assert session.scalars(select(TeachbackAttempt.answer_text)).all() == [GOOD_FIRST]


def test_cymraeg_mid_module_switches_language_and_is_not_graded(database_url: str) -> None:
    migrate.upgrade(database_url)
    start(database_url)
    changed = answer(database_url, "Cymraeg")
    assert (changed.kind, changed.language) == (flow.LANGUAGE_CHANGED, "cy")
    with unit_of_work(database_url) as session:
        assert session.scalars(select(TeachbackAttempt)).all() == []
        person = find_person(session, SENDER)
        assert person is not None and person.language == "cy"
    assert current(database_url).language == "cy"
    welsh = "ysgwyd yr anadlydd, wedyn anadlu allan yn llawn cyn ei roi yn fy ngheg"
    assert answer(database_url, welsh).kind == flow.ALL_COVERED  # graded as Welsh now
    assert answer(database_url, "English please").language == "en"


# The inhaler's last chunk, after-puff: wait-between and rinse.
GOOD_SECOND = (
    "lips round it, breathe in slowly and press at the same time, hold my breath for ten seconds"
)


def to_last_chunk(url: str) -> None:
    assert answer(url, GOOD_FIRST).kind == flow.ALL_COVERED
    assert answer(url, GOOD_SECOND).kind == flow.ALL_COVERED
    assert current(url).chunk_id == "after-puff"


def test_an_unsure_point_gets_one_follow_up_question_not_a_retry(database_url: str) -> None:
    migrate.upgrade(database_url)
    start(database_url)
    to_last_chunk(database_url)
    unsure = answer(database_url, "wait half a minute between puffs and rinse")
    assert unsure.kind == flow.PROBE
    assert [p.id for p in unsure.probing] == ["rinse"]
    assert [p.id for p in unsure.explained] == ["wait-between"]
    tb = current(database_url)
    assert tb.retries == 0  # a follow-up question is not a re-try
    prompt = flow.prompt_for(tb)
    assert prompt is not None and [p.id for p in prompt.probing] == ["rinse"]
    assert prompt.probing[0].probe is not None  # the module's own short question
    done = answer(database_url, "rinse with water and spit it out")
    assert done.kind == flow.FINISHED and done.follow_up_chunks == []


def test_i_dont_know_gets_the_re_explanation_without_thanks(database_url: str) -> None:
    migrate.upgrade(database_url)
    start(database_url)
    for said in ("dunno", "I don't know", "dim syniad"):
        outcome = answer(database_url, said)
        assert outcome.not_sure and outcome.explained == []
        if outcome.kind == flow.MOVE_ON:
            break
        assert outcome.kind == flow.RETRY


def test_an_unsafe_answer_is_marked_for_a_kind_correction(database_url: str) -> None:
    migrate.upgrade(database_url)
    start(database_url)
    to_last_chunk(database_url)
    outcome = answer(database_url, "just do the second puff straight away, no need to rinse")
    assert outcome.kind == flow.RETRY
    assert [p.id for p in outcome.contradicted] == ["rinse"]
    assert "rinse" in [p.id for p in outcome.missed]


def test_summary_lists_only_what_they_explained_and_a_correct_end_is_praised(
    database_url: str,
) -> None:
    migrate.upgrade(database_url)
    start(database_url)
    for said in ("I shake it well first", "no idea", "something about the weather"):
        outcome = answer(database_url, said)
    assert outcome.kind == flow.MOVE_ON  # breathe-out left for the care team
    assert answer(database_url, GOOD_SECOND).kind == flow.ALL_COVERED
    last = answer(database_url, "wait 30 seconds and rinse my mouth with water afterwards")
    assert last.kind == flow.FINISHED
    assert not last.last_chunk_followed_up  # so no "I'll ask your care team ... that last part"
    assert last.follow_up_chunks == ["get-ready"]
    explained = [p.id for p in last.covered_points]
    assert "breathe-out" not in explained
    assert {"shake", "slow-and-press", "hold-breath", "wait-between", "rinse"} <= set(explained)


def test_a_last_chunk_left_for_the_care_team_says_so(database_url: str) -> None:
    migrate.upgrade(database_url)
    start(database_url)
    to_last_chunk(database_url)
    for said in ("the weather is nice", "no idea", "my cat is called Tom"):
        outcome = answer(database_url, said)
    assert outcome.kind == flow.FINISHED and outcome.last_chunk_followed_up
    assert outcome.follow_up_chunks == ["after-puff"]


def test_a_deployment_that_requires_sign_off_does_not_serve_unsigned_modules(
    database_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    migrate.upgrade(database_url)
    monkeypatch.setenv("TEACHBACK_REQUIRE_SIGNOFF", "1")
    with unit_of_work(database_url) as session:
        assert flow.start_or_resume(session, SENDER, "inhaler", "en") is None
    monkeypatch.setenv("TEACHBACK_REQUIRE_SIGNOFF", "0")
    with unit_of_work(database_url) as session:
        assert flow.start_or_resume(session, SENDER, "inhaler", "en") is not None
