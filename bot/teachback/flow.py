"""The teach-back loop, kept in the database so a patient can stop and resume any time.

For each chunk: the chunk is sent and the patient is asked to say it back in their own
words. An acknowledgement ("ok", "I understand") is not an attempt. Everything covered:
praise and the next chunk. A point the grader is unsure about (near its threshold, nothing
contradicted): one short follow-up question about it, not counted as a re-try; the answer
to it covers the point unless it, too, leaves the grader short of sure. Points missed:
their re-explanations, and a question about just those; after two re-tries the chunk is
marked for clinician follow-up and the module moves on. "I don't know" counts as an
attempt that covered nothing, so it gets the re-explanation. An answer that says the
opposite of a point is never thanked: the dialogue says kindly what is right. Every
attempt is stored with each point's result and its evidence; the answer's words only when
the patient agreed to that. The summary lists only the points the patient explained.

These functions take a SQLAlchemy session and return what the dialogue should say next;
the Rasa actions turn that into responses.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from sqlalchemy import select
from sqlalchemy.orm import Session

from bot.content.teachback import Chunk, KeyPoint, Module, find_module, load_modules, servable
from bot.store.models import (
    Person,
    TeachbackAttempt,
    TeachbackFollowUp,
    TeachbackPointResult,
    TeachbackSession,
    TeachbackTextConsent,
    utcnow,
)
from bot.store.people import ensure_person, find_person, set_language
from bot.teachback.grader import PointResult, grade_with_phrasings
from bot.teachback.phrases import kind_of_reply, language_request, yes_or_no

ACTIVE = "active"
PAUSED = "paused"
COMPLETED = "completed"
MAX_RETRIES = 2

# What the dialogue does after an answer.
OWN_WORDS = "own_words"  # an acknowledgement: ask for their own words, nothing counted
REPEAT = "repeat"  # a button pressed mid-module: ask the current question again
ALL_COVERED = "all_covered"  # praise, then the next chunk
RETRY = "retry"  # re-explain the missed points and ask about them
PROBE = "probe"  # the grader is unsure: one short follow-up question about those points
MOVE_ON = "move_on"  # two re-tries used: move on kindly, follow-up marked
FINISHED = "finished"  # the last chunk is done: summary
PAUSED_NOW = "paused"  # the patient asked to stop
LANGUAGE_CHANGED = "language_changed"  # "Cymraeg" mid-module: same question, other language
TEXT_CONSENT_SAVED = "text_consent_saved"  # answered whether their words may be kept
NO_SESSION = "no_session"
NOT_SIGNED_OFF = "not_signed_off"  # sign-off is required here and the module has none
PROBE_MARK = "?"  # in `pending`: a point asked about in a follow-up question


@dataclass(frozen=True)
class Prompt:
    """What to ask now: the chunk itself, or the re-explanations of the points pending."""

    module: Module
    chunk: Chunk
    retry: int
    pending: tuple[KeyPoint, ...]
    probing: tuple[KeyPoint, ...] = ()  # asked about in a follow-up question


@dataclass
class Outcome:
    """The result of one answer, for the dialogue to put into words."""

    kind: str
    module: Module | None = None
    chunk_index: int = 0
    missed: list[KeyPoint] = field(default_factory=list)
    covered_points: list[KeyPoint] = field(default_factory=list)
    follow_up_chunks: list[str] = field(default_factory=list)
    language: str | None = None  # LANGUAGE_CHANGED: the new one
    keep_text: bool | None = None  # TEXT_CONSENT_SAVED: what they chose
    contradicted: list[KeyPoint] = field(default_factory=list)  # said the opposite
    probing: list[KeyPoint] = field(default_factory=list)  # PROBE: the points asked about
    explained: list[KeyPoint] = field(default_factory=list)  # covered by this answer
    not_sure: bool = False  # "I don't know": nothing to thank them for
    last_chunk_followed_up: bool = False  # FINISHED: the last chunk is left for the team


def _person(session: Session, sender_id: str) -> Person:
    return ensure_person(session, sender_id, channel="rest")


def current_session(session: Session, sender_id: str) -> TeachbackSession | None:
    """The person's active or paused module, most recent first."""
    person = find_person(session, sender_id)
    if person is None:
        return None
    return session.scalars(
        select(TeachbackSession)
        .where(
            TeachbackSession.person_id == person.id,
            TeachbackSession.status.in_((ACTIVE, PAUSED)),
        )
        .order_by(TeachbackSession.updated_at.desc(), TeachbackSession.id.desc())
        .limit(1)
    ).one_or_none()


def _session_for(session: Session, person: Person, module_id: str) -> TeachbackSession | None:
    return session.scalars(
        select(TeachbackSession)
        .where(
            TeachbackSession.person_id == person.id,
            TeachbackSession.module_id == module_id,
            TeachbackSession.status.in_((ACTIVE, PAUSED)),
        )
        .order_by(TeachbackSession.id.desc())
        .limit(1)
    ).one_or_none()


def _all_points(chunk: Chunk) -> list[str]:
    return [p.id for p in chunk.key_points]


