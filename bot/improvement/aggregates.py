"""Service-level aggregates for the lead's view (issue 10): weekly points for run charts.

Every figure is over all patients of the service and is computed here from the stored
outcomes; none carries a person id out of this module. Each point counts the distinct
patients it is drawn from, so `bot.improvement.suppression` can hide small numbers.

Definitions (weeks start on Monday, UTC):
- Teach-back first-try understanding: of the key points asked about at a chunk's first
  attempt (attempt 1 of each session's chunk), the share explained back, by the week of
  the attempt; per module, per chunk and per key point. Each attempt carries the module
  version it was given with, so a reworded chunk's change is marked where the new version
  was first answered.
- Goals: of the plans rated in a week, the share whose last confidence rating was 7 or
  more; of the check-ins sent in a week, the share answered.
- Measures: the mean of each experience-check (PREM) domain (1-5) and of self-rated
  health (0-10), by week recorded.
- Ask 3: of the appointment follow-ups answered in a week, the share who said they got
  their answers ("yes"), and the mean involvement score (0-10).
- Engagement: patients active in a week (a message to the coach, or any recorded answer);
  and drop-off, the share of patients active in their k-th week after enrolling, among
  those enrolled at least k+1 weeks ago.
"""

from __future__ import annotations

import functools
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Any

from sqlalchemy import column, func, inspect, select, table
from sqlalchemy.orm import Session

from bot.content import versions
from bot.content.option_grids import load_grids
from bot.content.teachback import load_modules
from bot.improvement.run_chart import RunChart, analyse
from bot.improvement.suppression import shown_count, shown_value, suppressed
from bot.store import goals
from bot.store.models import (
    Ask3FollowUp,
    CheckinResult,
    ConfidenceRating,
    ContentFeedback,
    Conversation,
    Measure,
    PatientStory,
    Person,
    ScheduledMessage,
    TeachbackAttempt,
    TeachbackPointResult,
)

CONFIDENT = 7
DROP_OFF_WEEKS = 13  # about three months, where telehealth activity is known to fall
PREM_DOMAINS = ("welcomed", "timely", "dignity", "information", "involvement")


def aware(moment: datetime) -> datetime:
    """A stored instant as UTC-aware (SQLite hands them back naive, in UTC)."""
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)


@functools.lru_cache(maxsize=4096)
def _monday(ordinal: int) -> date:
    return date.fromordinal(ordinal - (ordinal - 1) % 7)  # day 1 (0001-01-01) is a Monday


def week_of(moment: datetime) -> date:
    """The Monday (UTC) of the week an instant falls in (naive instants are UTC)."""
    day = moment.date() if moment.tzinfo is None else moment.astimezone(UTC).date()
    return _monday(day.toordinal())


@dataclass(frozen=True)
class Observation:
    """One patient's contribution to a figure: who (internal only), when, how much of what."""

    person_id: int
    at: datetime
    numerator: float
    denominator: int = 1


@dataclass(frozen=True)
class WeekPoint:
    """One week's figure and the number of distinct patients behind it."""

    week: date
    patients: int
    numerator: float
    denominator: int
    kind: str  # "rate", "mean" or "count"

    @property
    def raw(self) -> float | None:
        if self.kind == "count":
            return float(self.patients)
        return self.numerator / self.denominator if self.denominator else None

    @property
    def value(self) -> float | None:
        """The figure, or None when there is nothing or too few patients to show it."""
        return None if suppressed(self.patients) else self.raw

    def shown(self, unit: str) -> str:
        if not self.patients:
            return ""
        return shown_value(self.patients, self.raw, unit)


@dataclass(frozen=True)
class ChangeMark:
    """A content version first used in `week`, and the chunks it reworded."""

    week: date
    version: int
    chunks: tuple[str, ...]

    @property
    def label(self) -> str:
        what = f": {', '.join(self.chunks)}" if self.chunks else ""
        return f"v{self.version}{what}"


