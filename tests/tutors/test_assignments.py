"""Cohorts and assignments in the store and the scheduler: membership by invite, one task and
one message per participant, delivery in English and Welsh, one reminder (none when done),
completion found in real teach-back sessions and action plans, first-try rates."""

from __future__ import annotations

from datetime import datetime, time, timedelta

import pytest
from sqlalchemy import select

from bot.cohorts import board, completion
from bot.scheduling.scheduler import Scheduler
from bot.store import cohorts, goals, invites, people
from bot.store.db import unit_of_work
from bot.store.models import Assignment, AssignmentTask, ScheduledMessage, utcnow
from bot.teachback import flow
from tests.goals.conftest import Clock, FakeDelivery, at
from tests.tutors.conftest import FRIDAY, MONDAY_9, Course, enrol_with_invite, make_course

INHALER_PAYLOAD = '/start_teach_back{"teachback_module":"inhaler"}'
# Both key points of the inhaler's first chunk (get-ready: shake, breathe-out).
GOOD_FIRST = (
    "shake it well, then breathe out fully away from the inhaler before it goes in my mouth"
)


def assign_inhaler(course: Course, now: datetime = MONDAY_9, due: datetime = FRIDAY) -> int:
    with unit_of_work(course.url) as session:
        return cohorts.assign(
            session,
            course.tutor_id,
            course.cohort_id,
            kind=cohorts.TEACHBACK,
            item="inhaler",
            due_at=due,
            now=now,
        ).id


def rows(url: str, kind: str) -> list[ScheduledMessage]:
    with unit_of_work(url) as session:
        return list(
            session.scalars(
                select(ScheduledMessage)
                .where(ScheduledMessage.kind == kind)
                .order_by(ScheduledMessage.person_id)
            )
        )


def scheduler(url: str, clock: Clock, delivery: FakeDelivery) -> Scheduler:
    return Scheduler(url, {}, default_delivery=delivery, clock=clock, worker_id="t1")


def person_ids(course: Course) -> list[int]:
    with unit_of_work(course.url) as session:
        return cohorts.member_ids(session, course.cohort_id)


def work_through(url: str, sender: str, module: str, first: str | None = None) -> None:
    """Start a module and answer until it ends: `first` for the first chunk's first try,
    then "I don't know" (the re-explanations, then moving on kindly)."""
    with unit_of_work(url) as session:
        flow.set_answer_text_consent(session, sender, keep=False)  # asked once, answered
        assert flow.start_or_resume(session, sender, module, "en") is not None
    answer = first or "I don't know"
    for _ in range(30):
        with unit_of_work(url) as session:
            outcome = flow.handle_answer(session, sender, answer)
        if outcome.kind == flow.FINISHED:
            return
        answer = "I don't know"
    raise AssertionError("the module did not finish")


def test_invites_make_members_once_and_tutors_see_only_their_cohorts(course: Course) -> None:
    other = make_course(course.url, "tutor.b@example.org", 1)
    with unit_of_work(course.url) as session:
        assert [c.id for c in cohorts.cohorts_of(session, course.tutor_id)] == [course.cohort_id]
        labels = [p.label for p in cohorts.participants(session, course.cohort_id)]
        assert len(labels) == 3 and all(label.startswith("P-") for label in labels)
        first = person_ids(course)[0]
        cohorts.join_cohort(session, course.cohort_id, first)  # a second redemption path
        assert len(cohorts.member_ids(session, course.cohort_id)) == 3
        with pytest.raises(cohorts.NotAllowed):
            cohorts.cohort_for(session, other.tutor_id, course.cohort_id)
        with pytest.raises(cohorts.NotAllowed):
            cohorts.cohort_for(session, course.tutor_id, course.cohort_id + 1000)
    outsider = person_ids(other)[0]
    with pytest.raises(cohorts.NotAllowed), unit_of_work(course.url) as session:
        cohorts.assign(
            session,
            course.tutor_id,
            course.cohort_id,
            kind=cohorts.ACTION_PLAN,
            item=None,
            due_at=FRIDAY,
            person_id=outsider,
            now=MONDAY_9,
        )


def test_assigning_to_a_cohort_schedules_a_message_now_and_a_reminder_for_each(
    course: Course,
) -> None:
    assign_inhaler(course)
    members = person_ids(course)
    messages = rows(course.url, cohorts.MESSAGE)
    reminders = rows(course.url, cohorts.REMINDER)
    assert [m.person_id for m in messages] == members
    assert [m.person_id for m in reminders] == members
    assert {m.due_at.replace(tzinfo=None) for m in messages} == {MONDAY_9.replace(tzinfo=None)}
    # The evening before Friday's due date, 18:00 local (GMT in January).
    assert {m.due_at.replace(tzinfo=None) for m in reminders} == {
        at(2026, 1, 8, 18).replace(tzinfo=None)
    }


