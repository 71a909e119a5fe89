"""Start the engine, the action server and the gateway together, and stop them together.

Each child runs in its own process group, so Ctrl-C reaches only this supervisor, which
then stops every child (and its children) and waits for them: no orphan is left behind.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

from bot.config import ROOT, VAR_DIR, Settings
from bot.endpoints import write_endpoints, write_engine_logging

STOP_GRACE_SECONDS = 15.0
RESTART_PAUSE = 2.0  # before a replica that exited is started again


@dataclass
class Child:
    """One supervised process and the name its log lines carry."""

    name: str
    argv: list[str]
    env: dict[str, str] = field(default_factory=dict)
    log_path: Path | None = None
    process: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        """Start in a new session; output goes to `log_path`, or to stdout with a name prefix."""
        if self.log_path is not None:
            self.log_path.parent.mkdir(parents=True, exist_ok=True)
            with self.log_path.open("ab") as log_file:
                self.process = subprocess.Popen(
                    self.argv,
                    cwd=ROOT,
                    env={**os.environ, **self.env},
                    stdout=log_file,
                    stderr=subprocess.STDOUT,
                    start_new_session=True,
                )
            return
        self.process = subprocess.Popen(
            self.argv,
            cwd=ROOT,
            env={**os.environ, **self.env},
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        threading.Thread(target=self._relay, daemon=True).start()

    def stop(self, grace: float = STOP_GRACE_SECONDS) -> None:
        """SIGTERM the group, then SIGKILL it if it has not gone within `grace` seconds."""
        if self.process is None:
            return
        self.signal_group(signal.SIGTERM)
        try:
            self.process.wait(timeout=grace)
        except subprocess.TimeoutExpired:
            self.signal_group(signal.SIGKILL)
            self.process.wait()

    def _relay(self) -> None:
        assert self.process is not None and self.process.stdout is not None
        for raw in self.process.stdout:
            line = raw.decode(errors="replace").rstrip()
            sys.stdout.write(f"[{self.name:<7}] {line}\n")
            sys.stdout.flush()

    def signal_group(self, signum: int) -> None:
        """Signal the child's whole process group."""
        if self.process is not None and self.process.poll() is None:
            try:
                os.killpg(self.process.pid, signum)
            except ProcessLookupError:
                pass


def port_of(url: str, default: int) -> int:
    """The port in a base URL."""
    return urlsplit(url).port or default


def settings_env(settings: Settings, var_dir: Path) -> dict[str, str]:
    """The environment every child needs so that all three agree on ports and stores."""
    env = {
        "DATABASE_URL": settings.database_url,
        "PORT": str(settings.port),
        "HOST": settings.host,
        "ENGINE_URL": settings.engine_url,
        "ACTIONS_URL": settings.actions_url,
        "SECRET_KEY": settings.secret_key,
        "COACH_VAR_DIR": str(var_dir),
        "REDELIVERY_INTERVAL": str(settings.redelivery_interval),
        # Empty when unset, so a token in the caller's environment cannot switch it on.
        "TELEGRAM_BOT_TOKEN": settings.telegram_bot_token or "",
        "TELEGRAM_WEBHOOK_URL": settings.telegram_webhook_url or "",
        "TELEGRAM_WEBHOOK_SECRET": settings.telegram_webhook_secret or "",
        "TELEGRAM_API_BASE_URL": settings.telegram_api_base_url or "",
        "TELEGRAM_API_FILE_URL": settings.telegram_api_file_url or "",
    }
    if settings.redis_url:
        env["REDIS_URL"] = settings.redis_url
    return env


@dataclass(frozen=True)
class Topology:
    """How many of each process to run. One of each is the single-node default."""

    engines: int = 1
    gateways: int = 1

    @property
    def scaled(self) -> bool:
        return self.engines > 1 or self.gateways > 1


def engine_urls(settings: Settings, engines: int) -> list[str]:
    """The engine replicas' addresses: consecutive ports from `ENGINE_URL`'s."""
    first = port_of(settings.engine_urls[0], 5005)
    return [f"http://127.0.0.1:{first + i}" for i in range(engines)]


def scale_problem(settings: Settings, topology: Topology) -> str | None:
    """Why this topology cannot run with these settings, or None if it can."""
    if not topology.scaled:
        return None
    if not settings.database_url.startswith("postgresql"):
        return "several engines or gateways need DATABASE_URL to point at PostgreSQL"
    if not settings.redis_url:
        return "several engines or gateways need REDIS_URL (Redis lock store, shared state)"
    return None


# The engine's TensorFlow thread pools, read by Rasa at start-up. Its models are small and
# it works on one turn at a time on one event loop, so extra threads only contend for the
# cores the action server and gateway need (figures: benchmarks/load.py, docs/scaling.md).
# A value already in the environment wins.
ENGINE_TUNING = {"TF_INTER_OP_PARALLELISM_THREADS": "1", "TF_INTRA_OP_PARALLELISM_THREADS": "1"}