def start_or_resume(
    session: Session, sender_id: str, module_name: str | None, language: str
) -> tuple[TeachbackSession, bool] | None:
    """Begin the named module, or resume it (or the last unfinished one when unnamed).

    Returns the session and whether it was resumed; None when no module is named and
    nothing is unfinished, so the patient should choose one.
    """
    person = _person(session, sender_id)
    module = find_module(module_name) if module_name else None
    if module is not None and not servable(module):
        return None
    resumed: TeachbackSession | None
    if module is None:
        resumed = current_session(session, sender_id)
        if resumed is None or resumed.module_id not in load_modules():
            return None
        if not servable(load_modules()[resumed.module_id]):
            return None
    else:
        resumed = _session_for(session, person, module.id)
    _pause_others(session, person, keep=resumed)
    if resumed is not None:
        resumed.status = ACTIVE
        resumed.language = language
        resumed.updated_at = utcnow()
        return resumed, True
    assert module is not None
    first = module.chunks[0]
    created = TeachbackSession(
        person_id=person.id,
        module_id=module.id,
        module_version=module.version,
        language=language,
        status=ACTIVE,
        chunk_id=first.id,
        pending=_all_points(first),
        retries=0,
    )
    session.add(created)
    session.flush()
    return created, False


def _pause_others(session: Session, person: Person, keep: TeachbackSession | None) -> None:
    """One module at a time: any other active one waits, paused, where it was."""
    for other in session.scalars(
        select(TeachbackSession).where(
            TeachbackSession.person_id == person.id, TeachbackSession.status == ACTIVE
        )
    ):
        if other is not keep:
            other.status = PAUSED


def prompt_for(tb: TeachbackSession) -> Prompt | None:
    """The chunk (and the points still pending) the session is asking about."""
    module = load_modules().get(tb.module_id)
    if module is None:
        return None
    chunk = module.chunk(tb.chunk_id) or module.chunks[0]
    by_id = {p.id: p for p in chunk.key_points}
    pending = tuple(by_id[i] for i in _pending_ids(tb) if i in by_id) or chunk.key_points
    probing = tuple(by_id[i] for i in _probing_ids(tb) if i in by_id)
    return Prompt(module, chunk, tb.retries, pending, probing)


def _pending_ids(tb: TeachbackSession) -> list[str]:
    return [i.removeprefix(PROBE_MARK) for i in tb.pending]


def _probing_ids(tb: TeachbackSession) -> set[str]:
    return {i.removeprefix(PROBE_MARK) for i in tb.pending if i.startswith(PROBE_MARK)}


def asks_text_consent(session: Session, tb: TeachbackSession) -> bool:
    """Whether the person has yet to say if their answers' words may be kept.

    Asked once, before their first answer to any module; their choice holds from then on.
    """
    return session.get(TeachbackTextConsent, tb.person_id) is None


def keeps_answer_text(session: Session, person_id: int) -> bool:
    """Whether the person agreed that their answers' words may be kept."""
    consent = session.get(TeachbackTextConsent, person_id)
    return bool(consent and consent.keep_answer_text)


def set_answer_text_consent(session: Session, sender_id: str, *, keep: bool) -> None:
    """Record whether answers' words may be kept (evidence alone is kept otherwise)."""
    person = _person(session, sender_id)
    consent = session.get(TeachbackTextConsent, person.id)
    if consent is None:
        session.add(TeachbackTextConsent(person_id=person.id, keep_answer_text=keep))
    else:
        consent.keep_answer_text = keep
        consent.recorded_at = utcnow()


def pause(session: Session, sender_id: str) -> TeachbackSession | None:
    """Stop where the patient is; `start_or_resume` picks it up again later."""
    tb = current_session(session, sender_id)
    if tb is not None:
        tb.status = PAUSED
        tb.updated_at = utcnow()
    return tb