@dataclass(frozen=True)
class Metric:
    """One run chart: its weekly points, run-chart analysis and content change marks."""

    key: str
    group: str
    title: str
    unit: str  # "%", "score" or "count"
    y_min: float
    y_max: float
    points: tuple[WeekPoint, ...]
    marks: tuple[ChangeMark, ...] = ()
    x_label: str = "week"

    @property
    def chart(self) -> RunChart:
        return analyse([p.value for p in self.points])

    @property
    def patients(self) -> int:
        return max((p.patients for p in self.points), default=0)


def weekly(
    observations: Iterable[Observation], kind: str, until: date | None = None
) -> tuple[WeekPoint, ...]:
    """Weekly points from the first observed week to `until` (or the last), gaps included."""
    by_week: dict[date, list[Observation]] = defaultdict(list)
    for obs in observations:
        by_week[week_of(obs.at)].append(obs)
    if not by_week:
        return ()
    week, last = min(by_week), max([*by_week, *([until] if until else [])])
    points = []
    while week <= last:
        found = by_week.get(week, [])
        points.append(
            WeekPoint(
                week=week,
                patients=len({o.person_id for o in found}),
                numerator=sum(o.numerator for o in found),
                denominator=sum(o.denominator for o in found),
                kind=kind,
            )
        )
        week += timedelta(days=7)
    return tuple(points)


# --- Teach-back -------------------------------------------------------------------------


@dataclass(frozen=True)
class PointAnswer:
    """One key point graded at a first attempt (internal: person ids stay in this module)."""

    person_id: int
    at: datetime
    module_id: str
    module_version: int
    chunk_id: str
    key_point_id: str
    covered: bool


def first_try_answers(session: Session) -> list[PointAnswer]:
    """Every key point asked about at the first attempt at a chunk, graded."""
    rows = session.execute(
        select(
            TeachbackAttempt.person_id,
            TeachbackAttempt.created_at,
            TeachbackAttempt.module_id,
            TeachbackAttempt.module_version,
            TeachbackAttempt.chunk_id,
            TeachbackPointResult.key_point_id,
            TeachbackPointResult.covered,
        )
        .join(TeachbackPointResult, TeachbackPointResult.attempt_id == TeachbackAttempt.id)
        .where(TeachbackAttempt.attempt_number == 1)
    )
    return [PointAnswer(*row) for row in rows]


@dataclass(frozen=True)
class RateRow:
    """A first-try rate for one module, chunk or key point, over all patients."""

    module_id: str
    chunk_id: str | None
    key_point_id: str | None
    title: str
    patients: int
    asked: int
    understood: int

    @property
    def rate(self) -> float | None:
        if suppressed(self.patients) or not self.asked:
            return None
        return self.understood / self.asked

    @property
    def shown(self) -> str:
        return shown_value(self.patients, self.understood / self.asked if self.asked else None, "%")

    @property
    def shown_patients(self) -> str:
        return shown_count(self.patients)


def _titles() -> dict[tuple[str, str | None, str | None], str]:
    titles: dict[tuple[str, str | None, str | None], str] = {}
    for module in load_modules().values():
        titles[(module.id, None, None)] = module.title.en
        for chunk in module.chunks:
            titles[(module.id, chunk.id, None)] = chunk.text.en
            for point in chunk.key_points:
                titles[(module.id, chunk.id, point.id)] = point.text.en
    return titles


def rate_rows(answers: Sequence[PointAnswer], level: str) -> list[RateRow]:
    """First-try rates per "module", "chunk" or "key_point"; those failing most first.

    Rows too small to show come last (their rate is hidden, so they cannot be ranked).
    """
    titles = _titles()
    groups: dict[tuple[str, str | None, str | None], list[PointAnswer]] = defaultdict(list)
    for a in answers:
        chunk = a.chunk_id if level in ("chunk", "key_point") else None
        point = a.key_point_id if level == "key_point" else None
        groups[(a.module_id, chunk, point)].append(a)
    rows = [
        RateRow(
            module_id=key[0],
            chunk_id=key[1],
            key_point_id=key[2],
            title=titles.get(key, key[2] or key[1] or key[0]),
            patients=len({a.person_id for a in found}),
            asked=len(found),
            understood=sum(1 for a in found if a.covered),
        )
        for key, found in groups.items()
    ]
    return sorted(
        rows,
        key=lambda r: (r.rate is None, r.rate if r.rate is not None else 0.0, r.title),
    )


