"""Faults with real processes on a stack of its own (a private PostgreSQL and Redis, which
these tests stop and start): the gateway killed with SIGKILL in the middle of a turn, an
engine turn that times out, and PostgreSQL then Redis restarted while patients are talking.

Each test prints what was sent, what was answered and what was lost (which must be none).
The slow turn is real, not mocked: the action server is paused (SIGSTOP), so the engine's
turn waits on `action_session_start` until it is resumed (SIGCONT).
"""

from __future__ import annotations

import json
import signal
import socket
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from bot.content.system import system_message
from bot.stack import LocalStack, free_port
from bot.turns import turn_id_for
from tests.conftest import unavailable
from tests.support import PrivatePostgres, PrivateRedis, WebChat, tracker_events

pytestmark = [pytest.mark.engine, pytest.mark.postgres, pytest.mark.redis]

KEPT = system_message("engine_unavailable", "en")
DELAYED = system_message("delayed_replies", "en")
# Words no log may ever hold: they are only in the messages these tests send.
SECRET_WORDS = ("Quillfeather", "Marrowdene")


@pytest.fixture(scope="module")
def services() -> Iterator[tuple[PrivatePostgres, PrivateRedis]]:
    """A PostgreSQL and a Redis of this module's own, free to be stopped and started."""
    import shutil

    if shutil.which("redis-server") is None:
        unavailable("redis-server is not installed")
    postgres = PrivatePostgres.create(free_port())
    if postgres is None:
        unavailable("PostgreSQL (initdb, pg_ctl) is not installed")
    assert postgres is not None
    redis = PrivateRedis(free_port())
    try:
        postgres.start()
        redis.start()
        yield postgres, redis
    finally:
        redis.stop()
        postgres.remove()