def test_assigning_to_one_participant_and_a_late_joiner(course: Course) -> None:
    one = person_ids(course)[1]
    with unit_of_work(course.url) as session:
        cohorts.assign(
            session,
            course.tutor_id,
            course.cohort_id,
            kind=cohorts.ACTION_PLAN,
            item=None,
            due_at=FRIDAY,
            person_id=one,
            now=MONDAY_9,
        )
    assert [m.person_id for m in rows(course.url, cohorts.MESSAGE)] == [one]
    now = utcnow()  # joining happens now, so this assignment is due from now
    assign_inhaler(course, now=now, due=now + timedelta(days=3))
    with unit_of_work(course.url) as session:
        code = invites.create_invite(
            session, created_by=course.tutor_id, cohort_id=course.cohort_id
        )
        code_text = code.code
    late = enrol_with_invite(course.url, "late-joiner", code_text)
    # The cohort-wide assignment still open reaches them; the one-person one does not.
    late_rows = [m for m in rows(course.url, cohorts.MESSAGE) if m.person_id == late]
    assert len(late_rows) == 1


@pytest.mark.parametrize("language", ["en", "cy"])
async def test_the_message_goes_out_once_in_their_language_with_a_start_button(
    db: str, language: str
) -> None:
    course = make_course(db, f"tutor.{language}@example.org", 2, language=language)
    assign_inhaler(course)
    clock, delivery = Clock(MONDAY_9 + timedelta(seconds=5)), FakeDelivery()
    assert await scheduler(db, clock, delivery).run_once() == 2
    assert await scheduler(db, clock, delivery).run_once() == 0
    assert sorted(to for to, _ in delivery.sent) == sorted(course.senders)
    [message] = delivery.sent[0][1]
    if language == "en":
        assert message["text"] == (
            "Your course tutor has set you some practice: Using a metered-dose inhaler. "
            "Could you try it by Friday 9 January?"
        )
        assert message["buttons"] == [{"title": "Start the practice", "payload": INHALER_PAYLOAD}]
    else:
        assert message["text"] == (
            "Mae tiwtor eich cwrs wedi gosod ymarfer i chi: Defnyddio anadlydd dos wedi'i fesur. "
            "Allwch chi roi cynnig arni erbyn Dydd Gwener 9 Ionawr?"
        )
        assert message["buttons"] == [{"title": "Dechrau'r ymarfer", "payload": INHALER_PAYLOAD}]


async def test_one_reminder_the_evening_before_and_none_for_who_has_done_it(
    course: Course,
) -> None:
    assign_inhaler(course)
    clock, delivery = Clock(MONDAY_9), FakeDelivery()
    assert await scheduler(course.url, clock, delivery).run_once() == 3
    work_through(course.url, course.senders[0], "inhaler")
    delivery.sent.clear()
    clock.now = at(2026, 1, 8, 18, 0, 30)
    assert await scheduler(course.url, clock, delivery).run_once() == 2
    assert await scheduler(course.url, clock, delivery).run_once() == 0
    assert sorted(to for to, _ in delivery.sent) == sorted(course.senders[1:])
    text = delivery.sent[0][1][0]["text"]
    assert text.startswith("A friendly reminder: your practice on Using a metered-dose inhaler")
    statuses = {(r.status, r.skip_reason) for r in rows(course.url, cohorts.REMINDER)}
    assert statuses == {("sent", None), ("skipped", "done")}


async def test_completion_comes_from_finished_teach_back_and_saved_plans(course: Course) -> None:
    assign_inhaler(course)
    with unit_of_work(course.url) as session:
        cohorts.assign(
            session,
            course.tutor_id,
            course.cohort_id,
            kind=cohorts.ACTION_PLAN,
            item=None,
            due_at=FRIDAY,
            now=MONDAY_9,
        )
    first, second, _third = course.senders
    work_through(course.url, first, "inhaler")
    work_through(course.url, second, "metformin")  # another module: not this assignment
    with unit_of_work(course.url) as session:
        goals.create_plan(
            session,
            second,
            activity="walk",
            amount="10 minutes",
            timing="after lunch",
            days_per_week=3,
            ratings=[(8, None)],
            weekdays=frozenset({1, 3, 5}),
            local_time=time(14),
            now=MONDAY_9 + timedelta(hours=2),
        )
    with unit_of_work(course.url) as session:
        shown = board.build(session, course.cohort_id, MONDAY_9 + timedelta(days=1))
    assert [a.kind for a in shown.assignments] == ["teachback", "action_plan"]
    done = {row.label: [bool(c and c.completed_at) for c in row.cells] for row in shown.rows}
    assert list(done.values()) == [[True, False], [False, True], [False, False]]
    assert shown.done_count(0) == 1 and shown.done_count(1) == 1
    plan_cell = shown.rows[1].cells[1]
    assert plan_cell is not None and plan_cell.completed_at is not None
    assert plan_cell.completed_at.replace(tzinfo=None) == (MONDAY_9 + timedelta(hours=2)).replace(
        tzinfo=None
    )
    with unit_of_work(course.url) as session:  # stored, not only shown
        stored = session.scalars(
            select(AssignmentTask).where(AssignmentTask.completed_at.is_not(None))
        ).all()
        assert len(stored) == 2