def _first_week_of_version(answers: Sequence[PointAnswer], version: int) -> date | None:
    moments = [a.at for a in answers if a.module_version >= version]
    return week_of(min(moments, key=aware)) if moments else None


def change_marks(
    module_id: str, answers: Sequence[PointAnswer], lock: versions.Lock | None = None
) -> list[ChangeMark]:
    """Where each later version of a module was first answered, and what it reworded."""
    marks = []
    for version, chunks in versions.change_points(f"module/{module_id}", lock):
        week = _first_week_of_version(answers, version)
        if week is not None:
            marks.append(ChangeMark(week, version, tuple(chunks)))
    return marks


def _first_try_observations(answers: Iterable[PointAnswer]) -> list[Observation]:
    return [Observation(a.person_id, a.at, 1.0 if a.covered else 0.0) for a in answers]


def teachback_metrics(
    answers: Sequence[PointAnswer], lock: versions.Lock | None = None
) -> list[Metric]:
    """One run chart for all modules, then one per module, with its version change marks."""
    titles = _titles()
    metrics = [
        Metric(
            "teachback:all",
            "Teach-back",
            "First-try understanding, all modules",
            "%",
            0,
            1,
            weekly(_first_try_observations(answers), "rate"),
        )
    ]
    for module_id in sorted({a.module_id for a in answers}):
        mine = [a for a in answers if a.module_id == module_id]
        metrics.append(
            Metric(
                f"teachback:{module_id}",
                "Teach-back",
                f"First-try understanding: {titles.get((module_id, None, None), module_id)}",
                "%",
                0,
                1,
                weekly(_first_try_observations(mine), "rate"),
                tuple(change_marks(module_id, mine, lock)),
            )
        )
    return metrics


@dataclass(frozen=True)
class ChunkView:
    """A chunk on the module page: its run chart, before/after a change, and feedback."""

    chunk_id: str
    text: str
    metric: Metric
    before_after: list[tuple[ChangeMark, RateRow, RateRow]]
    feedback: list[FeedbackRow]
    clarity: RateSummary


@dataclass(frozen=True)
class RateSummary:
    """Mean clarity (1-5) of a chunk or item, with its patient count for suppression."""

    patients: int
    total: float
    count: int

    @property
    def shown(self) -> str:
        if not self.count:
            return ""
        return shown_value(self.patients, self.total / self.count, "score")

    @property
    def shown_patients(self) -> str:
        return shown_count(self.patients)


def chunk_views(
    session: Session, module_id: str, answers: Sequence[PointAnswer], lock: versions.Lock | None
) -> list[ChunkView]:
    """Every chunk of a module, in the module's order, with what the lead needs beside it."""
    module = load_modules().get(module_id)
    mine = [a for a in answers if a.module_id == module_id]
    marks = change_marks(module_id, mine, lock)
    feedback = feedback_rows(session, item_kind="module", item_id=module_id)
    chunk_ids = [c.id for c in module.chunks] if module else sorted({a.chunk_id for a in mine})
    texts = {c.id: c.text.en for c in module.chunks} if module else {}
    views = []
    for chunk_id in chunk_ids:
        here = [a for a in mine if a.chunk_id == chunk_id]
        own_marks = tuple(m for m in marks if chunk_id in m.chunks)
        pairs = []
        for mark in own_marks:
            before = [a for a in here if a.module_version < mark.version]
            after = [a for a in here if a.module_version >= mark.version]
            pairs.append(
                (mark, _rate(module_id, chunk_id, before), _rate(module_id, chunk_id, after))
            )
        rated = [f for f in feedback if f.chunk_id == chunk_id]
        views.append(
            ChunkView(
                chunk_id=chunk_id,
                text=texts.get(chunk_id, chunk_id),
                metric=Metric(
                    f"teachback:{module_id}:{chunk_id}",
                    "Teach-back",
                    f"First-try understanding: {chunk_id}",
                    "%",
                    0,
                    1,
                    weekly(_first_try_observations(here), "rate"),
                    own_marks,
                ),
                before_after=pairs,
                feedback=rated,
                clarity=clarity_summary(session, "module", module_id, chunk_id),
            )
        )
    return views