@pytest.fixture(scope="module")
def stack(
    trained_model: Path,
    services: tuple[PrivatePostgres, PrivateRedis],
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[LocalStack]:
    """The production profile (PostgreSQL and Redis) with one engine and one gateway."""
    postgres, redis = services
    var_dir = tmp_path_factory.mktemp("faults")
    stack = LocalStack(trained_model, postgres.url, var_dir, redis_url=redis.url)
    try:
        stack.start()
        yield stack
    finally:
        stack.stop()


# --- a client that behaves like the widget: the same id again until it has an answer ------


def post_message(
    gateway_url: str, token: str, text: str, message_id: str, timeout: float = 90
) -> tuple[int, dict[str, Any]]:
    """POST /api/messages; (0, {}) when the connection failed or broke (the gateway died)."""
    request = urllib.request.Request(  # noqa: S310 - local URL
        f"{gateway_url}/api/messages",
        data=json.dumps({"text": text, "id": message_id}).encode(),
        method="POST",
        headers={"Content-Type": "application/json", "Authorization": f"Bearer {token}"},
    )
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:  # noqa: S310
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as exc:
        return exc.code, {}
    except OSError:
        return 0, {}


def texts_of(answer: dict[str, Any]) -> list[str]:
    return [str(m.get("text", "")) for m in answer.get("messages", [])]


def waiting_request_bytes(port: int) -> int:
    """Bytes a paused server has not read yet on connections to `port` (from /proc/net/tcp):
    more than zero once the engine has sent it a request it cannot answer."""
    waiting = 0
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        try:
            lines = Path(table).read_text().splitlines()[1:]
        except OSError:
            continue
        for line in lines:
            fields = line.split()
            local_port = int(fields[1].rsplit(":", 1)[1], 16)
            state = fields[3]
            rx_queue = int(fields[4].split(":")[1], 16)
            if local_port == port and state == "01":  # ESTABLISHED
                waiting += rx_queue
    return waiting


def wait_until(check: Callable[[], bool], timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while not check():
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.1)


def user_turns(database_url: str, sender_id: str) -> list[str]:
    """The turn ids of the sender's user events in the tracker, oldest first."""
    return [
        str((data.get("metadata") or {}).get("turn"))
        for kind, data in tracker_events(database_url, sender_id)
        if kind == "user"
    ]


def replies_after(database_url: str, sender_id: str, turn_id: str) -> list[str]:
    """The texts of the engine's bot events that follow the user event of `turn_id`."""
    found, texts = False, []
    for kind, data in tracker_events(database_url, sender_id):
        if kind == "user":
            if found:
                break
            found = (data.get("metadata") or {}).get("turn") == turn_id
        elif kind == "bot" and found and data.get("text"):
            texts.append(str(data["text"]))
    return texts


def kill_gateway(stack: LocalStack) -> None:
    gateway = stack.procs["gateway"]
    gateway.signal_group(signal.SIGKILL)
    assert gateway.process is not None
    gateway.process.wait(timeout=30)


def restart_gateway(stack: LocalStack) -> float:
    """Start the gateway again, as `coach up` or a container runtime would; seconds taken."""
    started = time.monotonic()
    stack.procs["gateway"].start()
    stack.wait_healthy(timeout=180)
    return time.monotonic() - started


def actions_port(stack: LocalStack) -> int:
    port = int(stack.settings.actions_url.rsplit(":", 1)[1])
    return port


# --- kill -9 the gateway in the middle of a turn ----------------------------------------------


def test_gateway_killed_while_the_engine_works_on_the_turn_then_the_retry_is_answered_once(
    stack: LocalStack, figures: list[str]
) -> None:
    database_url = stack.database_url
    patient = WebChat(stack.gateway_url).start()
    text, message_id = f"hello, I am Ada {SECRET_WORDS[0]}", "widget-msg-1"
    turn_id = turn_id_for(patient.sender_id, message_id)
    actions = stack.procs["actions"]
    actions.signal_group(signal.SIGSTOP)
    try:
        with ThreadPoolExecutor(max_workers=1) as pool:
            first = pool.submit(post_message, stack.gateway_url, patient.token, text, message_id)
            # The engine took the turn and waits on the paused action server.
            wait_until(lambda: waiting_request_bytes(actions_port(stack)) > 0, 60, "the engine")
            kill_gateway(stack)
            status, _ = first.result(timeout=30)
    finally:
        actions.signal_group(signal.SIGCONT)
    assert status == 0, "the request should have died with the gateway"
    restart_seconds = restart_gateway(stack)

    # The widget sends the unanswered message again, with the same id, once it reconnects.
    status, answer = post_message(stack.gateway_url, patient.token, text, message_id)
    assert status == 200
    shown = texts_of(answer)
    assert shown and all(shown), "the person got an empty answer"
    turns = user_turns(database_url, patient.sender_id)
    assert turns.count(turn_id) == 1, f"the message was handled {turns.count(turn_id)} times"
    if KEPT not in shown:  # answered now: exactly the engine's answer to that one turn
        assert shown == replies_after(database_url, patient.sender_id, turn_id)
    # And the conversation goes on.
    status, answer = post_message(stack.gateway_url, patient.token, "help", "widget-msg-2")
    assert status == 200 and texts_of(answer)
    assert user_turns(database_url, patient.sender_id).count(turn_id) == 1

    answered = 1 if turns.count(turn_id) == 1 else 0
    line = (
        f"faults/gateway SIGKILL while the engine works: sent 1, answered {answered} "
        f"(tracker holds the turn {turns.count(turn_id)}x), lost {1 - answered}; "
        f"gateway back in {restart_seconds:.1f} s"
    )
    print(line)
    figures.append(line)


def test_gateway_killed_after_the_engine_answered_then_the_retry_gets_that_answer(
    stack: LocalStack, figures: list[str]
) -> None:
    """The engine finished the turn, but its answer died with the gateway: the retry is
    answered from the tracker, and the engine does not handle the message a second time."""
    database_url = stack.database_url
    patient = WebChat(stack.gateway_url).start()
    text, message_id = f"hi there, {SECRET_WORDS[1]} here", "widget-msg-1"
    turn_id = turn_id_for(patient.sender_id, message_id)
    actions, gateway = stack.procs["actions"], stack.procs["gateway"]
    actions.signal_group(signal.SIGSTOP)
    try:
        with ThreadPoolExecutor(max_workers=1) as pool:
            first = pool.submit(post_message, stack.gateway_url, patient.token, text, message_id)
            wait_until(lambda: waiting_request_bytes(actions_port(stack)) > 0, 60, "the engine")
            gateway.signal_group(signal.SIGSTOP)  # frozen: it will never read the answer
            actions.signal_group(signal.SIGCONT)
            wait_until(
                lambda: turn_id in user_turns(database_url, patient.sender_id),
                60,
                "the engine to save the turn",
            )
            kill_gateway(stack)
            status, _ = first.result(timeout=30)
    finally:
        actions.signal_group(signal.SIGCONT)
    assert status == 0
    engine_said = replies_after(database_url, patient.sender_id, turn_id)
    assert engine_said, "the engine's answer should be in its tracker"
    restart_gateway(stack)

    status, answer = post_message(stack.gateway_url, patient.token, text, message_id)
    assert status == 200
    assert texts_of(answer) == engine_said, "the retry should get the engine's first answer"
    # Once more (a second reconnect): the same answer, still one turn in the tracker.
    status, again = post_message(stack.gateway_url, patient.token, text, message_id)
    assert status == 200 and texts_of(again) == engine_said
    turns = user_turns(database_url, patient.sender_id)
    assert turns.count(turn_id) == 1, f"the message was handled {turns.count(turn_id)} times"

    line = (
        "faults/gateway SIGKILL after the engine answered: sent 1, answered 1 (from the "
        f"tracker, {len(engine_said)} messages), handled by the engine {turns.count(turn_id)}x, "
        "lost 0"
    )
    print(line)
    figures.append(line)


@pytest.mark.browser
def test_the_widget_resends_its_message_after_the_gateway_died_and_it_is_answered_once(
    stack: LocalStack, chromium: Path, figures: list[str]
) -> None:
    """The real widget in Chromium: its WebSocket dies with the gateway mid-turn; once the
    gateway is back it reconnects, sends the unanswered message again with the same id, and
    shows one answer; the engine handled the message once."""
    from playwright.sync_api import expect, sync_playwright

    args = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
            "--disable-component-update", "--disable-sync", "--no-first-run"]  # fmt: skip
    actions = stack.procs["actions"]
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(chromium), args=args)
        try:
            page = browser.new_page()
            page.goto(f"{stack.gateway_url}/")
            page.get_by_test_id("choose-en").click()
            field = page.get_by_test_id("chat-input")
            expect(field).to_be_visible()
            # Choosing a language brings the coach's greeting; the message under test follows:
            # the answer to its consent question, which the engine takes to the action server.
            bubbles = page.get_by_test_id("bot-bubble")
            expect(bubbles.first).to_be_visible(timeout=60_000)
            expect(page.get_by_test_id("typing")).to_be_hidden(timeout=60_000)
            greeted = bubbles.count()
            token = str(page.evaluate("localStorage.getItem('coach.token')"))
            sender_id = token.rpartition(".")[0]
            actions.signal_group(signal.SIGSTOP)
            try:
                field.fill("yes")
                field.press("Enter")
                wait_until(lambda: waiting_request_bytes(actions_port(stack)) > 0, 60, "engine")
                pending = json.loads(str(page.evaluate("sessionStorage.getItem('coach.pending')")))
                kill_gateway(stack)
            finally:
                actions.signal_group(signal.SIGCONT)
            assert [p["text"] for p in pending] == ["yes"]
            turn_id = turn_id_for(sender_id, pending[0]["id"])
            restart_gateway(stack)
            expect(bubbles).not_to_have_count(greeted, timeout=60_000)
            expect(page.get_by_test_id("typing")).to_be_hidden(timeout=60_000)
            time.sleep(1)  # a second answer, if one were coming, would show by now
            shown = bubbles.all_inner_texts()[greeted:]
            assert page.evaluate("sessionStorage.getItem('coach.pending')") == "[]"
        finally:
            browser.close()
    turns = user_turns(stack.database_url, sender_id)
    assert turns.count(turn_id) == 1, f"the message was handled {turns.count(turn_id)} times"
    expected = replies_after(stack.database_url, sender_id, turn_id)
    assert [" ".join(t.split()) for t in shown] == [" ".join(t.split()) for t in expected]
    line = (
        f"faults/widget, gateway SIGKILL mid-turn: sent 1, answered 1 ({len(shown)} bubbles, "
        f"shown once), handled by the engine {turns.count(turn_id)}x, lost 0"
    )
    print(line)
    figures.append(line)


