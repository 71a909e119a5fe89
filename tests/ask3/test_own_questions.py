"""A patient's own questions keep the hyphens inside their words ("co-codamol",
"ail-ddechrau"): what is printed for the appointment is what they wrote."""

from __future__ import annotations

from rasa_sdk.executor import CollectingDispatcher
from sqlalchemy import Engine, select

from actions import ask3 as actions
from bot.store import people
from bot.store.db import unit_of_work
from bot.store.models import Ask3List

# A fresh SQLite store per test and a tracker factory, as the other action tests use.
from tests.actions.conftest import TrackerFactory, dispatcher, make_tracker, store  # noqa: F401

SENDER = "sender-hyphens"
FILLED = {
    "ask3_decision": "whether to change my pain relief",
    "ask3_options": "paracetamol or co-codamol",
    "ask3_date": "-",
    "ask3_q_options": "-",
    "ask3_q_benefits": "-",
    "ask3_q_likelihood": "-",
    "ask3_matters": "-",
}


def _saved_own_questions(store_url: str) -> list[str]:
    with unit_of_work(store_url) as session:
        [row] = session.scalars(select(Ask3List)).all()
        return list(row.own_questions)


async def _finish(
    store: Engine,  # noqa: F811
    dispatcher: CollectingDispatcher,  # noqa: F811
    make_tracker: TrackerFactory,  # noqa: F811
    own: str,
    language: str,
) -> list[str]:
    with unit_of_work(str(store.url)) as session:
        people.ensure_person(session, SENDER, channel="web")
        people.record_consent(session, SENDER, given=True, notice_version="1")
    slots = {**FILLED, "ask3_own": own, "language": language}
    await actions.ActionAsk3Finish().run(dispatcher, make_tracker(SENDER, slots=slots), {})
    return _saved_own_questions(str(store.url))


async def test_co_codamol_keeps_its_hyphen(
    store: Engine,  # noqa: F811
    dispatcher: CollectingDispatcher,  # noqa: F811
    make_tracker: TrackerFactory,  # noqa: F811
) -> None:
    own = "Can I take co-codamol with my other tablets?\nIs a follow-up visit needed?"
    saved = await _finish(store, dispatcher, make_tracker, own, "en")
    assert saved == [
        "Can I take co-codamol with my other tablets?",
        "Is a follow-up visit needed?",
    ]
    shown = " ".join(str(m.get("text") or "") for m in dispatcher.messages)
    assert "co-codamol" in shown and "cocodamol" not in shown


async def test_a_welsh_hyphenated_word_survives(
    store: Engine,  # noqa: F811
    dispatcher: CollectingDispatcher,  # noqa: F811
    make_tracker: TrackerFactory,  # noqa: F811
) -> None:
    saved = await _finish(
        store, dispatcher, make_tracker, "Pryd gallaf ail-ddechrau gweithio?", "cy"
    )
    assert saved == ["Pryd gallaf ail-ddechrau gweithio?"]


async def test_skipping_own_questions_still_keeps_none(
    store: Engine,  # noqa: F811
    dispatcher: CollectingDispatcher,  # noqa: F811
    make_tracker: TrackerFactory,  # noqa: F811
) -> None:
    assert await _finish(store, dispatcher, make_tracker, "-", "en") == []