def _rate(module_id: str, chunk_id: str, answers: Sequence[PointAnswer]) -> RateRow:
    return RateRow(
        module_id=module_id,
        chunk_id=chunk_id,
        key_point_id=None,
        title=chunk_id,
        patients=len({a.person_id for a in answers}),
        asked=len(answers),
        understood=sum(1 for a in answers if a.covered),
    )


# --- Feedback and stories -------------------------------------------------------------


@dataclass(frozen=True)
class FeedbackRow:
    """One piece of content feedback as the lead sees it: no person, no sender, no time."""

    item_kind: str
    item_id: str
    chunk_id: str | None
    content_version: int
    clarity: int | None
    suggestion: str | None
    language: str
    week: date


def feedback_rows(
    session: Session, *, item_kind: str | None = None, item_id: str | None = None
) -> list[FeedbackRow]:
    """Content feedback, newest first, stripped of who gave it."""
    query = select(
        ContentFeedback.item_kind,
        ContentFeedback.item_id,
        ContentFeedback.chunk_id,
        ContentFeedback.content_version,
        ContentFeedback.clarity,
        ContentFeedback.suggestion,
        ContentFeedback.language,
        ContentFeedback.created_at,
    ).order_by(ContentFeedback.created_at.desc(), ContentFeedback.id.desc())
    if item_kind is not None:
        query = query.where(ContentFeedback.item_kind == item_kind)
    if item_id is not None:
        query = query.where(ContentFeedback.item_id == item_id)
    return [FeedbackRow(*row[:7], week=week_of(row[7])) for row in session.execute(query)]


def clarity_summary(
    session: Session, item_kind: str, item_id: str, chunk_id: str | None = None
) -> RateSummary:
    """Mean clarity rating of an item (or one of its chunks) and how many patients gave it."""
    query = select(ContentFeedback.person_id, ContentFeedback.clarity).where(
        ContentFeedback.item_kind == item_kind,
        ContentFeedback.item_id == item_id,
        ContentFeedback.clarity.is_not(None),
    )
    if chunk_id is not None:
        query = query.where(ContentFeedback.chunk_id == chunk_id)
    rows = list(session.execute(query))
    return RateSummary(
        patients=len({r[0] for r in rows}),
        total=float(sum(r[1] or 0 for r in rows)),
        count=len(rows),
    )


@dataclass(frozen=True)
class ItemFeedback:
    """An item's mean clarity and its feedback, for the overview."""

    item_kind: str
    item_id: str
    title: str
    clarity: RateSummary
    rows: list[FeedbackRow]


def feedback_by_item(session: Session) -> list[ItemFeedback]:
    """Every module and grid with feedback: mean clarity and the rows, fewest clear first."""
    rows = feedback_rows(session)
    titles = {("module", m.id): m.title.en for m in load_modules().values()}
    titles |= {("grid", g.id): g.title.en for g in load_grids().values()}
    items = sorted({(r.item_kind, r.item_id) for r in rows})
    found = [
        ItemFeedback(
            kind,
            item,
            titles.get((kind, item), item),
            clarity_summary(session, kind, item),
            [r for r in rows if (r.item_kind, r.item_id) == (kind, item)],
        )
        for kind, item in items
    ]
    return found


@dataclass(frozen=True)
class StoryRow:
    """A story its teller agreed to share, without who told it."""

    text: str
    language: str
    week: date


