"""An SQL error never prints the statement's bound values (patients' words, names, ids):
not the gateway's and action server's engines (SQLite and PostgreSQL), not the engine's
tracker store."""

from __future__ import annotations

import json
import logging
import subprocess
import traceback
from pathlib import Path

import pytest
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError

from bot.config import ROOT
from bot.store import people
from bot.store.db import get_engine, unit_of_work
from bot.store.migrate import upgrade
from tests.conftest import unavailable

SENDER = "web-bound-value-7f3a"
SAID = "MARKER-my-private-words-b21c"
RASA_PYTHON = ROOT / ".venv-rasa" / "bin" / "python"


def test_a_failing_statement_shows_no_bound_value(
    database_url: str, caplog: pytest.LogCaptureFixture
) -> None:
    upgrade(database_url)
    with unit_of_work(database_url) as session:
        people.enrol_web_person(session, SENDER, "en", None)
    log = logging.getLogger("test.sql")
    with pytest.raises(DBAPIError) as raised, get_engine(database_url).begin() as connection:
        try:
            # A second person with the same sender id breaks the unique constraint.
            connection.execute(
                text("INSERT INTO people (sender_id, language, consent) VALUES (:s, :l, :c)"),
                {"s": SENDER, "l": "en", "c": SAID},
            )
        except DBAPIError:
            log.exception("store error")
            raise
    shown = "\n".join(
        [str(raised.value), repr(raised.value), *traceback.format_exception(raised.value)]
    )
    assert "INSERT INTO people" in shown  # the statement itself is still there to debug
    for value in (SENDER, SAID):
        assert value not in shown
        assert value not in caplog.text


TRACKER_CHECK = r"""
import json, sys
from engine import serve

serve.patch()
from rasa.core.tracker_store import SQLTrackerStore
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError

store = SQLTrackerStore(dialect="sqlite", db=sys.argv[1])
try:
    with store.engine.begin() as connection:
        connection.execute(text("INSERT INTO no_such_table (x) VALUES (:x)"), {"x": sys.argv[2]})
    shown = "no error"
except DBAPIError as error:
    shown = str(error)
print(json.dumps({"shown": shown}))
"""


def test_the_engines_tracker_store_shows_no_bound_value(tmp_path: Path) -> None:
    if not RASA_PYTHON.exists():
        unavailable("the engine's venv (.venv-rasa) is not installed")
    done = subprocess.run(
        [str(RASA_PYTHON), "-c", TRACKER_CHECK, str(tmp_path / "rasa.db"), SAID],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
        env={"PYTHONWARNINGS": "ignore", "TF_CPP_MIN_LOG_LEVEL": "2", "PATH": "/usr/bin:/bin"},
        check=False,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    shown = json.loads(done.stdout.strip().splitlines()[-1])["shown"]
    assert "no_such_table" in shown
    assert SAID not in shown
