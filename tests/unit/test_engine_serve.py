"""engine/serve.py: the engine's two turn-path fixes keep Rasa's behaviour (run in .venv-rasa)."""

from __future__ import annotations

import json
import subprocess

from bot.config import ROOT
from tests.conftest import unavailable

RASA_PYTHON = ROOT / ".venv-rasa" / "bin" / "python"

CHECK = r"""
import asyncio, json
from jsonschema import ValidationError
from rasa.core.actions.action import RemoteAction
from rasa.utils.endpoints import EndpointConfig
from engine import serve

serve.patch()
action = RemoteAction("action_x", EndpointConfig("http://127.0.0.1:1/webhook"))
good = {"events": [{"event": "slot", "name": "consent", "value": "given"}], "responses": []}
bad = {"events": [{"event": "slot", "name": 3}], "responses": "not a list"}
result = {"good": action._validate_action_result(good)}
try:
    action._validate_action_result(bad)
    result["bad"] = "accepted"
except ValidationError as error:
    result["bad"] = "refused" if "Failed to validate" in error.message else "refused, no hint"

async def sessions():
    endpoint = EndpointConfig("http://127.0.0.1:1/webhook")
    async with endpoint.session() as first:
        pass
    async with endpoint.session() as second:
        pass
    reused = first is second and not second.closed
    await second.close()
    return reused

result["reused"] = asyncio.run(sessions())
print(json.dumps(result))
"""


def test_action_responses_still_validated_and_connections_reused() -> None:
    if not RASA_PYTHON.exists():
        unavailable("the engine's venv (.venv-rasa) is not installed")
    done = subprocess.run(
        [str(RASA_PYTHON), "-c", CHECK],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
        env={"PYTHONWARNINGS": "ignore", "TF_CPP_MIN_LOG_LEVEL": "2", "PATH": "/usr/bin:/bin"},
        check=False,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    result = json.loads(done.stdout.strip().splitlines()[-1])
    # A malformed answer from the action server is refused as before; a good one passes.
    assert result == {"good": True, "bad": "refused", "reused": True}
