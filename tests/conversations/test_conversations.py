"""The patient scripts (tests/conversations/scripts/), each a whole conversation through the
gateway against the real trained engine, action server and store, then the patient's own
data export (/api/my-data) checked for what was kept. See script.py for the format."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import select, update

from bot.stack import LocalStack
from bot.store import people
from bot.store.db import unit_of_work
from bot.store.models import ScheduledMessage, utcnow
from tests.conversations.script import Script, Turn, load_scripts, matches
from tests.support import WebChat, http_json

pytestmark = pytest.mark.engine

SCRIPTS = load_scripts()


def _shown(messages: list[dict[str, Any]]) -> str:
    lines = []
    for m in messages:
        buttons = " | ".join(f"{b['title']}={b['payload']}" for b in m.get("buttons") or [])
        lines.append(f"    {m.get('text')!r}" + (f" [{buttons}]" if buttons else ""))
    return "\n".join(lines) or "    (nothing)"


def _send_checkin(stack: LocalStack, sender_id: str) -> None:
    """The scheduler's next check-in for the person's newest plan, marked sent now, as its
    round would (the message itself is the scheduler's own test's business)."""
    with unit_of_work(stack.database_url) as session:
        person = people.find_person(session, sender_id)
        assert person is not None, "no person to send a check-in to"
        row = session.scalars(
            select(ScheduledMessage)
            .where(
                ScheduledMessage.person_id == person.id,
                ScheduledMessage.kind == "checkin",
                ScheduledMessage.status == "pending",
            )
            .order_by(ScheduledMessage.id.desc())
            .limit(1)
        ).one()
        session.execute(
            update(ScheduledMessage)
            .where(ScheduledMessage.id == row.id)
            .values(status="sent", sent_at=utcnow())
        )


def _play(stack: LocalStack, script: Script) -> WebChat:
    chat = WebChat(stack.gateway_url, language=script.language).start()
    language = script.language
    if script.consent:
        chat.say("hello" if language == "en" else "shwmae")
        chat.say("/affirm")
    for number, turn in enumerate(script.turns, start=1):
        language = turn.language or language
        if turn.checkin_sent:
            _send_checkin(stack, chat.sender_id)
        if turn.say is None:
            continue
        reply = chat.say(turn.say)
        _check(script, number, turn, reply, language)
    return chat


def _check(
    script: Script, number: int, turn: Turn, reply: list[dict[str, Any]], language: str
) -> None:
    where = f"{script.source}: {script.name!r}, turn {number} {turn.say!r} ({language})"
    for token in turn.expect:
        assert matches(token, reply, language), f"{where}: expected {token}, got\n{_shown(reply)}"
    for token in turn.never:
        assert not matches(token, reply, language), (
            f"{where}: did not expect {token}, got\n{_shown(reply)}"
        )


def _values(row: dict[str, Any]) -> list[str]:
    return [str(v) for v in row.values() if v is not None]


def _check_stored(stack: LocalStack, chat: WebChat, script: Script) -> None:
    stored = script.stored
    if not stored:
        return
    status, export = http_json("GET", f"{stack.gateway_url}/api/my-data", token=chat.token)
    assert status == 200, export
    records: dict[str, list[dict[str, Any]]] = export["records"]
    for text in stored.get("never_stored") or []:
        wanted = str(text).lower()
        kept = [
            f"{table}: {row}"
            for table, rows in records.items()
            for row in rows
            if any(wanted in v.lower() for v in _values(row))
        ]
        kept += [
            f"slot {e.get('name')}={e.get('value')!r}"
            for e in export["conversation_history"]
            if e.get("event") == "slot" and wanted in str(e.get("value") or "").lower()
        ]
        assert kept == [], f"{script.name!r}: {text!r} was kept: {kept}"
    for table, count in (stored.get("records") or {}).items():
        found = len(records.get(table, []))
        assert found == count, f"{script.name!r}: {found} row(s) in {table}, expected {count}"
    for table, wanted in (stored.get("record_values") or {}).items():
        rows = records.get(table, [])
        assert any(all(str(row.get(k)) == str(v) for k, v in wanted.items()) for row in rows), (
            f"{script.name!r}: no {table} row with {wanted}: {rows}"
        )
    if "consent" in stored:
        assert export["person"]["consent"] == stored["consent"]


@pytest.mark.parametrize("script", SCRIPTS, ids=[f"{s.source}:{s.name}" for s in SCRIPTS])
def test_patient_script(live_stack: LocalStack, script: Script) -> None:
    chat = _play(live_stack, script)
    _check_stored(live_stack, chat, script)


def test_there_are_enough_scripts_in_both_languages() -> None:
    """The issue asks for at least 80 scripts, in English and Welsh."""
    assert len(SCRIPTS) >= 80
    assert sum(1 for s in SCRIPTS if s.language == "cy") >= 20