def test_a_timed_out_engine_turn_leaves_no_message_text_in_any_log(stack: LocalStack) -> None:
    """Rasa's REST channel logs the text of a cancelled turn (`rest.message.received.timeout`)
    unless told not to: a client that gives up on a slow turn must leave no text behind."""
    word = "Thistlewaite"
    actions = stack.procs["actions"]
    actions.signal_group(signal.SIGSTOP)
    try:
        body = json.dumps(
            {"sender": f"web-timeout-{free_port()}", "message": f"hello from {word}"}
        ).encode()
        request = urllib.request.Request(  # noqa: S310 - local URL
            f"{stack.engine_url}/webhooks/rest/webhook",
            data=body,
            method="POST",
            headers={"Content-Type": "application/json"},
        )
        with pytest.raises((TimeoutError, socket.timeout, urllib.error.URLError)):
            urllib.request.urlopen(request, timeout=3)  # noqa: S310
    finally:
        actions.signal_group(signal.SIGCONT)
    time.sleep(2)  # the engine notices the closed connection and cancels the turn
    logs = {path.name: path.read_text(errors="replace") for path in stack.log_files()}
    assert "engine.log" in logs
    for name, content in logs.items():
        for needle in (word, *SECRET_WORDS):
            assert needle not in content, f"{name} holds message text"


