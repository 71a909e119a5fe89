"""Question lists, follow-ups and rehearsals in the store (SQLite and PostgreSQL): what the
clinician sees, the follow-up's scheduled message, and the person's data rights."""

from __future__ import annotations

from datetime import UTC, date, datetime

from sqlalchemy import func, select

from bot.decisions.summary import QuestionList, as_text
from bot.scheduling import messages
from bot.store import ask3, data_rights, people
from bot.store.db import unit_of_work
from bot.store.models import Ask3FollowUp, Ask3List, Ask3Rehearsal, ScheduledMessage

NOW = datetime(2026, 11, 26, 10, 0, tzinfo=UTC)


def _list(decision: str, appointment_on: date | None = None) -> QuestionList:
    return QuestionList(
        decision=decision,
        options="physio or an operation",
        questions={
            "options": "What can I choose from?",
            "benefits_risks": "What could go wrong with each?",
            "likelihood": "How often does that happen?",
        },
        own_questions=["How long off work?", "Can I still drive?"],
        matters="getting back to gardening",
        appointment_on=appointment_on,
        grid_id="knee-osteoarthritis",
    )


def test_the_clinician_sees_the_lists_newest_first(db: str, patient: str) -> None:
    with unit_of_work(db) as session:
        ask3.save_list(session, patient, _list("knee surgery"), "en", now=NOW)
        ask3.save_list(session, patient, _list("hip injection"), "en", now=NOW.replace(hour=11))
    with unit_of_work(db) as session:
        person = people.find_person(session, patient)
        assert person is not None
        found = ask3.lists_for_person(session, person.id)
    assert [v.summary.decision for v in found] == ["hip injection", "knee surgery"]
    newest = found[0].summary
    assert newest.questions["benefits_risks"] == "What could go wrong with each?"
    assert newest.own_questions == ["How long off work?", "Can I still drive?"]
    assert found[0].follow_up_due_at is None  # no appointment date given
    text = as_text(newest, "en")
    assert text.startswith("My questions for my appointment\n")
    for expected in ("What can I choose from?", "• Can I still drive?", "getting back to gardening",
                     "Options I know of: physio or an operation"):  # fmt: skip
        assert expected in text


def test_an_appointment_date_plans_the_follow_up_the_day_after(db: str, patient: str) -> None:
    with unit_of_work(db) as session:
        saved = ask3.save_list(session, patient, _list("knee", date(2026, 12, 3)), "cy", now=NOW)
    with unit_of_work(db) as session:
        row = session.scalars(
            select(ScheduledMessage).where(ScheduledMessage.kind == ask3.FOLLOW_UP_KIND)
        ).one()
        assert row.ref_id == saved.id and row.status == "pending"
        # 18:00 in London on 4 December is 18:00 UTC (no summer time).
        assert row.due_at.replace(tzinfo=UTC) == datetime(2026, 12, 4, 18, 0, tzinfo=UTC)
        assert ask3.list_awaiting_follow_up(session, patient) == saved.id
    [message] = messages.render(ask3.FOLLOW_UP_KIND, "cy", message_id=1, plan=None, plan_id=None)
    assert message["buttons"][0]["payload"] == "/ask3_followup"
    with unit_of_work(db) as session:
        ask3.save_follow_up(session, patient, saved.id, "partly", "physio first", 7)
    with unit_of_work(db) as session:
        assert ask3.list_awaiting_follow_up(session, patient) is None
        person = people.find_person(session, patient)
        assert person is not None
        [view] = ask3.lists_for_person(session, person.id)
    [follow_up] = view.follow_ups
    assert (follow_up.got_answers, follow_up.decided, follow_up.involvement) == (
        "partly",
        "physio first",
        7,
    )


def test_a_past_appointment_date_plans_no_follow_up(db: str, patient: str) -> None:
    with unit_of_work(db) as session:
        ask3.save_list(session, patient, _list("knee", date(2026, 11, 1)), "en", now=NOW)
        count = session.scalar(select(func.count()).select_from(ScheduledMessage))
    assert count == 0


def test_my_data_holds_ask3_and_forget_me_erases_it(db: str, patient: str) -> None:
    with unit_of_work(db) as session:
        saved = ask3.save_list(session, patient, _list("knee", date(2026, 12, 3)), "en", now=NOW)
        ask3.save_follow_up(session, patient, saved.id, "yes", "an operation", 9)
        ask3.save_rehearsal(session, patient, "knee", ["options"], {"options": ["options"]}, 2)
    with unit_of_work(db) as session:
        export = data_rights.export_person(session, patient)
    records = export["records"]
    assert records["ask3_lists"][0]["q_options"] == "What can I choose from?"
    assert records["ask3_follow_ups"][0]["decided"] == "an operation"
    assert records["ask3_rehearsals"][0]["asked"] == ["options"]
    with unit_of_work(db) as session:
        assert data_rights.erase_person(session, patient)
    with unit_of_work(db) as session:
        for model in (Ask3List, Ask3FollowUp, Ask3Rehearsal, ScheduledMessage):
            assert session.scalar(select(func.count()).select_from(model)) == 0
