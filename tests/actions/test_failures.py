"""An action whose store fails for real (an SQLite file without the application's tables) does
not raise: the person gets the kind reply in their language, the turn ends there, and the log
names the event, the action and a pseudonym only, never the text or the sender id that the
database error quotes."""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from rasa_sdk import Tracker
from rasa_sdk.executor import CollectingDispatcher
from sqlalchemy import Engine

from actions.language import ActionSwitchLanguage
from actions.session import ActionSessionStart
from bot.content.system import system_message
from bot.endpoints import ENGINE_LOGGING
from bot.logs import WithoutExceptionDetail, pseudonym
from bot.store.db import get_engine

TrackerFactory = Callable[..., Tracker]
SENDER = "web-Quillon-4471"
SECRET = "Marrowbright"


@pytest.fixture
def broken_store(tmp_path: Any, monkeypatch: pytest.MonkeyPatch) -> Iterator[Engine]:
    """DATABASE_URL pointing at a database that has none of the application's tables."""
    url = f"sqlite:///{tmp_path}/empty.db"
    monkeypatch.setenv("DATABASE_URL", url)
    engine = get_engine(url)
    yield engine
    engine.dispose()


def _log_text(caplog: pytest.LogCaptureFixture) -> str:
    handler = logging.StreamHandler()
    handler.setFormatter(logging.Formatter("%(name)s %(levelname)s %(message)s"))
    return "\n".join(handler.format(record) for record in caplog.records)


@pytest.mark.parametrize("language", ["en", "cy"])
async def test_a_failing_action_sends_the_kind_reply_and_ends_the_turn(
    broken_store: Engine,
    make_tracker: TrackerFactory,
    caplog: pytest.LogCaptureFixture,
    language: str,
) -> None:
    dispatcher = CollectingDispatcher()
    tracker = make_tracker(
        SENDER, slots={"language": language}, intent="switch_language", text=f"I'm {SECRET}"
    )
    with caplog.at_level(logging.INFO):
        events = await ActionSwitchLanguage().run(dispatcher, tracker, {})

    assert [m["text"] for m in dispatcher.messages] == [system_message("action_failed", language)]
    # No language was set, and no later rule step ("switched!") follows the kind reply.
    assert events == [{"event": "followup", "timestamp": None, "name": "action_listen"}]
    logged = _log_text(caplog)
    assert f"action.failed action=action_switch_language sender={pseudonym(SENDER)}" in logged
    assert "error=OperationalError" in logged
    assert SECRET not in logged and SENDER not in logged


async def test_a_failing_session_start_keeps_the_conversation_language_and_consent(
    broken_store: Engine, make_tracker: TrackerFactory
) -> None:
    dispatcher = CollectingDispatcher()
    tracker = make_tracker(SENDER, slots={"language": "cy", "consent": "given"})
    events = await ActionSessionStart().run(dispatcher, tracker, {})

    assert [m["text"] for m in dispatcher.messages] == [system_message("action_failed", "cy")]
    slots = {e["name"]: e["value"] for e in events if e["event"] == "slot"}
    assert slots == {"language": "cy", "consent": "given"}
    assert events[0]["event"] == "session_started"
    assert (events[-1]["event"], events[-1]["name"]) == ("action", "action_listen")


def test_the_engine_logs_a_failed_action_by_name_without_the_request_body() -> None:
    """Rasa logs a failed custom action with a traceback whose chained error quotes the action
    server's answer: the whole tracker. The engine's logging config keeps the line, not that."""
    filters = ENGINE_LOGGING["loggers"]["rasa.core.processor"]["filters"]
    assert filters == ["without_exception_detail"]
    assert ENGINE_LOGGING["filters"]["without_exception_detail"]["()"] == (
        "bot.logs.WithoutExceptionDetail"
    )
    logger = logging.getLogger("tests.engine-like")
    records: list[logging.LogRecord] = []

    class Keep(logging.Handler):
        def emit(self, record: logging.LogRecord) -> None:
            records.append(record)

    keep = Keep()
    logger.addHandler(keep)
    logger.addFilter(WithoutExceptionDetail())
    try:
        try:
            body = f'{{"request_body": {{"tracker": {{"text": "I am {SECRET}"}}}}}}'
            raise RuntimeError(f"500, Internal Server Error, body='{body}'")
        except RuntimeError:
            logger.exception("Encountered an exception while running action '%s'.", "action_x")
    finally:
        logger.removeHandler(keep)
    line = logging.Formatter("%(levelname)s %(message)s").format(records[0])
    assert line.startswith("ERROR Encountered an exception while running action 'action_x'.")
    assert "RuntimeError" in line and SECRET not in line and "Traceback" not in line