def engine_tuning() -> dict[str, str]:
    """The engine's thread settings: ENGINE_TUNING unless the environment sets them."""
    return {name: os.environ.get(name, value) for name, value in ENGINE_TUNING.items()}


def children(
    settings: Settings, model: Path, var_dir: Path = VAR_DIR, topology: Topology = Topology()
) -> list[Child]:
    """The processes of the service: engine(s), the action server and gateway(s).

    Gateways share one port (SO_REUSEPORT, so the kernel spreads connections across them)
    and route each sender to one engine by a hash of the sender id (`bot.engine_routing`).
    """
    endpoints = write_endpoints(
        var_dir / "endpoints.yml",
        database_url=settings.database_url,
        actions_url=settings.actions_url,
        redis_url=settings.redis_url,
    )
    engine_logging = write_engine_logging(var_dir / "engine-logging.yml")  # no message text
    rasa_python = ROOT / ".venv-rasa" / "bin" / "python"
    actions_port = port_of(settings.actions_url, 5055)
    urls = engine_urls(settings, topology.engines)
    shared = {**settings_env(settings, var_dir), "ENGINE_URL": ",".join(urls)}
    quiet_tf = {
        **shared,
        "TF_CPP_MIN_LOG_LEVEL": "2",
        "PYTHONWARNINGS": "ignore",
        **engine_tuning(),
    }
    engines = [
        Child(
            "engine" if topology.engines == 1 else f"engine{i + 1}",
            [
                str(rasa_python),
                "-m",
                "engine.serve",  # `rasa`, with two fixes to its turn path (engine/serve.py)
                "run",
                "--model",
                str(model),
                "--endpoints",
                str(endpoints),
                "--credentials",
                str(ROOT / "credentials.yml"),
                "--logging-config-file",
                str(engine_logging),
                "--interface",
                "127.0.0.1",
                "--port",
                str(port_of(url, 5005)),
            ],
            env=quiet_tf,
        )
        for i, url in enumerate(urls)
    ]
    actions = Child(
        "actions",
        [sys.executable, "-m", "rasa_sdk", "--actions", "actions", "--port", str(actions_port)],
        env={**shared, "PYTHONWARNINGS": "ignore"},
    )
    reuse = {"GATEWAY_REUSE_PORT": "1"} if topology.gateways > 1 else {}
    gateways = [
        Child(
            "gateway" if topology.gateways == 1 else f"gateway{i + 1}",
            [sys.executable, "-m", "bot.cli", "gateway"],
            env={**shared, **reuse, "TELEGRAM_POLL": "1" if i == 0 else "0"},
        )
        for i in range(topology.gateways)
    ]
    return [*engines, actions, *gateways]


def run_all(settings: Settings, model: Path, topology: Topology = Topology()) -> int:
    """Run until Ctrl-C or SIGTERM, then stop every child. Returns an exit code.

    Single node: a child that exits stops the whole service (exit code 1), so a broken
    start is loud. Several replicas: a replica that exits is started again after a pause,
    while the others carry its conversations.
    """
    procs = children(settings, model, topology=topology)
    stopping = threading.Event()

    def on_signal(_signum: int, _frame: object) -> None:
        stopping.set()

    signal.signal(signal.SIGINT, on_signal)
    signal.signal(signal.SIGTERM, on_signal)
    for child in procs:
        child.start()
    print(f"[coach  ] web widget on http://{settings.host}:{settings.port}  (Ctrl-C stops all)")
    exit_code = 0
    restart_at: dict[str, float] = {}
    while not stopping.wait(0.5):
        dead = [c for c in procs if c.process is not None and c.process.poll() is not None]
        if dead and not topology.scaled:
            print(f"[coach  ] {dead[0].name} exited with {dead[0].process.returncode}; stopping")  # type: ignore[union-attr]
            exit_code = 1
            break
        now = time.monotonic()
        for child in dead:
            if child.name not in restart_at:
                print(f"[coach  ] {child.name} exited; starting it again in {RESTART_PAUSE:.0f} s")
                restart_at[child.name] = now + RESTART_PAUSE
            elif now >= restart_at[child.name]:
                del restart_at[child.name]
                child.start()
    stop_all(procs)
    return exit_code


def stop_all(procs: list[Child]) -> None:
    """SIGTERM every group, wait, then SIGKILL whatever is left."""
    for child in procs:
        child.signal_group(signal.SIGTERM)
    deadline = time.monotonic() + STOP_GRACE_SECONDS
    for child in procs:
        if child.process is None:
            continue
        try:
            child.process.wait(timeout=max(0.1, deadline - time.monotonic()))
        except subprocess.TimeoutExpired:
            child.signal_group(signal.SIGKILL)
            child.process.wait()
    print("[coach  ] stopped")
