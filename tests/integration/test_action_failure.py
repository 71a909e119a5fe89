"""A custom action that fails for real (the action server loses its database) gives the person
a kind reply, leaves no message text in any log, keeps their data, and the conversation goes on.

The stack runs on a private PostgreSQL. The action server connects as a role of its own, so the
test can take the database away from it alone (the role may no longer log in and its
connections are cut) while the engine and gateway keep theirs: every action that touches the
store then fails with a real connection error. Left to rasa_sdk, that error answers the engine
with the whole request (the tracker, with the person's earlier messages), which Rasa logs.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import text as sql

from bot.content.system import system_message
from bot.stack import LocalStack, free_port
from bot.store.db import get_engine, unit_of_work
from bot.store.people import load_profile
from tests.conftest import unavailable
from tests.support import PrivatePostgres, WebChat, said, texts

pytestmark = [pytest.mark.engine, pytest.mark.postgres]

ACTIONS_ROLE = "coach_actions"
# Words only the messages of this test hold: no log may ever contain them.
SECRET_WORDS = ("Brackenfold", "Wrenhollow")


@pytest.fixture(scope="module")
def postgres() -> Iterator[PrivatePostgres]:
    cluster = PrivatePostgres.create(free_port())
    if cluster is None:
        unavailable("PostgreSQL (initdb, pg_ctl) is not installed")
    assert cluster is not None
    try:
        cluster.start()
        with get_engine(cluster.url).begin() as connection:
            connection.execute(sql(f"CREATE ROLE {ACTIONS_ROLE} SUPERUSER LOGIN"))
        yield cluster
    finally:
        cluster.remove()


@pytest.fixture(scope="module")
def stack(
    trained_model: Path, postgres: PrivatePostgres, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[LocalStack]:
    stack = LocalStack(trained_model, postgres.url, tmp_path_factory.mktemp("action-failure"))
    stack.procs["actions"].env["DATABASE_URL"] = postgres.url.replace(
        "postgres@", f"{ACTIONS_ROLE}@", 1
    )
    try:
        stack.start()
        yield stack
    finally:
        stack.stop()


def set_actions_database(postgres: PrivatePostgres, *, available: bool) -> None:
    """Let the action server's role log in again, or refuse it and cut its connections."""
    with get_engine(postgres.url).begin() as connection:
        connection.execute(sql(f"ALTER ROLE {ACTIONS_ROLE} {'LOGIN' if available else 'NOLOGIN'}"))
        if not available:
            connection.execute(
                sql("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE usename = :r"),
                {"r": ACTIONS_ROLE},
            )


def test_a_failing_action_gets_a_kind_reply_no_text_in_logs_and_the_chat_goes_on(
    stack: LocalStack, postgres: PrivatePostgres
) -> None:
    kind = system_message("action_failed", "en")
    chat = WebChat(stack.gateway_url).start()
    chat.say(f"hello, I am {SECRET_WORDS[0]}")
    chat.say("/affirm")
    with unit_of_work(stack.database_url) as session:
        before = load_profile(session, chat.sender_id)
    assert before is not None and before.consent == "given"

    set_actions_database(postgres, available=False)
    try:
        # The engine sends the whole tracker (both earlier messages) to the failing action.
        reply = chat.say('/switch_language{"language":"cy"}')
        assert texts(reply) == kind, f"expected only the kind reply, got {texts(reply)!r}"
        reply = chat.say(f"my neighbour {SECRET_WORDS[1]} says hi")
        assert reply and all(m.get("text") for m in reply), "an empty answer reached the person"
    finally:
        set_actions_database(postgres, available=True)

    # Their data is as it was: the failed switch changed nothing.
    with unit_of_work(stack.database_url) as session:
        after = load_profile(session, chat.sender_id)
    assert after == before

    # And the conversation goes on: the same request now works, in Welsh.
    reply = chat.say('/switch_language{"language":"cy"}')
    assert said(reply, "utter_language_switched", "cy"), texts(reply)
    with unit_of_work(stack.database_url) as session:
        switched = load_profile(session, chat.sender_id)
    assert switched is not None and switched.language == "cy"

    logs = {path.name: path.read_text(errors="replace") for path in stack.log_files()}
    assert {"engine.log", "actions.log", "gateway.log"} <= set(logs)
    for name, content in logs.items():
        for word in SECRET_WORDS:
            assert word not in content, f"{name} holds message text"
    # The failure is still visible to whoever runs the service, by event name.
    assert "action.failed action=action_switch_language" in logs["actions.log"]