def shared_stories(session: Session) -> list[StoryRow]:
    rows = session.execute(
        select(PatientStory.text, PatientStory.language, PatientStory.created_at)
        .where(PatientStory.share_consent.is_(True))
        .order_by(PatientStory.created_at.desc(), PatientStory.id.desc())
    )
    return [StoryRow(text, language, week_of(at)) for text, language, at in rows]


# --- Goals, measures, Ask 3 -------------------------------------------------------------


def confidence_observations(session: Session) -> list[Observation]:
    """Per rated plan, its last rating: 1 when it was 7 or more."""
    last: dict[tuple[int, int | None], tuple[datetime, int, int]] = {}
    rows = session.execute(
        select(
            ConfidenceRating.person_id,
            ConfidenceRating.plan_id,
            ConfidenceRating.rated_at,
            ConfidenceRating.id,
            ConfidenceRating.rating,
        )
    )
    for person_id, plan_id, at, row_id, rating in rows:
        key = (person_id, plan_id if plan_id is not None else -row_id)
        if key not in last or (aware(at), row_id) > (aware(last[key][0]), last[key][1]):
            last[key] = (at, row_id, rating)
    return [
        Observation(person_id, at, 1.0 if rating >= CONFIDENT else 0.0)
        for (person_id, _), (at, _, rating) in last.items()
    ]


def checkin_observations(session: Session) -> list[Observation]:
    """Each check-in sent: 1 when it was answered."""
    answered = select(CheckinResult.scheduled_message_id).where(
        CheckinResult.scheduled_message_id.is_not(None)
    )
    rows = session.execute(
        select(
            ScheduledMessage.person_id,
            ScheduledMessage.sent_at,
            ScheduledMessage.id.in_(answered),
        ).where(
            ScheduledMessage.kind == goals.CHECKIN,
            ScheduledMessage.status == "sent",
            ScheduledMessage.sent_at.is_not(None),
        )
    )
    return [Observation(p, at, 1.0 if done else 0.0) for p, at, done in rows if at is not None]


def checkin_marks(session: Session, lock: versions.Lock | None = None) -> list[ChangeMark]:
    """Where each later version of the check-in texts was first answered."""
    marks = []
    for version, chunks in versions.change_points(versions.CHECKINS_KEY, lock):
        first = session.scalar(
            select(func.min(CheckinResult.answered_at)).where(
                CheckinResult.content_version >= version
            )
        )
        if first is not None:
            marks.append(ChangeMark(week_of(first), version, tuple(chunks)))
    return marks


def measure_observations(session: Session, instrument: str, item: str) -> list[Observation]:
    rows = session.execute(
        select(Measure.person_id, Measure.recorded_at, Measure.value).where(
            Measure.instrument == instrument, Measure.item == item
        )
    )
    return [Observation(p, at, float(v)) for p, at, v in rows]


def ask3_observations(session: Session) -> tuple[list[Observation], list[Observation]]:
    """(got their answers: 1 for "yes"; involvement 0-10), per follow-up answered."""
    rows = list(
        session.execute(
            select(
                Ask3FollowUp.person_id,
                Ask3FollowUp.answered_at,
                Ask3FollowUp.got_answers,
                Ask3FollowUp.involvement,
            )
        )
    )
    got = [Observation(p, at, 1.0 if answer == "yes" else 0.0) for p, at, answer, _ in rows]
    involved = [Observation(p, at, float(score)) for p, at, _, score in rows]
    return got, involved


# --- Engagement -------------------------------------------------------------------------


def _tracker_activity(session: Session, senders: dict[str, int]) -> list[tuple[int, datetime]]:
    """Each user message in the engine's tracker store (`events`), when it shares the DB."""
    if not inspect(session.get_bind()).has_table("events"):
        return []
    events = table("events", column("sender_id"), column("type_name"), column("timestamp"))
    rows = session.execute(
        select(events.c.sender_id, events.c.timestamp).where(events.c.type_name == "user")
    )
    found = []
    for sender_id, stamp in rows:
        if sender_id in senders and stamp is not None:
            found.append((senders[sender_id], datetime.fromtimestamp(float(stamp), UTC)))
    return found


