"""Export, erasure, withdrawal and the audit log, on SQLite and a real PostgreSQL."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from sqlalchemy import select, text
from sqlalchemy.exc import DBAPIError

from bot.store import audit, data_rights, improvement, people, safety
from bot.store import messages as kept_store
from bot.store.db import get_engine, unit_of_work
from bot.store.migrate import upgrade
from bot.store.models import (
    AuditEntry,
    ConsentRecord,
    ContentFeedback,
    NudgeState,
    PatientStory,
    Person,
    SafetyFlag,
)
from tests.support import rows_mentioning

SENDER = "web-erase-me-4242"
SAID = "MARKER-said-by-the-person-19af"

# The columns Rasa 3.6's SQL tracker store gives its `events` table.
EVENTS_DDL = (
    "CREATE TABLE events (id INTEGER PRIMARY KEY, sender_id VARCHAR(255) NOT NULL, "
    "type_name VARCHAR(255) NOT NULL, timestamp FLOAT, intent_name VARCHAR(255), "
    "action_name VARCHAR(255), data TEXT)"
)


def populate(url: str) -> None:
    """A person with consent, a conversation, kept and held messages, a flag, tracker events."""
    upgrade(url)
    with get_engine(url).begin() as connection:
        connection.execute(text(EVENTS_DDL))
        for i, (kind, data, intent) in enumerate(
            [
                ("user", {"text": SAID}, "greet"),
                ("bot", {"text": "Hello! I'm Co-create Coach."}, None),
                ("slot", {"name": "consent", "value": "given"}, None),
            ]
        ):
            connection.execute(
                text(
                    "INSERT INTO events (id, sender_id, type_name, timestamp, intent_name, data) "
                    "VALUES (:i, :s, :t, :ts, :n, :d)"
                ),
                {"i": i + 1, "s": SENDER, "t": kind, "ts": 1.7e9 + i, "n": intent,
                 "d": json.dumps(data)},
            )  # fmt: skip
    with unit_of_work(url) as session:
        people.enrol_web_person(session, SENDER, "cy", "INVITE1")
        people.record_consent(session, SENDER, given=True, notice_version="v1")
        people.touch_conversation(session, SENDER, "web")
        kept_store.keep_message(session, SENDER, "web", SAID)
        kept_store.hold_replies(session, SENDER, [{"text": "held", "buttons": []}])
        safety.raise_flag(
            session, SENDER, category="emergency", sign="chest_pain", channel="web",
            source="message",
        )  # fmt: skip
        safety.ask_question(session, SENDER, "stroke", "cy")
        # Co-evaluation (issue 10): a rating with a suggestion, a story, nudges turned off.
        feedback = improvement.record_clarity(
            session, SENDER, "module", "hypo", 1, 2, "cy", "web", chunk_id="what-is-a-hypo"
        )
        improvement.add_suggestion(session, SENDER, feedback, f"Explain it simply {SAID}")
        improvement.record_story(session, SENDER, f"My story {SAID}", "cy", share_consent=True)
        improvement.set_nudges_off(session, SENDER, True)
        people.enrol_web_person(session, "web-someone-else", "en", None)
        improvement.record_story(session, "web-someone-else", "Someone else's story", "en", True)


def test_export_holds_everything_and_is_audited(database_url: str) -> None:
    populate(database_url)
    with unit_of_work(database_url) as session:
        document = data_rights.export_person(session, SENDER)
    json.dumps(document)  # readable JSON, nothing exotic
    assert document["person"]["sender_id"] == SENDER
    assert document["person"]["language"] == "cy"
    records = document["records"]
    assert {"channel_identities", "consent_records", "conversations", "kept_messages",
            "outbound_messages", "safety_flags", "safety_questions"} <= set(records)  # fmt: skip
    assert records["safety_flags"][0]["sign"] == "chest_pain"
    [feedback] = records["content_feedback"]
    assert (feedback["item_id"], feedback["chunk_id"], feedback["clarity"]) == (
        "hypo", "what-is-a-hypo", 2,
    )  # fmt: skip
    assert SAID in feedback["suggestion"]
    [story] = records["patient_stories"]
    assert story["text"] == f"My story {SAID}" and story["share_consent"] is True
    assert records["nudge_states"][0]["nudges_off"] is True
    history = document["conversation_history"]
    assert history[0] == {
        "at": history[0]["at"], "event": "user", "from": "you", "text": SAID,
        "understood_as": "greet",
    }  # fmt: skip
    assert history[1]["from"] == "coach"
    assert "web-someone-else" not in json.dumps(document)
    with unit_of_work(database_url) as session:
        person = people.find_person(session, SENDER)
        assert person is not None
        [entry] = audit.entries_about(session, person.id)
        assert (entry.actor_kind, entry.action) == ("system", "exported")


def test_unknown_person_cannot_be_exported(database_url: str) -> None:
    upgrade(database_url)
    with unit_of_work(database_url) as session, pytest.raises(data_rights.UnknownPerson):
        data_rights.export_person(session, "web-nobody")


def test_erasure_leaves_no_row_with_their_sender_id_or_words(database_url: str) -> None:
    populate(database_url)
    with unit_of_work(database_url) as session:
        person_id = people.find_person(session, SENDER).id  # type: ignore[union-attr]
        data_rights.export_person(session, SENDER)
    assert rows_mentioning(database_url, SENDER, SAID)
    with unit_of_work(database_url) as session:
        data_rights.request_erasure(session, SENDER)
    with unit_of_work(database_url) as session:
        assert data_rights.erase_person(session, SENDER) is True
    assert rows_mentioning(database_url, SENDER, SAID) == []
    with unit_of_work(database_url) as session:
        actions = [
            (e.action, e.subject_person_id, e.detail)
            for e in session.scalars(select(AuditEntry).order_by(AuditEntry.id))
        ]
        assert actions == [
            ("exported", person_id, "self_request"),
            ("erased", person_id, "self_request"),
        ]
        # Someone else is untouched.
        assert people.find_person(session, "web-someone-else") is not None
        # The open emergency flag stays for the care team (vital interests), detached from
        # the erased person and known only by a pseudonymous label.
        [kept] = session.scalars(select(SafetyFlag)).all()
        assert (kept.person_id, kept.category, kept.sign) == (None, "emergency", "chest_pain")
        assert kept.kept_reason == "vital_interests_erasure"
        assert kept.patient_label == people.pseudonymous_label(person_id)
        assert session.scalars(select(ContentFeedback)).all() == []
        assert session.scalars(select(NudgeState)).all() == []
        assert [s.text for s in session.scalars(select(PatientStory))] == ["Someone else's story"]


def test_the_audit_log_is_append_only(database_url: str) -> None:
    upgrade(database_url)
    with unit_of_work(database_url) as session:
        audit.record(session, actor_kind="clinician", actor_id="c-1", action="read",
                     subject_person_id=7)  # fmt: skip
    with unit_of_work(database_url) as session:
        entry = session.scalars(select(AuditEntry)).one()
        entry.detail = "changed"
        with pytest.raises(audit.AppendOnlyError):
            session.flush()
        session.rollback()
    with unit_of_work(database_url) as session:
        session.delete(session.scalars(select(AuditEntry)).one())
        with pytest.raises(audit.AppendOnlyError):
            session.flush()
        session.rollback()
    # Below the ORM, the database itself refuses.
    for statement in ("UPDATE audit_log SET detail = 'x'", "DELETE FROM audit_log"):
        with pytest.raises(DBAPIError), get_engine(database_url).begin() as connection:
            connection.execute(text(statement))
    with pytest.raises(ValueError):
        with unit_of_work(database_url) as session:
            audit.record(session, actor_kind="hacker", action="read", subject_person_id=1)


def test_withdrawal_keeps_only_the_withdrawal(database_url: str) -> None:
    populate(database_url)
    with unit_of_work(database_url) as session:
        assert data_rights.may_contact(session, SENDER)
        data_rights.withdraw_consent(session, SENDER, notice_version="v1")
    with unit_of_work(database_url) as session:
        assert not data_rights.may_contact(session, SENDER)
        person = session.scalars(select(Person).where(Person.sender_id == SENDER)).one()
        assert person.consent == people.CONSENT_WITHDRAWN
        decisions = session.scalars(
            select(ConsentRecord.decision)
            .where(ConsentRecord.person_id == person.id)
            .order_by(ConsentRecord.id)
        ).all()
        assert decisions == ["given", "withdrawn"]
        document = data_rights.export_person(session, SENDER)
    # Only the withdrawal, and the open emergency flag kept for the care team.
    assert set(document["records"]) == {"channel_identities", "consent_records", "safety_flags"}
    [kept] = document["records"]["safety_flags"]
    assert (kept["sign"], kept["kept_reason"]) == ("chest_pain", "vital_interests_withdrawal")
    assert document["conversation_history"] == []
    assert rows_mentioning(database_url, SAID) == []


def test_may_contact_only_with_consent_and_an_active_identity(database_url: str) -> None:
    upgrade(database_url)
    with unit_of_work(database_url) as session:
        assert not data_rights.may_contact(session, "web-unknown")
        people.enrol_web_person(session, "web-a", "en", None)
        assert not data_rights.may_contact(session, "web-a")
        people.record_consent(session, "web-a", given=True, notice_version="v1")
        assert data_rights.may_contact(session, "web-a")
        people.record_consent(session, "web-a", given=False, notice_version="v1")
        assert not data_rights.may_contact(session, "web-a")


def test_acknowledged_and_urgent_flags_go_with_the_person(database_url: str) -> None:
    upgrade(database_url)
    with unit_of_work(database_url) as session:
        people.enrol_web_person(session, SENDER, "en", None)
        people.record_consent(session, SENDER, given=True, notice_version="v1")
        for category, sign in (("urgent", "worsening"), ("distress", "distress")):
            safety.raise_flag(
                session, SENDER, category=category, sign=sign, channel="web", source="message"
            )
        data_rights.erase_person(session, SENDER)
    with unit_of_work(database_url) as session:
        assert [(f.category, f.person_id) for f in session.scalars(select(SafetyFlag))] == [
            ("distress", None)
        ]
        assert [f.category for f in safety.kept_flags_of_people_gone(session, None)] == ["distress"]


def test_no_flag_is_kept_for_someone_who_refused(database_url: str) -> None:
    upgrade(database_url)
    with unit_of_work(database_url) as session:
        people.enrol_web_person(session, "web-r", "en", None)
        people.record_consent(session, "web-r", given=False, notice_version="v1")
        flag = safety.raise_flag(
            session, "web-r", category="distress", sign="distress", channel="web",
            source="message",
        )  # fmt: skip
        assert flag is None
        assert safety.open_flags(session) == []


def _on_disk(sqlite_url: str) -> dict[str, bytes]:
    """The bytes of the SQLite file and of its write-ahead log, as a disk image would hold."""
    path = Path(sqlite_url.split("///", 1)[1])
    return {
        file.name: file.read_bytes()
        for file in (path, path.with_name(path.name + "-wal"))
        if file.exists()
    }


def test_after_forget_me_neither_the_file_nor_its_wal_holds_their_words(
    sqlite_url: str,
) -> None:
    populate(sqlite_url)
    files = _on_disk(sqlite_url)
    assert any(SENDER.encode() in data for data in files.values())
    with unit_of_work(sqlite_url) as session:
        data_rights.request_erasure(session, SENDER)
    with unit_of_work(sqlite_url) as session:
        assert data_rights.erase_person(session, SENDER) is True
    # The engine's pooled connections are still open, as in a running gateway: SQLite has
    # not yet folded its log back into the file on closing.
    files = _on_disk(sqlite_url)
    assert "coach.db" in files
    for name, data in files.items():
        assert SENDER.encode() not in data, name
        assert SAID.encode() not in data, name
    with unit_of_work(sqlite_url) as session:  # and the store still works
        assert people.find_person(session, "web-someone-else") is not None


def test_every_sqlite_connection_overwrites_what_it_deletes(sqlite_url: str) -> None:
    with get_engine(sqlite_url).connect() as connection:
        assert connection.exec_driver_sql("PRAGMA secure_delete").scalar() == 1
