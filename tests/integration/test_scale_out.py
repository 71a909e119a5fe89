"""`coach up --engines 2 --gateways 2` on PostgreSQL and Redis: conversations spread over both
engines, never run in two places at once, and carry on when an engine is killed mid-run."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from sqlalchemy import text

from bot.config import ROOT
from bot.stack import free_port
from bot.store.db import unit_of_work
from tests.support import WebChat, said

pytestmark = [pytest.mark.engine, pytest.mark.postgres, pytest.mark.redis]

COACH_UP = [sys.executable, "-m", "bot.cli", "up", "--engines", "2", "--gateways", "2"]
PATIENTS = 8
SCRIPT = ["help", "what can you do", "thanks", "help", "goodbye", "hi", "help", "thank you"]


def two_free_ports() -> int:
    """A port whose next port is free too, for two engines side by side."""
    while True:
        port = free_port()
        if port < 65000 and free_port_is(port + 1):
            return port


def free_port_is(port: int) -> bool:
    import socket

    with socket.socket() as probe:
        try:
            probe.bind(("127.0.0.1", port))
        except OSError:
            return False
    return True


def pids_listening_as_engine(port: int) -> list[int]:
    """The engine process serving `port` (its command line names the port)."""
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            argv = (entry / "cmdline").read_bytes().split(b"\0")
        except OSError:
            continue
        engine = any(a.endswith(b"rasa") or a == b"engine.serve" for a in argv)
        if engine and str(port).encode() in argv:
            found.append(int(entry.name))
    return found


def tracker_rows(database_url: str, sender_id: str) -> list[tuple[str, dict[str, object]]]:
    with unit_of_work(database_url) as session:
        rows = session.execute(
            text("SELECT type_name, data FROM events WHERE sender_id = :s ORDER BY id"),
            {"s": sender_id},
        ).all()
    return [(kind, json.loads(data)) for kind, data in rows]


def answers(url: str) -> bool:
    """Whether `url` answers 200 (the engine's root is text, the gateway's health JSON)."""
    try:
        with urllib.request.urlopen(url, timeout=5) as response:  # noqa: S310 - local URL
            return bool(response.status == 200)
    except (urllib.error.URLError, OSError):
        return False


def wait_for(url: str, runner: subprocess.Popen[str], timeout: float = 400) -> None:
    deadline = time.monotonic() + timeout
    while not answers(url):
        assert runner.poll() is None, "coach up exited early"
        assert time.monotonic() < deadline, f"{url} never answered"
        time.sleep(1)


def test_two_engines_two_gateways_lose_an_engine_and_lose_no_message(
    trained_model: Path, postgres_url: str, redis_url: str, tmp_path: Path
) -> None:
    port, first_engine = free_port(), two_free_ports()
    env = {
        **os.environ,
        "COACH_VAR_DIR": str(tmp_path),
        "DATABASE_URL": postgres_url,
        "REDIS_URL": redis_url,
        "PORT": str(port),
        "ENGINE_URL": f"http://127.0.0.1:{first_engine}",
        "ACTIONS_URL": f"http://127.0.0.1:{free_port()}",
        "SESSION_RATE_LIMIT": "100000",
        "REDELIVERY_INTERVAL": "1",
    }
    log_path = tmp_path / "coach-up.log"
    with log_path.open("w") as log_file:
        runner = subprocess.Popen(
            [*COACH_UP, "--model", str(trained_model)],
            cwd=ROOT,
            env=env,
            stdout=log_file,
            stderr=subprocess.STDOUT,
            text=True,
        )
    gateway = f"http://127.0.0.1:{port}"
    try:
        wait_for(f"{gateway}/healthz", runner)
        for engine_port in (first_engine, first_engine + 1):
            wait_for(f"http://127.0.0.1:{engine_port}/", runner)
        chats = [WebChat(gateway).start() for _ in range(PATIENTS)]
        for chat in chats:
            chat.say("hello")
            chat.say("/affirm")

        def converse(chat: WebChat, lines: list[str]) -> None:
            for line in lines:
                chat.say(line)

        half = len(SCRIPT) // 2
        with ThreadPoolExecutor(max_workers=PATIENTS) as pool:
            running = [pool.submit(converse, chat, SCRIPT[:half]) for chat in chats]
            time.sleep(1.0)  # mid-run: one engine dies without a word
            victims = pids_listening_as_engine(first_engine)
            assert victims, "engine 1 not found"
            for pid in victims:
                os.kill(pid, signal.SIGKILL)
            for future in running:
                future.result()
            # The rest of every conversation, with one engine down or coming back.
            for future in [pool.submit(converse, chat, SCRIPT[half:]) for chat in chats]:
                future.result()

        sent = ["hello", "/affirm", *SCRIPT]
        deadline = time.monotonic() + 120
        for chat in chats:
            # Kept messages (in flight when the engine died) reach the other engine shortly.
            while True:
                rows = tracker_rows(postgres_url, chat.sender_id)
                users = [str(d.get("text")) for kind, d in rows if kind == "user"]
                if users == sent or time.monotonic() > deadline:
                    break
                time.sleep(1)
            assert users == sent, "a message was lost, repeated or reordered"
            # One turn at a time: every user event is answered (action_listen) before the next.
            listening = True
            for kind, data in rows:
                if kind == "user":
                    assert listening, "two turns of one conversation overlapped"
                    listening = False
                elif kind == "action" and data.get("name") == "action_listen":
                    listening = True
            # And the person got real answers, not just "kept your message".
            answered = [reply for line, reply in chat.transcript if line == "help"]
            assert sum(said(reply, "utter_help") for reply in answered) >= 2
        # The supervisor starts the killed engine again.
        wait_for(f"http://127.0.0.1:{first_engine}/", runner)
        runner.send_signal(signal.SIGINT)
        runner.wait(timeout=90)
    finally:
        if runner.poll() is None:  # a failed check: stop every replica, not just coach up
            runner.send_signal(signal.SIGINT)
            try:
                runner.wait(timeout=90)
            except subprocess.TimeoutExpired:
                runner.kill()
                runner.wait()
        print(log_path.read_text()[-4000:])
    assert runner.returncode == 0
