"""`coach run` (what `make run` calls): all three start, and Ctrl-C leaves no process behind."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from bot.config import ROOT
from bot.stack import free_port, get_json

pytestmark = pytest.mark.engine


def processes_with(marker: str) -> list[int]:
    """Pids whose environment carries the marker (our unique COACH_VAR_DIR)."""
    pids = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            environ = (entry / "environ").read_bytes()
        except OSError:
            continue
        if marker.encode() in environ and int(entry.name) != os.getpid():
            pids.append(int(entry.name))
    return pids


def test_coach_run_serves_the_widget_and_stops_cleanly_on_ctrl_c(
    trained_model: Path, tmp_path: Path
) -> None:
    port = free_port()
    marker = f"COACH_VAR_DIR={tmp_path}"
    env = {
        **os.environ,
        "COACH_VAR_DIR": str(tmp_path),
        "DATABASE_URL": f"sqlite:///{tmp_path / 'coach.db'}",
        "PORT": str(port),
        "ENGINE_URL": f"http://127.0.0.1:{free_port()}",
        "ACTIONS_URL": f"http://127.0.0.1:{free_port()}",
    }
    runner = subprocess.Popen(
        [sys.executable, "-m", "bot.cli", "run", "--model", str(trained_model)],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        deadline = time.monotonic() + 300
        status, body = get_json(f"http://127.0.0.1:{port}/healthz")
        while status != 200:
            assert runner.poll() is None, runner.stdout.read() if runner.stdout else ""
            assert time.monotonic() < deadline, body
            time.sleep(1)
            status, body = get_json(f"http://127.0.0.1:{port}/healthz")
        assert body == {
            "gateway": "ok",
            "engine": "ok",
            "actions": "ok",
            "database": "ok",
            "safety": "ok",
            "telegram": "off",
        }
        assert len(processes_with(marker)) >= 3
        runner.send_signal(signal.SIGINT)
        output, _ = runner.communicate(timeout=60)
    finally:
        if runner.poll() is None:
            runner.kill()
    assert runner.returncode == 0
    for name in ("engine", "actions", "gateway"):
        assert f"[{name:<7}]" in output, f"no log lines labelled {name}"
    time.sleep(0.5)
    assert processes_with(marker) == []