def handle_answer(session: Session, sender_id: str, text: str) -> Outcome:
    """Grade one reply to the current question, store it, and move the session on."""
    tb = current_session(session, sender_id)
    prompt = prompt_for(tb) if tb is not None else None
    if tb is None or prompt is None:
        return Outcome(NO_SESSION)
    language = language_request(text)
    if language is not None:
        tb.language = language
        set_language(session, sender_id, language)
        return Outcome(LANGUAGE_CHANGED, prompt.module, language=language)
    kind = kind_of_reply(text)
    if kind == "stop":
        pause(session, sender_id)
        return Outcome(PAUSED_NOW, prompt.module)
    if asks_text_consent(session, tb):
        keep = yes_or_no(text)
        if keep is None:
            return Outcome(REPEAT, prompt.module)
        set_answer_text_consent(session, sender_id, keep=keep)
        return Outcome(TEXT_CONSENT_SAVED, prompt.module, keep_text=keep)
    if kind == "acknowledgement":
        return Outcome(OWN_WORDS, prompt.module)
    if kind == "button":
        return Outcome(REPEAT, prompt.module, prompt.module.chunk_index(tb.chunk_id))
    tb.status = ACTIVE
    tb.updated_at = utcnow()
    points = list(prompt.pending)
    not_sure = kind == "explain_again"
    if not_sure:
        results = [PointResult(covered=False, evidence=[]) for _ in points]
    else:
        asked = prompt.chunk.ask.in_language(tb.language) if tb.retries == 0 else ""
        wordings = [p.wordings(tb.language) for p in points]
        results = grade_with_phrasings(wordings, text, tb.language, given=asked)
    probing = {p.id for p in prompt.probing}
    # The answer to a follow-up question: "unsure" again is enough, when nothing says no.
    covered = [
        r.covered or (p.id in probing and r.unsure and not r.contradicted)
        for p, r in zip(points, results, strict=True)
    ]
    _record_attempt(session, tb, prompt, points, covered, results, text)
    explained = [p for p, ok in zip(points, covered, strict=True) if ok]
    contradicted = [p for p, r in zip(points, results, strict=True) if r.contradicted]
    missed = [p for p, ok in zip(points, covered, strict=True) if not ok]
    unsure = [
        p
        for p, r, ok in zip(points, results, covered, strict=True)
        if not ok and r.unsure and p.id not in probing
    ]
    index = prompt.module.chunk_index(tb.chunk_id)
    if unsure:
        tb.pending = [PROBE_MARK + p.id if p in unsure else p.id for p in missed]
        return Outcome(
            PROBE, prompt.module, index, missed, probing=unsure, explained=explained,
            contradicted=contradicted,
        )  # fmt: skip
    if not missed:
        return _next_chunk(session, tb, prompt.module, ALL_COVERED)
    if tb.retries >= MAX_RETRIES:
        session.add(
            TeachbackFollowUp(
                session_id=tb.id,
                person_id=tb.person_id,
                module_id=tb.module_id,
                chunk_id=tb.chunk_id,
                missed_key_points=[p.id for p in missed],
            )
        )
        session.flush()
        outcome = _next_chunk(session, tb, prompt.module, MOVE_ON)
        outcome.missed, outcome.contradicted = missed, contradicted
        outcome.not_sure = not_sure
        return outcome
    tb.retries += 1
    tb.pending = [p.id for p in missed]
    return Outcome(
        RETRY, prompt.module, index, missed, explained=explained, contradicted=contradicted,
        not_sure=not_sure,
    )  # fmt: skip


def _record_attempt(
    session: Session,
    tb: TeachbackSession,
    prompt: Prompt,
    points: list[KeyPoint],
    covered: list[bool],
    results: list[PointResult],
    text: str,
) -> None:
    number = 1 + len(
        session.scalars(
            select(TeachbackAttempt.id).where(
                TeachbackAttempt.session_id == tb.id, TeachbackAttempt.chunk_id == tb.chunk_id
            )
        ).all()
    )
    attempt = TeachbackAttempt(
        session_id=tb.id,
        person_id=tb.person_id,
        module_id=tb.module_id,
        module_version=tb.module_version,
        chunk_id=prompt.chunk.id,
        attempt_number=number,
        answer_text=text if keeps_answer_text(session, tb.person_id) else None,
    )
    session.add(attempt)
    session.flush()
    for point, ok, result in zip(points, covered, results, strict=True):
        evidence = list(result.evidence)
        session.add(
            TeachbackPointResult(
                attempt_id=attempt.id, key_point_id=point.id, covered=ok, evidence=evidence
            )
        )
    session.flush()


def _next_chunk(session: Session, tb: TeachbackSession, module: Module, kind: str) -> Outcome:
    index = module.chunk_index(tb.chunk_id)
    if index + 1 < len(module.chunks):
        following = module.chunks[index + 1]
        tb.chunk_id = following.id
        tb.pending = _all_points(following)
        tb.retries = 0
        return Outcome(kind, module, index + 1)
    tb.status = COMPLETED
    tb.finished_at = utcnow()
    outcome = summary(session, tb, module)
    outcome.chunk_index = index
    outcome.last_chunk_followed_up = kind == MOVE_ON
    return outcome


def summary(session: Session, tb: TeachbackSession, module: Module) -> Outcome:
    """What the patient explained back (points covered in one of their attempts), and the
    chunks marked for follow-up."""
    follow_ups = session.scalars(
        select(TeachbackFollowUp).where(TeachbackFollowUp.session_id == tb.id)
    ).all()
    explained = set(
        session.execute(
            select(TeachbackAttempt.chunk_id, TeachbackPointResult.key_point_id)
            .join(TeachbackPointResult, TeachbackPointResult.attempt_id == TeachbackAttempt.id)
            .where(TeachbackAttempt.session_id == tb.id, TeachbackPointResult.covered.is_(True))
        ).all()
    )
    covered = [
        point
        for chunk in module.chunks
        for point in chunk.key_points
        if (chunk.id, point.id) in explained
    ]
    return Outcome(
        FINISHED,
        module,
        covered_points=covered,
        follow_up_chunks=[f.chunk_id for f in follow_ups],
    )
