"""The data-rights actions: withdrawal recorded, erasure requested (carried out by the gateway)."""

from __future__ import annotations

from rasa_sdk.events import SlotSet
from rasa_sdk.executor import CollectingDispatcher
from sqlalchemy import Engine

from actions.data_rights import ActionForgetMe, ActionWithdrawConsent
from bot.store import data_rights, people
from bot.store.db import unit_of_work
from tests.actions.conftest import TrackerFactory


async def test_withdraw_consent_records_it_and_resets_the_slot(
    store: Engine, dispatcher: CollectingDispatcher, make_tracker: TrackerFactory
) -> None:
    url = str(store.url)
    with unit_of_work(url) as session:
        people.record_consent(session, "s-1", given=True, notice_version="v1")
    tracker = make_tracker("s-1", slots={"consent": "given"}, intent="withdraw_consent")
    events = await ActionWithdrawConsent().run(dispatcher, tracker, {})
    assert events == [SlotSet("consent", "pending")]
    assert dispatcher.messages == []
    with unit_of_work(url) as session:
        profile = people.load_profile(session, "s-1")
        assert profile is not None and profile.consent == people.CONSENT_WITHDRAWN
        assert not data_rights.may_contact(session, "s-1")


async def test_forget_me_only_requests_the_erasure(
    store: Engine, dispatcher: CollectingDispatcher, make_tracker: TrackerFactory
) -> None:
    url = str(store.url)
    with unit_of_work(url) as session:
        people.record_consent(session, "s-2", given=True, notice_version="v1")
    events = await ActionForgetMe().run(dispatcher, make_tracker("s-2", intent="affirm"), {})
    assert events == []
    with unit_of_work(url) as session:
        assert data_rights.erasure_requested(session, "s-2")
        assert people.find_person(session, "s-2") is not None  # the gateway erases after the turn