def activity(session: Session) -> list[tuple[int, datetime]]:
    """(person, instant) of everything a patient did: messages and recorded answers. Only
    people who consented count: someone who chatted but never consented (or refused, or
    withdrew) is not a patient of the service."""
    senders: dict[str, int] = {
        s: i
        for s, i in session.execute(
            select(Person.sender_id, Person.id).where(Person.consent == "given")
        )
    }
    patients = set(senders.values())
    found = _tracker_activity(session, senders)
    sources: list[tuple[Any, Any]] = [
        (Conversation.person_id, Conversation.last_activity_at),
        (TeachbackAttempt.person_id, TeachbackAttempt.created_at),
        (CheckinResult.person_id, CheckinResult.answered_at),
        (ConfidenceRating.person_id, ConfidenceRating.rated_at),
        (Measure.person_id, Measure.recorded_at),
        (Ask3FollowUp.person_id, Ask3FollowUp.answered_at),
        (ContentFeedback.person_id, ContentFeedback.created_at),
    ]
    for person_col, at_col in sources:
        found.extend(
            (p, aware(at)) for p, at in session.execute(select(person_col, at_col)) if p in patients
        )
    return found


Activity = list[tuple[int, datetime]]


def active_observations(session: Session, done: Activity | None = None) -> list[Observation]:
    """One observation per patient per week they were active."""
    seen: dict[tuple[int, date], datetime] = {}
    for person_id, at in activity(session) if done is None else done:
        seen.setdefault((person_id, week_of(at)), at)
    return [Observation(p, at, 1.0) for (p, _), at in seen.items()]


