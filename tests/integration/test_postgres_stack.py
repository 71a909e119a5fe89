"""The whole stack on a real PostgreSQL: the store and Rasa's tracker store share it."""

from __future__ import annotations

import pytest
from sqlalchemy import select, text

from bot.stack import LocalStack
from bot.store.db import unit_of_work
from bot.store.models import ConsentRecord, Person
from tests.support import WebChat, said

pytestmark = [pytest.mark.engine, pytest.mark.postgres]


def test_consent_and_tracker_land_in_postgres(postgres_stack: LocalStack) -> None:
    assert postgres_stack.database_url.startswith("postgresql")
    chat = WebChat(postgres_stack.gateway_url, language="cy").start()
    assert said(chat.say("helo"), "utter_privacy_notice", "cy")
    assert said(chat.say("/affirm"), "utter_help", "cy")
    with unit_of_work(postgres_stack.database_url) as session:
        person = session.scalars(select(Person).where(Person.sender_id == chat.sender_id)).one()
        assert (person.language, person.consent) == ("cy", "given")
        assert session.scalars(
            select(ConsentRecord.decision).where(ConsentRecord.person_id == person.id)
        ).all() == ["given"]
        user_events = session.execute(
            text("SELECT count(*) FROM events WHERE sender_id = :s AND type_name = 'user'"),
            {"s": chat.sender_id},
        ).scalar_one()
        assert user_events == 2


def test_refusal_leaves_no_tracker_rows_in_postgres(postgres_stack: LocalStack) -> None:
    chat = WebChat(postgres_stack.gateway_url).start()
    chat.say("hello")
    assert said(chat.say("/deny"), "utter_consent_refused")
    with unit_of_work(postgres_stack.database_url) as session:
        rows = session.execute(
            text("SELECT count(*) FROM events WHERE sender_id = :s"), {"s": chat.sender_id}
        ).scalar_one()
        assert rows == 0