# --- PostgreSQL, then Redis, restarted during a run --------------------------------------------

PATIENTS = 6
SCRIPT = ["help", "what can you do", "thanks", "help", "thank you", "what can you do"]
MESSAGES_EACH = 24
PAUSE = 0.4


@dataclass
class Tally:
    """What one patient sent and saw."""

    sent: list[str] = field(default_factory=list)  # message ids, in order
    retries: int = 0
    kind_replies: int = 0  # "I can't answer right now, I've kept your message…"
    delayed: int = 0  # "Here are my replies to the messages you sent while I was away."
    errors: list[str] = field(default_factory=list)


def converse(gateway_url: str, patient: WebChat, tally: Tally, stop_at: float) -> None:
    """Send the script like the widget: one message at a time, the same id until answered."""
    for index in range(MESSAGES_EACH):
        text, message_id = SCRIPT[index % len(SCRIPT)], f"run-{index}"
        tally.sent.append(message_id)
        while True:
            status, answer = post_message(gateway_url, patient.token, text, message_id)
            if status == 200:
                break
            tally.retries += 1
            tally.errors.append(f"HTTP {status}")
            assert time.monotonic() < stop_at, "no answer before the deadline"
            time.sleep(1.0)
        shown = texts_of(answer)
        if not shown or not all(shown):
            tally.errors.append("empty answer")
        tally.kind_replies += shown.count(KEPT)
        tally.delayed += shown.count(DELAYED)
        time.sleep(PAUSE)


def test_postgres_then_redis_restart_during_a_run_loses_no_message(
    stack: LocalStack, services: tuple[PrivatePostgres, PrivateRedis], figures: list[str]
) -> None:
    postgres, redis = services
    database_url = stack.database_url
    patients = [WebChat(stack.gateway_url).start() for _ in range(PATIENTS)]
    for patient in patients:
        patient.say("hello")
        patient.say("/affirm")
    tallies = [Tally() for _ in patients]
    stop_at = time.monotonic() + 240
    outages: dict[str, float] = {}
    with ThreadPoolExecutor(max_workers=PATIENTS) as pool:
        running = [
            pool.submit(converse, stack.gateway_url, patient, tally, stop_at)
            for patient, tally in zip(patients, tallies, strict=True)
        ]
        time.sleep(3)
        started = time.monotonic()
        postgres.stop()
        time.sleep(4)
        postgres.start()
        outages["postgres"] = time.monotonic() - started
        time.sleep(4)
        started = time.monotonic()
        redis.stop()
        time.sleep(3)
        redis.start()
        outages["redis"] = time.monotonic() - started
        for future in running:
            future.result()

    # Kept messages reach the engine once it can take them again: wait for the last ones.
    expected = {
        patient.sender_id: [turn_id_for(patient.sender_id, m) for m in tally.sent]
        for patient, tally in zip(patients, tallies, strict=True)
    }

    def all_in() -> bool:
        return all(
            set(turns) <= set(user_turns(database_url, sender))
            for sender, turns in expected.items()
        )

    deadline = time.monotonic() + 90
    while not all_in() and time.monotonic() < deadline:
        time.sleep(1)
    sent = answered = lost = duplicated = 0
    wrong: list[str] = []
    for sender, turns in expected.items():
        in_tracker = [t for t in user_turns(database_url, sender) if t in set(turns)]
        sent += len(turns)
        answered += len(set(in_tracker))
        lost += len(set(turns) - set(in_tracker))
        duplicated += len(in_tracker) - len(set(in_tracker))
        if in_tracker != turns:
            wrong.append(f"tracker holds {[turns.index(t) for t in in_tracker]} of {len(turns)}")
    # Every reply was a real answer or the kind one; no error reached anyone.
    errors = [e for tally in tallies for e in tally.errors]
    kind = sum(t.kind_replies for t in tallies)
    line = (
        f"faults/postgres down {outages['postgres']:.1f} s then redis down "
        f"{outages['redis']:.1f} s, {PATIENTS} patients: sent {sent}, answered {answered}, "
        f"lost {lost}, handled twice {duplicated}; kind 'kept your message' replies {kind}, "
        f"delayed-replies notes {sum(t.delayed for t in tallies)}, client retries "
        f"{sum(t.retries for t in tallies)}, errors shown {len(errors)}"
    )
    print(line)
    figures.append(line)
    if wrong or errors:
        print(stack.tail("gateway", 80), stack.tail("engine", 40))
    assert not wrong, f"a message was lost, handled twice or out of order: {wrong}"
    assert lost == 0 and duplicated == 0
    assert not errors, errors
    # Still serving normally afterwards, on both stores.
    assert stack.health()[0] == 200
    assert patients[0].say("help")
