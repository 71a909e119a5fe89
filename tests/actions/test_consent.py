"""action_record_consent: the answer to the privacy notice, stored with its notice version."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from rasa_sdk import Tracker
from rasa_sdk.executor import CollectingDispatcher
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

import actions.consent
from actions.consent import ActionRecordConsent
from bot.store.models import ConsentRecord, Person

TrackerFactory = Callable[..., Tracker]
NOTICE_VERSION = "test-3"


@pytest.fixture(autouse=True)
def notice_version(monkeypatch: pytest.MonkeyPatch) -> str:
    """Pin the notice version so the test does not depend on the content file's value."""
    monkeypatch.setattr(actions.consent, "privacy_notice_version", lambda: NOTICE_VERSION)
    return NOTICE_VERSION


@pytest.mark.parametrize(
    ("intent", "text", "language", "decision", "slot"),
    [
        ("affirm", "yes please", "en", "given", "given"),
        ("affirm", "ydw, rwy'n cytuno", "cy", "given", "given"),
        ("deny", "no thanks", "en", "refused", "pending"),
        ("deny", "nac ydw", "cy", "refused", "pending"),
    ],
)
async def test_answer_is_recorded(
    store: Engine,
    dispatcher: CollectingDispatcher,
    make_tracker: TrackerFactory,
    intent: str,
    text: str,
    language: str,
    decision: str,
    slot: str,
) -> None:
    tracker = make_tracker("person-1", intent=intent, text=text, slots={"language": language})

    events = await ActionRecordConsent().run(dispatcher, tracker, {})

    assert events == [{"event": "slot", "timestamp": None, "name": "consent", "value": slot}]
    assert dispatcher.messages == []  # the reply is a domain response, uttered by the rule
    with Session(store) as session:
        person = session.scalars(select(Person)).one()
        assert (person.sender_id, person.consent, person.language) == (
            "person-1",
            decision,
            language,
        )
        record = session.scalars(select(ConsentRecord)).one()
        assert (record.person_id, record.decision, record.notice_version) == (
            person.id,
            decision,
            NOTICE_VERSION,
        )


async def test_refusal_then_consent_keeps_both_decisions(
    store: Engine, dispatcher: CollectingDispatcher, make_tracker: TrackerFactory
) -> None:
    await ActionRecordConsent().run(dispatcher, make_tracker("p", intent="deny"), {})
    events = await ActionRecordConsent().run(dispatcher, make_tracker("p", intent="affirm"), {})

    assert [e["value"] for e in events] == ["given"]
    with Session(store) as session:
        assert session.scalars(select(Person.consent)).one() == "given"
        decisions = session.scalars(select(ConsentRecord.decision).order_by(ConsentRecord.id))
        assert list(decisions) == ["refused", "given"]


@pytest.mark.parametrize("intent", ["greet", "help", None])
async def test_other_intents_record_nothing(
    store: Engine,
    dispatcher: CollectingDispatcher,
    make_tracker: TrackerFactory,
    intent: str | None,
) -> None:
    events = await ActionRecordConsent().run(dispatcher, make_tracker("p", intent=intent), {})

    assert events == []
    assert dispatcher.messages == []
    with Session(store) as session:
        assert session.scalars(select(Person)).all() == []
        assert session.scalars(select(ConsentRecord)).all() == []
