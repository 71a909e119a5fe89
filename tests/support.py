"""Small clients the tests use to talk to a live gateway like the widget does."""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import json
import shutil
import subprocess
import threading
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from aiohttp import web
from aiohttp.test_utils import TestClient as _TestClient
from playwright.sync_api import ViewportSize

from bot.config import Settings
from bot.stack import free_port

# An aiohttp test client for the gateway app, and the key its test settings sign tokens with.
TestClient = _TestClient[web.Request, web.Application]
SECRET = "s" * 48

# Headless Debian Chromium as the browser tests launch it (the `browser` fixture).
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
PHONE_WIDTH = 360
PHONE: ViewportSize = {"width": PHONE_WIDTH, "height": 740}
DESKTOP_WIDTH = 1280
DESKTOP: ViewportSize = {"width": DESKTOP_WIDTH, "height": 800}


def gateway_settings(database_url: str, **options: Any) -> Settings:
    """The gateway's settings for a test on `database_url`: nobody listens at the engine's
    and action server's ports, no Redis, no Telegram; `options` sets any other field."""
    return dataclasses.replace(
        Settings(
            database_url=database_url,
            port=0,
            host="127.0.0.1",
            engine_url=f"http://127.0.0.1:{free_port()}",
            actions_url=f"http://127.0.0.1:{free_port()}",
            secret_key=SECRET,
            redis_url=None,
            telegram_bot_token=None,
            allowed_origins=(),
            redelivery_interval=3600,
        ),
        **options,
    )


def http_json(
    method: str, url: str, body: Any = None, token: str | None = None, raw: bytes | None = None
) -> tuple[int, Any]:
    """Send JSON (or raw bytes) and return (status, decoded JSON body)."""
    data = raw if raw is not None else (json.dumps(body).encode() if body is not None else None)
    request = urllib.request.Request(url, data=data, method=method)  # noqa: S310 - local URL
    request.add_header("Content-Type", "application/json")
    if token:
        request.add_header("Authorization", f"Bearer {token}")
    try:
        with urllib.request.urlopen(request, timeout=60) as response:  # noqa: S310
            return response.status, json.loads(response.read() or b"null")
    except urllib.error.HTTPError as exc:
        return exc.code, json.loads(exc.read() or b"null")


@dataclass
class WebChat:
    """One web conversation through the gateway's HTTP API."""

    gateway_url: str
    language: str = "en"
    token: str = ""
    transcript: list[tuple[str, list[dict[str, Any]]]] = field(default_factory=list)

    def start(self, invite: str | None = None) -> WebChat:
        """POST /api/sessions and keep the token."""
        body: dict[str, Any] = {"language": self.language}
        if invite:
            body["invite"] = invite
        status, answer = http_json("POST", f"{self.gateway_url}/api/sessions", body)
        assert status == 201, answer
        self.token = answer["token"]
        return self

    def say(self, text: str) -> list[dict[str, Any]]:
        """One turn; returns the bot's messages."""
        status, answer = http_json(
            "POST", f"{self.gateway_url}/api/messages", {"text": text}, token=self.token
        )
        assert status == 200, answer
        messages: list[dict[str, Any]] = answer["messages"]
        self.transcript.append((text, messages))
        return messages

    @property
    def sender_id(self) -> str:
        """The server-chosen sender id inside the token."""
        return self.token.rpartition(".")[0]


class Clock:
    """A clock the test moves: the gateway's web sessions and tickets read it (`CLOCK`)."""

    def __init__(self, now: float) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now


async def clocked_client(aiohttp_client: Any, settings: Settings, clock: Clock) -> TestClient:
    """The real gateway app, on the test's clock."""
    from bot.app_keys import CLOCK
    from bot.gateway import init_app

    app = init_app(settings)
    tick: Callable[[], float] = clock
    app[CLOCK] = tick
    result: TestClient = await aiohttp_client(app)
    return result


async def socket_ticket(http: Any, url: str, token: str) -> str:
    """A single-use WebSocket ticket, as the widget asks for one: `http` is a TestClient
    (`url` a path) or an aiohttp ClientSession (`url` in full)."""
    response = await http.post(url, headers={"Authorization": f"Bearer {token}"})
    assert response.status == 201, response.status
    ticket: str = (await response.json())["ticket"]
    return ticket


async def auth_frame(http: Any, url: str, token: str) -> dict[str, str]:
    """The socket's first frame: a fresh ticket for `token`."""
    return {"type": "auth", "ticket": await socket_ticket(http, url, token)}


def texts(messages: list[dict[str, Any]]) -> str:
    """All message texts of a reply, joined, for assertions."""
    return "\n".join(m["text"] for m in messages)


def payloads(messages: list[dict[str, Any]]) -> list[str]:
    """All button payloads of a reply."""
    return [b["payload"] for m in messages for b in m.get("buttons", [])]


def domain_texts(response: str, language: str) -> set[str]:
    """Every variant text of a domain response in one language (the unconditioned one is English)."""
    import functools

    import yaml

    from bot.config import ROOT

    @functools.cache
    def responses() -> dict[str, list[dict[str, Any]]]:
        with (ROOT / "domain.yml").open(encoding="utf-8") as handle:
            loaded: dict[str, list[dict[str, Any]]] = yaml.safe_load(handle)["responses"]
            return loaded

    def variant_language(variant: dict[str, Any]) -> str:
        for condition in variant.get("condition") or []:
            if condition.get("name") == "language":
                return str(condition["value"])
        return "en"

    return {
        " ".join(v["text"].split())
        for v in responses()[response]
        if variant_language(v) == language
    }