def test_a_module_finished_before_it_was_assigned_does_not_count(course: Course) -> None:
    work_through(course.url, course.senders[0], "inhaler")
    with unit_of_work(course.url) as session:
        assignment = cohorts.assign(
            session,
            course.tutor_id,
            course.cohort_id,
            kind=cohorts.TEACHBACK,
            item="inhaler",
            due_at=utcnow() + timedelta(days=3),
        )
        assert completion.completed_when(session, assignment, person_ids(course)[0]) is None


def test_first_try_rate_is_a_cohort_figure_hidden_below_three(course: Course) -> None:
    first, second, third = course.senders
    work_through(course.url, first, "inhaler", first=GOOD_FIRST)
    work_through(course.url, second, "inhaler")
    with unit_of_work(course.url) as session:
        [rate] = board.first_try_rates(session, person_ids(course))
    assert (rate.module_id, rate.participants, rate.points) == ("inhaler", 2, 12)
    assert rate.rate is None  # two people: one person's answers could be read from it
    work_through(course.url, third, "inhaler")
    work_through(course.url, first, "inhaler")  # a second go is not a first try
    with unit_of_work(course.url) as session:
        [rate] = board.first_try_rates(session, person_ids(course))
    # Three people, three chunks of two key points each; only the first chunk's two points
    # were explained on the first try, by one person.
    assert (rate.participants, rate.points, rate.understood) == (3, 18, 2)
    assert rate.rate == pytest.approx(2 / 18)


async def test_quiet_hours_hold_an_assignment_until_morning_in_the_persons_timezone(
    course: Course,
) -> None:
    evening = at(2026, 1, 5, 22)  # 22:00 in London, 07:00 next morning in Tokyo
    assign_inhaler(course, now=evening)
    tokyo = course.senders[0]
    with unit_of_work(course.url) as session:
        goals.create_plan(
            session,
            tokyo,
            activity="walk",
            amount="10 minutes",
            timing="after lunch",
            days_per_week=1,
            ratings=[(8, None)],
            weekdays=frozenset({4}),
            local_time=time(14),
            timezone="Asia/Tokyo",
            now=evening,
        )
    clock, delivery = Clock(evening), FakeDelivery()
    assert await scheduler(course.url, clock, delivery).run_once() == 0
    clock.now = at(2026, 1, 5, 23, 30)  # 08:30 in Tokyo, still night in London
    assert await scheduler(course.url, clock, delivery).run_once() == 1
    assert [to for to, _ in delivery.sent] == [tokyo]
    clock.now = at(2026, 1, 6, 8, 0, 30)  # 08:00 in London: the others' turn
    assert await scheduler(course.url, clock, delivery).run_once() == 2


def test_an_ask3_rehearsal_finished_after_it_was_set_completes_it(course: Course) -> None:
    ask3 = pytest.importorskip("bot.store.ask3")
    with unit_of_work(course.url) as session:
        assignment = cohorts.assign(
            session,
            course.tutor_id,
            course.cohort_id,
            kind=cohorts.ASK3_REHEARSAL,
            item=None,
            due_at=utcnow() + timedelta(days=2),
        )
    first, second = person_ids(course)[:2]
    with unit_of_work(course.url) as session:
        ask3.save_rehearsal(
            session, course.senders[0], scenario="knee", asked=["options"], evidence={}, turns=3
        )
    with unit_of_work(course.url) as session:
        stored = session.get(Assignment, assignment.id)
        assert stored is not None
        assert completion.completed_when(session, stored, first) is not None
        assert completion.completed_when(session, stored, second) is None


async def test_someone_who_joined_but_has_not_consented_yet_gets_it_once_they_do(
    course: Course,
) -> None:
    with unit_of_work(course.url) as session:
        code = invites.create_invite(
            session, created_by=course.tutor_id, cohort_id=course.cohort_id
        ).code
        people.enrol_web_person(session, "not-yet", "en", code)  # consent still pending
    assign_inhaler(course)
    clock, delivery = Clock(MONDAY_9), FakeDelivery()
    assert await scheduler(course.url, clock, delivery).run_once() == 3
    assert "not-yet" not in [to for to, _ in delivery.sent]
    with unit_of_work(course.url) as session:
        people.record_consent(session, "not-yet", given=True, notice_version="1")
    clock.now = MONDAY_9 + timedelta(minutes=20)
    assert await scheduler(course.url, clock, delivery).run_once() == 1
    assert delivery.sent[-1][0] == "not-yet"


async def test_nothing_is_sent_after_the_due_date(course: Course) -> None:
    assign_inhaler(course)
    clock, delivery = Clock(FRIDAY + timedelta(hours=9)), FakeDelivery()  # Saturday 08:59
    assert await scheduler(course.url, clock, delivery).run_once() == 0
    assert {(r.status, r.skip_reason) for r in rows(course.url, cohorts.MESSAGE)} == {
        ("skipped", "past_due")
    }
    assert {(r.status, r.skip_reason) for r in rows(course.url, cohorts.REMINDER)} == {
        ("skipped", "stale")
    }