def drop_off(
    session: Session, now: datetime, done: Activity | None = None
) -> tuple[WeekPoint, ...]:
    """Per week since enrolment k, the share of patients enrolled k+1 or more weeks ago who
    were active in their week k. `week` on each point is a stand-in: k Mondays after 2000-01-03.
    """
    enrolled: dict[int, datetime] = {
        i: at for i, at in session.execute(select(Person.id, Person.created_at))
    }
    active: dict[int, set[int]] = defaultdict(set)
    for person_id, at in activity(session) if done is None else done:
        start = enrolled.get(person_id)
        if start is None:
            continue
        k = (aware(at) - aware(start)).days // 7
        if 0 <= k < DROP_OFF_WEEKS:
            active[k].add(person_id)
    points = []
    origin = date(2000, 1, 3)
    weeks_in = {p: (aware(now) - aware(start)).days // 7 for p, start in enrolled.items()}
    for k in range(DROP_OFF_WEEKS):
        eligible = {p for p, weeks in weeks_in.items() if weeks >= k + 1}
        if not eligible:
            break
        points.append(
            WeekPoint(
                week=origin + timedelta(weeks=k),
                patients=len(eligible),
                numerator=float(len(active[k] & eligible)),
                denominator=len(eligible),
                kind="rate",
            )
        )
    return tuple(points)


# --- Everything, for the overview and the CSV -------------------------------------------


@dataclass(frozen=True)
class Overview:
    metrics: list[Metric]
    key_points: list[RateRow]
    chunks: list[RateRow]
    modules: list[RateRow]
    feedback: list[ItemFeedback] = field(default_factory=list)
    stories: list[StoryRow] = field(default_factory=list)


def metrics(
    session: Session,
    now: datetime,
    lock: versions.Lock | None = None,
    answers: Sequence[PointAnswer] | None = None,
) -> list[Metric]:
    """Every service-level run chart, in the order the overview shows them."""
    answers = first_try_answers(session) if answers is None else answers
    done = activity(session)
    until = week_of(now)
    found = teachback_metrics(answers, lock)
    found.append(
        Metric("goals:confident", "Goals", "Plans rated confidence 7 or more", "%", 0, 1,
               weekly(confidence_observations(session), "rate", until))
    )  # fmt: skip
    found.append(
        Metric("goals:checkins", "Goals", "Check-ins answered", "%", 0, 1,
               weekly(checkin_observations(session), "rate", until),
               tuple(checkin_marks(session, lock)))
    )  # fmt: skip
    for domain in PREM_DOMAINS:
        found.append(
            Metric(f"prem:{domain}", "Measures", f"Experience check (PREM): {domain}", "score",
                   1, 5, weekly(measure_observations(session, "prem", domain), "mean", until))
        )  # fmt: skip
    found.append(
        Metric("measures:health", "Measures", "Self-rated health (0-10)", "score", 0, 10,
               weekly(measure_observations(session, "weekly", "health"), "mean", until))
    )  # fmt: skip
    got, involved = ask3_observations(session)
    found.append(
        Metric("ask3:answers", "Ask 3", "Said they got their answers", "%", 0, 1,
               weekly(got, "rate", until))
    )  # fmt: skip
    found.append(
        Metric("ask3:involvement", "Ask 3", "Involvement score (0-10)", "score", 0, 10,
               weekly(involved, "mean", until))
    )  # fmt: skip
    found.append(
        Metric("engagement:active", "Engagement", "Active patients per week", "count", 0,
               0, weekly(active_observations(session, done), "count", until))
    )  # fmt: skip
    found.append(
        Metric("engagement:drop_off", "Engagement", "Active in week k after enrolling", "%",
               0, 1, drop_off(session, now, done), x_label="weeks since enrolment")
    )  # fmt: skip
    return found


def overview(session: Session, now: datetime, lock: versions.Lock | None = None) -> Overview:
    answers = first_try_answers(session)
    return Overview(
        metrics=metrics(session, now, lock, answers),
        key_points=rate_rows(answers, "key_point"),
        chunks=rate_rows(answers, "chunk"),
        modules=rate_rows(answers, "module"),
        feedback=feedback_by_item(session),
        stories=shared_stories(session),
    )


def metrics_csv_rows(found: Sequence[Metric]) -> list[list[str]]:
    """The run charts as CSV rows: metric, week, patients, value, signals, change marks."""
    rows = [["group", "metric", "week", "patients", "value", "median", "signal", "change"]]
    for metric in found:
        chart = metric.chart
        signal_at: dict[int, list[str]] = defaultdict(list)
        for signal in chart.signals:
            for index in signal.points:
                signal_at[index].append(f"{signal.kind} {signal.direction}")
        marks = {m.week: m.label for m in metric.marks}
        for index, point in enumerate(metric.points):
            week = str(index) if metric.x_label != "week" else point.week.isoformat()
            rows.append(
                [
                    metric.group,
                    metric.title,
                    week,
                    shown_count(point.patients) if point.patients else "0",
                    point.shown(metric.unit),
                    shown_value(metric.patients, chart.median, metric.unit)
                    if chart.median is not None
                    else "",
                    "; ".join(signal_at.get(index, [])),
                    marks.get(point.week, ""),
                ]
            )
    return rows


def rate_csv_rows(found: Sequence[RateRow]) -> list[list[str]]:
    rows = [["module", "chunk", "key point", "patients", "first-try rate"]]
    rows += [
        [r.module_id, r.chunk_id or "", r.key_point_id or "", r.shown_patients, r.shown]
        for r in found
    ]
    return rows


def feedback_csv_rows(found: Sequence[FeedbackRow]) -> list[list[str]]:
    """Feedback without who gave it or when exactly: the week only."""
    rows = [["kind", "item", "chunk", "version", "clarity", "suggestion", "language", "week"]]
    rows += [
        [f.item_kind, f.item_id, f.chunk_id or "", str(f.content_version),
         "" if f.clarity is None else str(f.clarity), f.suggestion or "", f.language,
         f.week.isoformat()]
        for f in found
    ]  # fmt: skip
    return rows