def said(messages: list[dict[str, Any]], response: str, language: str = "en") -> bool:
    """Whether the reply contains the given domain response in the given language."""
    wanted = domain_texts(response, language)
    return any(" ".join(m["text"].split()) in wanted for m in messages)


def rows_mentioning(database_url: str, *needles: str) -> list[str]:
    """Every "table: row" in the whole database (Rasa's `events` included) holding a needle."""
    from sqlalchemy import MetaData

    from bot.store.db import get_engine

    engine = get_engine(database_url)
    metadata = MetaData()
    metadata.reflect(engine)
    found: list[str] = []
    with engine.connect() as connection:
        for table in metadata.sorted_tables:
            for row in connection.execute(table.select()):
                flat = " ".join(str(value) for value in row)
                if any(needle in flat for needle in needles):
                    found.append(f"{table.name}: {flat[:200]}")
    return found


# --- private PostgreSQL and Redis that a fault test may stop and start (tests/integration/
# test_faults.py): never the machine's shared servers, which other tests are using.


def _postgres_bin() -> Path | None:
    found = sorted(Path("/usr/lib/postgresql").glob("*/bin/pg_ctl"))
    return found[-1].parent if found else None


@dataclass
class PrivatePostgres:
    """A PostgreSQL cluster of its own in a fresh directory, on a free port."""

    root: Path
    port: int
    bin_dir: Path
    run_as: list[str] = field(default_factory=list)

    @classmethod
    def create(cls, port: int) -> PrivatePostgres | None:
        """initdb a new cluster (as the postgres user when run as root); None if not installed."""
        import os
        import tempfile

        bin_dir = _postgres_bin()
        if bin_dir is None:
            return None
        root = Path(tempfile.mkdtemp(prefix="coach-faults-pg-"))
        run_as: list[str] = []
        if os.geteuid() == 0:
            run_as = ["runuser", "-u", "postgres", "--"]
            shutil.chown(root, "postgres")
        cluster = cls(root, port, bin_dir, run_as)
        cluster._run("initdb", "-D", str(root / "data"), "-A", "trust", "-U", "postgres")
        return cluster

    def _run(self, tool: str, *args: str) -> None:
        subprocess.run(
            [*self.run_as, str(self.bin_dir / tool), *args],
            check=True,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )

    @property
    def url(self) -> str:
        """The cluster's own `postgres` database."""
        return f"postgresql://postgres@127.0.0.1:{self.port}/postgres"

    def start(self) -> None:
        """Start and wait until it accepts connections."""
        options = f"-p {self.port} -k {self.root} -c listen_addresses=127.0.0.1"
        self._run(
            "pg_ctl", "-D", str(self.root / "data"), "-o", options, "-l",
            str(self.root / "server.log"), "-w", "start",
        )  # fmt: skip

    def stop(self) -> None:
        """Stop it at once (connections are cut), as a crash or a restart would."""
        self._run("pg_ctl", "-D", str(self.root / "data"), "-m", "fast", "-w", "stop")

    def remove(self) -> None:
        """Stop it if running and delete its files."""
        subprocess.run(
            [*self.run_as, str(self.bin_dir / "pg_ctl"), "-D", str(self.root / "data"),
             "-m", "immediate", "stop"],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )  # fmt: skip
        shutil.rmtree(self.root, ignore_errors=True)


@dataclass
class PrivateRedis:
    """A Redis server of its own on a free port, keeping nothing on disk."""

    port: int
    process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> None:
        """Start and wait until it answers PING."""
        import socket
        import time

        self.process = subprocess.Popen(
            ["redis-server", "--port", str(self.port), "--bind", "127.0.0.1", "--save", "",
             "--appendonly", "no"],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )  # fmt: skip
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=1) as sock:
                    sock.sendall(b"PING\r\n")
                    if sock.recv(16).startswith(b"+PONG"):
                        return
            except OSError:
                pass
            time.sleep(0.1)
        raise TimeoutError("private redis did not start")

    def stop(self) -> None:
        """Stop it; everything it held is gone, as after a restart without persistence."""
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            self.process.wait(timeout=20)


def tracker_events(database_url: str, sender_id: str) -> list[tuple[str, dict[str, Any]]]:
    """Rasa's tracker events for one sender, oldest first, as (type_name, data)."""
    from sqlalchemy import text as sql

    from bot.store.db import get_engine

    with get_engine(database_url).connect() as connection:
        rows = connection.execute(
            sql("SELECT type_name, data FROM events WHERE sender_id = :s ORDER BY id"),
            {"s": sender_id},
        ).all()
    return [(kind, json.loads(data)) for kind, data in rows]


@contextlib.contextmanager
def served_in_thread(app: web.Application) -> Iterator[str]:
    """A real aiohttp app served on a free port from its own thread; yields its base URL."""
    loop = asyncio.new_event_loop()
    runner = web.AppRunner(app)
    port = free_port()
    started = threading.Event()

    def serve() -> None:
        asyncio.set_event_loop(loop)
        loop.run_until_complete(runner.setup())
        loop.run_until_complete(web.TCPSite(runner, "127.0.0.1", port).start())
        started.set()
        loop.run_forever()

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    assert started.wait(30)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        asyncio.run_coroutine_threadsafe(runner.cleanup(), loop).result(30)
        loop.call_soon_threadsafe(loop.stop)
        thread.join(30)
