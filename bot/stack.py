"""A whole local stack on free ports, for integration tests and benchmarks.

It runs the same three processes as `coach run`, each with its own log file, and can stop
and restart the engine alone to show what users see while it is away.
"""

from __future__ import annotations

import dataclasses
import json
import secrets
import signal
import socket
import time
import urllib.error
import urllib.request
from pathlib import Path

from bot.config import Settings
from bot.store import migrate
from bot.supervisor import Child, children


def free_port() -> int:
    """A TCP port nobody is listening on right now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def get_json(url: str, timeout: float = 5.0) -> tuple[int, dict[str, object]]:
    """GET a JSON document; (status, body), with (0, {}) when nothing answers."""
    try:
        with urllib.request.urlopen(url, timeout=timeout) as response:  # noqa: S310 - local URL
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as exc:
        return exc.code, json.loads(exc.read() or b"{}")
    except (urllib.error.URLError, OSError, ValueError):
        return 0, {}


@dataclasses.dataclass
class LocalStack:
    """Engine, action server and gateway for one database, started and stopped together."""

    model: Path
    database_url: str
    var_dir: Path
    redis_url: str | None = None
    redelivery_interval: float = 1.0
    # Tests and benchmarks open many sessions from one address; production keeps the default.
    session_rate_limit: int = 100_000
    # Telegram through a Bot API server of the caller's (tests use a local stand-in):
    # a token and its base URL switch the channel on, a webhook URL puts it in webhook mode.
    telegram_bot_token: str | None = None
    telegram_api_base_url: str | None = None
    telegram_webhook_url: str | None = None
    telegram_webhook_secret: str | None = None
    settings: Settings = dataclasses.field(init=False)
    procs: dict[str, Child] = dataclasses.field(init=False, default_factory=dict)

    def __post_init__(self) -> None:
        self.settings = Settings(
            database_url=self.database_url,
            port=free_port(),
            host="127.0.0.1",
            engine_url=f"http://127.0.0.1:{free_port()}",
            actions_url=f"http://127.0.0.1:{free_port()}",
            secret_key=secrets.token_urlsafe(48),
            redis_url=self.redis_url,
            telegram_bot_token=self.telegram_bot_token,
            allowed_origins=(),
            redelivery_interval=self.redelivery_interval,
            telegram_webhook_url=self.telegram_webhook_url,
            telegram_webhook_secret=self.telegram_webhook_secret,
            telegram_api_base_url=self.telegram_api_base_url,
        )
        for child in children(self.settings, self.model, self.var_dir):
            child.log_path = self.var_dir / "logs" / f"{child.name}.log"
            self.procs[child.name] = child
        self.procs["gateway"].env["SESSION_RATE_LIMIT"] = str(self.session_rate_limit)

    @property
    def gateway_url(self) -> str:
        """Where the widget and its API answer."""
        return f"http://127.0.0.1:{self.settings.port}"

    @property
    def engine_url(self) -> str:
        """The engine's own REST channel, for comparisons with stock Rasa."""
        return self.settings.engine_url

    def log_files(self) -> list[Path]:
        """Every log file the stack has written."""
        return sorted((self.var_dir / "logs").glob("*.log"))

    def start(self, timeout: float = 300.0) -> None:
        """Start all three and wait until /healthz says every part is ready."""
        migrate.upgrade(self.database_url)
        for child in self.procs.values():
            child.start()
        self.wait_healthy(timeout)

    def health(self) -> tuple[int, dict[str, object]]:
        """The gateway's /healthz answer."""
        return get_json(f"{self.gateway_url}/healthz")

    def wait_healthy(self, timeout: float = 300.0) -> None:
        """Block until /healthz is 200, or raise with the last answer and the logs' tails."""
        deadline = time.monotonic() + timeout
        status: int = 0
        body: dict[str, object] = {}
        while time.monotonic() < deadline:
            status, body = self.health()
            if status == 200:
                return
            for name, child in self.procs.items():
                if child.process is not None and child.process.poll() is not None:
                    raise RuntimeError(f"{name} exited early:\n{self.tail(name)}")
            time.sleep(1.0)
        tails = "\n".join(self.tail(name) for name in self.procs)
        raise TimeoutError(f"stack not healthy after {timeout}s: {status} {body}\n{tails}")

    def tail(self, name: str, lines: int = 30) -> str:
        """The end of one process's log."""
        path = self.var_dir / "logs" / f"{name}.log"
        text = path.read_text(errors="replace") if path.exists() else ""
        return f"--- {name} ---\n" + "\n".join(text.splitlines()[-lines:])

    def stop_engine(self) -> None:
        """Stop the engine alone, as a crash or a restart would."""
        self.procs["engine"].stop()

    def start_engine(self) -> None:
        """Start the engine again (it takes as long as loading the model)."""
        self.procs["engine"].start()

    def kill_gateway(self) -> None:
        """Kill the gateway at once (SIGKILL), as a crash or a lost node would."""
        gateway = self.procs["gateway"]
        gateway.signal_group(signal.SIGKILL)
        if gateway.process is not None:
            gateway.process.wait()

    def start_gateway(self) -> None:
        """Start the gateway again and wait until it is healthy."""
        self.procs["gateway"].start()
        self.wait_healthy()

    def stop(self) -> None:
        """Stop every process."""
        for child in self.procs.values():
            child.stop()
