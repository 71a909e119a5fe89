"""Load benchmark: simulated patients through the full stack, against stock Rasa, same run.

Each simulated patient opens a web session (`/api/sessions`) and talks through one whole
realistic journey on `/api/messages`: greeting and consent, help, the inhaler teach-back
module by name (three chunks explained back in their own words, one "ok" that is not
counted), an action plan with its confidence rating and check-in days, a check-in answer,
"my goals", and an Ask 3 session; then a new patient starts. Every reply is checked against
the response the script expects (from domain.yml and the content YAML), so a run that goes
off the rails is counted, not hidden.

One run measures, in order: one patient alone, then `--users` patients at once, each for a
fixed time after a warm-up, through the full stack (gateway, engine, action server,
database) and then the same journeys straight to a stock `rasa run --enable-api` of the same
model over its REST channel (/webhooks/rest/webhook), with the same action server and
tracker store, started by this script without the stack's tuning. It prints per-turn
p50/p95/p99, throughput, errors, messages lost or handled twice (each patient's tracker in
the database must hold exactly the messages sent, in order), each process's RSS and CPU
time, and the ratios.

    .venv/bin/python -m benchmarks.load                       # single node on SQLite
    .venv/bin/python -m benchmarks.load --engines 2           # PostgreSQL + Redis, 2 engines
    .venv/bin/python -m benchmarks.load --users 20 --seconds 30 --no-stock

Nothing here is a test: it prints figures. It sends traffic to 127.0.0.1 only and stops by
itself (every pass is bounded in time).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import secrets
import socket
import statistics
import sys
import tarfile
import tempfile
import time
import urllib.error
import urllib.request
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import aiohttp

from bot.config import ROOT, Settings
from bot.content.system import system_message
from bot.content.teachback import find_module, load_dialogue
from bot.decisions import content as ask3_content
from bot.goals import replies as goal_replies
from bot.stack import free_port, get_json
from bot.supervisor import Child, Topology, children

QUIET = {"TF_CPP_MIN_LOG_LEVEL": "2", "PYTHONWARNINGS": "ignore"}
# Gateway replies that mean the turn did not go through as asked.
TROUBLE_KEYS = ("engine_unavailable", "rate_limited", "delayed_replies")


# --- the scripted journey -------------------------------------------------------------


def _norm(text: str) -> str:
    return " ".join(text.split())


@dataclass(frozen=True)
class Step:
    """One thing the patient types and what the coach should say back (any one of)."""

    text: str
    expect: tuple[str, ...] = ()  # normalised texts; a reply matches if one message has one
    prefix: bool = False  # a message starting with an expected text is enough

    def matches(self, messages: list[dict[str, Any]]) -> bool:
        said = [_norm(str(m.get("text") or "")) for m in messages]
        if not any(said):
            return False
        if not self.expect:
            return True
        for text in said:
            for wanted in self.expect:
                if text == wanted or (self.prefix and text.startswith(wanted)):
                    return True
        return False


def model_responses(model: Path) -> dict[str, list[dict[str, Any]]]:
    """The responses in the trained model's own domain (the working tree's may be newer)."""
    with tarfile.open(model) as archive:
        member = next(m for m in archive.getmembers() if m.name.lstrip("/") == "metadata.json")
        handle = archive.extractfile(member)
        assert handle is not None
        responses: dict[str, list[dict[str, Any]]] = json.load(handle)["domain"]["responses"]
        return responses


def journey(model: Path) -> list[Step]:
    """A new patient's first session: consent, help, teach-back, a plan, a check-in, Ask 3."""
    responses = model_responses(model)

    def _domain_texts(response: str) -> tuple[str, ...]:
        return tuple(
            _norm(v["text"])
            for v in responses[response]
            if not any(c.get("name") == "language" for c in v.get("condition") or [])
        )

    module = find_module("inhaler")
    assert module is not None, "the inhaler teach-back module is missing"
    dialogue = load_dialogue()

    def tb(key: str) -> tuple[str, ...]:
        return tuple(_norm(v.in_language("en")) for v in dialogue.texts[key])

    def chunk(i: int) -> tuple[str, ...]:
        return (_norm(module.chunks[i].text.en),)

    def goal(key: str, **values: Any) -> tuple[str, ...]:
        return (_norm(goal_replies.reply(key, "en", **values)["text"]),)

    def ask3(key: str) -> tuple[str, ...]:
        return (_norm(ask3_content.text(key, "en")),)

    plan = "walk 10 minutes after lunch"
    return [
        Step("hello", _domain_texts("utter_privacy_notice")),
        Step("/affirm", _domain_texts("utter_help")),
        Step("what can you help me with", _domain_texts("utter_help")),
        Step("teach me about my inhaler", tb("keep_text_question")),
        Step("no thanks", chunk(0)),
        Step("ok, I understand", tb("own_words")),
        Step(
            "Shake it well, then breathe out fully away from it before it goes in my mouth",
            chunk(1),
        ),
        Step(
            "Lips round the mouthpiece, breathe in slowly and press it at the same time, "
            "then hold my breath for ten seconds",
            chunk(2),
        ),
        Step(
            "wait half a minute and shake it again before the next puff, and rinse my mouth "
            "with water and spit it out after a steroid one",
            tb("praise") + tb("summary") + tb("move_on_last"),
            prefix=True,
        ),
        Step("/start_action_plan", goal("ask_plan_activity")),
        Step("walk", goal("ask_plan_amount")),
        Step("10 minutes", goal("ask_plan_timing")),
        Step("after lunch", goal("ask_plan_days")),
        Step("3", goal("ask_plan_confidence")),
        Step("8", goal("ask_checkin_days")),
        Step("weekdays", goal("ask_checkin_time")),
        Step("12:30"),
        Step("done", goal("checkin_done", plan=plan)),
        Step("my goals", goal("plans_header")),
        Step("/start_ask3", ask3("ask_decision")),
        Step("knee operation or physio", ask3("ask_options")),
        Step("/deny", ask3("ask_date")),
        Step("tomorrow", ask3("ask_q_options")),
        Step("/affirm", ask3("ask_q_benefits")),
        Step("/affirm", ask3("ask_q_likelihood")),
        Step("/affirm", ask3("ask_own")),
        Step("/deny", ask3("ask_matters")),
        Step("/deny", ask3("summary_title"), prefix=True),
        Step("bye", _domain_texts("utter_goodbye")),
    ]


# --- measuring ------------------------------------------------------------------------


@dataclass
class Pass:
    """Everything one timed pass measured."""

    label: str
    users: int
    latencies: list[float] = field(default_factory=list)
    errors: int = 0  # no 200, a timeout, or an empty reply
    trouble: int = 0  # "kept your message", "slow down", held replies
    off_script: int = 0  # a reply that is not the one the journey expects
    journeys: int = 0  # whole journeys finished
    seconds: float = 0.0
    sent: dict[str, list[str]] = field(default_factory=dict)  # sender -> texts answered 200
    first_off: dict[int, int] = field(default_factory=dict)  # step index -> count
    load_before: str = ""
    cpu: dict[str, float] = field(default_factory=dict)  # process -> CPU seconds in the pass
    lost: int = -1
    duplicated: int = -1
    out_of_order: int = -1

    @property
    def turns(self) -> int:
        return len(self.latencies)

    @property
    def rate(self) -> float:
        return self.turns / self.seconds if self.seconds else 0.0

    def pct(self, q: float) -> float:
        ordered = sorted(self.latencies)
        if not ordered:
            return float("nan")
        return ordered[min(len(ordered) - 1, int(len(ordered) * q))] * 1000

    @property
    def p50(self) -> float:
        return statistics.median(self.latencies) * 1000 if self.latencies else float("nan")


class Target:
    """How to talk to one path: the gateway's web API or Rasa's REST channel."""

    def __init__(self, kind: str, base: str) -> None:
        self.kind = kind
        self.base = base

    async def open(self, http: aiohttp.ClientSession) -> tuple[str, dict[str, str]]:
        """A new patient: (sender id, headers)."""
        if self.kind == "rest":
            return f"load-{uuid.uuid4().hex}", {}
        async with http.post(f"{self.base}/api/sessions", json={"language": "en"}) as response:
            token = (await response.json())["token"]
        return token.rpartition(".")[0], {"Authorization": f"Bearer {token}"}

    async def turn(
        self, http: aiohttp.ClientSession, sender: str, headers: dict[str, str], text: str
    ) -> tuple[int, list[dict[str, Any]]]:
        """One message; (HTTP status, the coach's messages)."""
        if self.kind == "rest":
            body: dict[str, Any] = {"sender": sender, "message": text}
            async with http.post(f"{self.base}/webhooks/rest/webhook", json=body) as response:
                raw = await response.json()
                return response.status, raw if isinstance(raw, list) else []
        async with http.post(
            f"{self.base}/api/messages",
            json={"text": text, "id": secrets.token_hex(6)},
            headers=headers,
        ) as response:
            answer = await response.json()
            return response.status, list(answer.get("messages") or [])


async def patient(
    http: aiohttp.ClientSession,
    target: Target,
    steps: list[Step],
    trouble_texts: set[str],
    run: Pass | None,
    until: float,
) -> None:
    """Journeys one after another until time is up; a turn under way is finished."""
    while time.monotonic() < until:
        try:
            sender, headers = await target.open(http)
        except (aiohttp.ClientError, TimeoutError, KeyError, ValueError):
            if run is not None:
                run.errors += 1
            await asyncio.sleep(0.5)
            continue
        answered: list[str] = []
        if run is not None:
            run.sent[sender] = answered
        finished = True
        for index, step in enumerate(steps):
            if time.monotonic() >= until:
                finished = False
                break
            started = time.perf_counter()
            try:
                status, messages = await target.turn(http, sender, headers, step.text)
            except (aiohttp.ClientError, TimeoutError, ValueError):
                status, messages = 0, []
            elapsed = time.perf_counter() - started
            if run is None:
                continue
            if status != 200 or not messages:
                run.errors += 1
                finished = False
                break  # the journey cannot go on sensibly
            answered.append(step.text)
            run.latencies.append(elapsed)
            if any(_norm(str(m.get("text") or "")) in trouble_texts for m in messages):
                run.trouble += 1
            elif not step.matches(messages):
                run.off_script += 1
                run.first_off[index] = run.first_off.get(index, 0) + 1
        if run is not None and finished:
            run.journeys += 1


async def timed_pass(
    target: Target, steps: list[Step], users: int, seconds: float, warmup: float, label: str
) -> Pass:
    """Warm up (not counted), then `users` concurrent patients for `seconds`."""
    trouble_texts = {_norm(system_message(k, "en")) for k in TROUBLE_KEYS}
    timeout = aiohttp.ClientTimeout(total=60)
    connector = aiohttp.TCPConnector(limit=users + 8)
    run = Pass(label, users)
    async with aiohttp.ClientSession(timeout=timeout, connector=connector) as http:
        if warmup > 0:
            until = time.monotonic() + warmup
            await asyncio.gather(
                *(patient(http, target, steps, trouble_texts, None, until) for _ in range(users))
            )
        run.load_before = loadavg()
        started = time.monotonic()
        until = started + seconds
        await asyncio.gather(
            *(patient(http, target, steps, trouble_texts, run, until) for _ in range(users))
        )
        run.seconds = time.monotonic() - started
    return run


# --- processes: RSS and CPU -----------------------------------------------------------


def loadavg() -> str:
    return Path("/proc/loadavg").read_text().strip()


def group_pids(leader: int) -> list[int]:
    """Every live process in the leader's process group (a child's own children too)."""
    pids = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        fields = stat.rsplit(")", 1)[1].split()
        if int(fields[2]) == leader:  # pgrp
            pids.append(int(entry.name))
    return pids


def rss_mb(pid: int) -> float:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return 0.0


def cpu_seconds(pid: int) -> float:
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


class Watch:
    """Samples each named process group's RSS every second while a pass runs."""

    def __init__(self, procs: dict[str, Child]) -> None:
        self.procs = procs
        self.peak: dict[str, float] = {}
        self.peak_total = 0.0
        self._task: asyncio.Task[None] | None = None

    def leaders(self) -> dict[str, int]:
        return {
            n: c.process.pid
            for n, c in self.procs.items()
            if c.process is not None and c.process.poll() is None
        }

    def rss(self) -> dict[str, float]:
        return {n: sum(rss_mb(p) for p in group_pids(pid)) for n, pid in self.leaders().items()}

    def cpu(self) -> dict[str, float]:
        return {
            n: sum(cpu_seconds(p) for p in group_pids(pid)) for n, pid in self.leaders().items()
        }

    def sample(self) -> None:
        now = self.rss()
        for name, mb in now.items():
            self.peak[name] = max(self.peak.get(name, 0.0), mb)
        self.peak_total = max(self.peak_total, sum(now.values()))

    async def _loop(self) -> None:
        while True:
            await asyncio.to_thread(self.sample)
            await asyncio.sleep(1.0)

    @contextmanager
    def running(self) -> Iterator[None]:
        self._task = asyncio.get_running_loop().create_task(self._loop())
        try:
            yield
        finally:
            self._task.cancel()


async def measured(
    target: Target,
    steps: list[Step],
    users: int,
    seconds: float,
    warmup: float,
    label: str,
    watch: Watch,
) -> Pass:
    """A timed pass with its processes' CPU time and RSS peaks."""
    before = watch.cpu()
    me_before = time.process_time()
    with watch.running():
        run = await timed_pass(target, steps, users, seconds, warmup, label)
    after = watch.cpu()
    # CPU over the warm-up and the pass together; scaled to the pass below.
    total_span = run.seconds + warmup
    share = run.seconds / total_span if total_span else 1.0
    run.cpu = {n: (after.get(n, 0.0) - before.get(n, 0.0)) * share for n in after}
    run.cpu["load generator"] = (time.process_time() - me_before) * share
    return run


# --- lost and twice-handled messages, from the tracker store --------------------------


def check_trackers(database_url: str, run: Pass) -> None:
    """Each patient's user events in Rasa's tracker store must be exactly what was sent."""
    from sqlalchemy import bindparam, text

    from bot.store.db import get_engine

    senders = list(run.sent)
    found: dict[str, list[str]] = {s: [] for s in senders}
    engine = get_engine(database_url)
    with engine.connect() as connection:
        query = text(
            "SELECT sender_id, data FROM events WHERE type_name = 'user' "
            "AND sender_id IN :senders ORDER BY id"
        ).bindparams(bindparam("senders", expanding=True))
        for i in range(0, len(senders), 500):
            rows = connection.execute(query, {"senders": senders[i : i + 500]})
            for sender, data in rows:
                found[sender].append(str(json.loads(data).get("text") or ""))
    lost = duplicated = disorder = 0
    for sender, sent in run.sent.items():
        got = found[sender]
        for message in set(sent) | set(got):
            want, have = sent.count(message), got.count(message)
            lost += max(0, want - have)
            duplicated += max(0, have - want)
        if got != sent and sorted(got) == sorted(sent):
            disorder += 1
    run.lost, run.duplicated, run.out_of_order = lost, duplicated, disorder


# --- starting the stack and stock Rasa ------------------------------------------------


def consecutive_free_ports(count: int) -> int:
    """The first of `count` consecutive free ports."""
    for _ in range(200):
        first = free_port()
        if all(_port_free(first + i) for i in range(count)):
            return first
    raise RuntimeError("no run of free ports")


def _port_free(port: int) -> bool:
    with socket.socket() as sock:
        try:
            sock.bind(("127.0.0.1", port))
        except OSError:
            return False
        return True


class BenchStack:
    """The service's processes, exactly as `coach run` / `coach up` start them."""

    def __init__(
        self, model: Path, database_url: str, var_dir: Path, topology: Topology, redis: str | None
    ) -> None:
        self.database_url = database_url
        self.var_dir = var_dir
        self.settings = Settings(
            database_url=database_url,
            port=free_port(),
            host="127.0.0.1",
            engine_url=f"http://127.0.0.1:{consecutive_free_ports(topology.engines)}",
            actions_url=f"http://127.0.0.1:{free_port()}",
            secret_key=secrets.token_urlsafe(48),
            redis_url=redis,
            telegram_bot_token=None,
            allowed_origins=(),
            redelivery_interval=1.0,
        )
        self.procs: dict[str, Child] = {}
        for child in children(self.settings, model, var_dir, topology):
            child.log_path = var_dir / "logs" / f"{child.name}.log"
            if child.name.startswith("gateway"):
                # Simulated patients type far faster than people: lift the per-sender and
                # per-address limits (their checks still run on every message).
                child.env["SESSION_RATE_LIMIT"] = "1000000"
                child.env["MESSAGE_RATE_LIMIT"] = "1000000"
            self.procs[child.name] = child

    @property
    def gateway_url(self) -> str:
        return f"http://127.0.0.1:{self.settings.port}"

    @property
    def endpoints(self) -> Path:
        return self.var_dir / "endpoints.yml"

    def start(self) -> None:
        from bot.store import migrate

        migrate.upgrade(self.database_url)
        for child in self.procs.values():
            child.start()

    def healthy(self) -> bool:
        status, _ = get_json(f"{self.gateway_url}/healthz")
        return status == 200

    def check_alive(self) -> None:
        for name, child in self.procs.items():
            if child.process is not None and child.process.poll() is not None:
                raise RuntimeError(f"{name} exited early; see {child.log_path}")

    def stop(self) -> None:
        for child in self.procs.values():
            child.stop()


def stock_rasa(model: Path, endpoints: Path, var_dir: Path) -> tuple[Child, str]:
    """`rasa run --enable-api` of the same model: no tuning, same action server and store."""
    port = free_port()
    child = Child(
        "stock rasa",
        [
            str(ROOT / ".venv-rasa" / "bin" / "rasa"),
            "run",
            "--enable-api",
            "--model",
            str(model),
            "--endpoints",
            str(endpoints),
            "--credentials",
            str(ROOT / "credentials.yml"),
            "--interface",
            "127.0.0.1",
            "--port",
            str(port),
        ],
        env=dict(QUIET),
        log_path=var_dir / "logs" / "stock-rasa.log",
    )
    return child, f"http://127.0.0.1:{port}"


def answers(url: str) -> bool:
    """Whether something answers 200 at `url` (Rasa's root says hello in plain text)."""
    try:
        with urllib.request.urlopen(url, timeout=2) as response:  # noqa: S310 - local URL
            return bool(response.status == 200)
    except (urllib.error.URLError, OSError):
        return False


def wait_until(ready: Callable[[], bool], alive: Callable[[], None], timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if ready():
            return
        alive()
        time.sleep(1.0)
    raise TimeoutError(f"not ready after {timeout:.0f} s")


@contextmanager
def database(args: argparse.Namespace, tmp: Path) -> Iterator[str]:
    """SQLite in a temporary directory, or a fresh PostgreSQL database dropped afterwards."""
    if not args.postgres:
        yield f"sqlite:///{tmp / 'coach.db'}"
        return
    from sqlalchemy import create_engine, text

    from bot.store.db import normalise_url

    name = f"coach_load_{uuid.uuid4().hex[:10]}"
    admin = create_engine(normalise_url(args.postgres_server), isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield f"{args.postgres_server.rpartition('/')[0]}/{name}"
    finally:
        from bot.store.db import get_engine

        get_engine(f"{args.postgres_server.rpartition('/')[0]}/{name}").dispose()
        with admin.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


# --- report ---------------------------------------------------------------------------


def row(run: Pass) -> str:
    return (
        f"{run.label:<26}{run.users:>6}{run.rate:>9.1f}{run.p50:>9.1f}{run.pct(0.95):>9.1f}"
        f"{run.pct(0.99):>9.1f}{run.turns:>8}{run.journeys:>6}{run.errors:>6}{run.trouble:>6}"
        f"{run.off_script:>6}{run.lost:>6}{run.duplicated:>6}"
    )


HEADER = (
    f"{'path':<26}{'users':>6}{'turns/s':>9}{'p50 ms':>9}{'p95 ms':>9}{'p99 ms':>9}"
    f"{'turns':>8}{'jrnys':>6}{'err':>6}{'kept':>6}{'off':>6}{'lost':>6}{'dup':>6}"
)


def print_pass(run: Pass, steps: list[Step]) -> None:
    print(f"  load before: {run.load_before}")
    print("  " + HEADER)
    print("  " + row(run))
    busy = {n: s for n, s in run.cpu.items() if s > 0.005}
    if busy and run.seconds:
        total = sum(v for n, v in busy.items() if n != "load generator")
        print(
            "  CPU s/s: "
            + ", ".join(f"{n} {v / run.seconds:.2f}" for n, v in sorted(busy.items()))
            + f"; service total {total / run.seconds:.2f} cores, "
            f"{run.turns / total if total else 0:.1f} turns per CPU-second"
        )
    for index, count in sorted(run.first_off.items()):
        print(f"  off script at step {index + 1} ({steps[index].text[:30]!r}): {count}")
    sys.stdout.flush()


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--model", default=str(ROOT / "models" / "coach.tar.gz"))
    parser.add_argument("--users", type=int, default=50, help="concurrent patients")
    parser.add_argument("--seconds", type=float, default=60.0, help="concurrent pass length")
    parser.add_argument("--single-seconds", type=float, default=20.0, help="1-patient pass")
    parser.add_argument("--warmup", type=float, default=8.0, help="uncounted, before each pass")
    parser.add_argument("--engines", type=int, default=1)
    parser.add_argument("--gateways", type=int, default=1)
    parser.add_argument("--no-stock", action="store_true", help="skip stock Rasa")
    parser.add_argument("--postgres-server", default="postgresql://127.0.0.1:5432/test")
    parser.add_argument("--redis-url", default="redis://127.0.0.1:6379/7")
    parser.add_argument(
        "--postgres", action="store_true", help="PostgreSQL + Redis even for one engine"
    )
    args = parser.parse_args()
    topology = Topology(args.engines, args.gateways)
    args.postgres = args.postgres or topology.scaled
    model = Path(args.model)
    if not model.exists():
        sys.exit(f"no model at {model}: run `make model` first")
    steps = journey(model)
    print(
        f"load benchmark: {len(steps)} turns per journey, {args.users} concurrent patients for "
        f"{args.seconds:.0f} s and 1 for {args.single_seconds:.0f} s per path; "
        f"{args.engines} engine(s), {args.gateways} gateway(s), "
        f"{'PostgreSQL + Redis' if args.postgres else 'SQLite'}; {os.cpu_count()} CPUs"
    )
    with tempfile.TemporaryDirectory(prefix="coach-load-") as tmp_name:
        tmp = Path(tmp_name)
        with database(args, tmp) as url:
            stack = BenchStack(model, url, tmp, topology, args.redis_url if args.postgres else None)
            stock, stock_url = stock_rasa(model, stack.endpoints, tmp)
            started = time.monotonic()
            runs: list[Pass] = []
            try:
                stack.start()
                if not args.no_stock:
                    stock.start()
                print("starting the stack" + ("" if args.no_stock else " and stock Rasa") + " ...")
                sys.stdout.flush()
                wait_until(stack.healthy, stack.check_alive, 600)
                if not args.no_stock:
                    stock_engine = stock  # bind for the closures below

                    def stock_alive() -> None:
                        if stock_engine.process and stock_engine.process.poll() is not None:
                            raise RuntimeError(f"stock rasa exited; see {stock_engine.log_path}")

                    wait_until(lambda: answers(f"{stock_url}/"), stock_alive, 600)
                print(f"ready after {time.monotonic() - started:.0f} s")
                watch = Watch(stack.procs)
                targets = [("full stack", Target("web", stack.gateway_url), watch)]
                if not args.no_stock:
                    targets.append(
                        ("stock rasa REST", Target("rest", stock_url), Watch({"stock rasa": stock}))
                    )
                for users, seconds in ((1, args.single_seconds), (args.users, args.seconds)):
                    for label, target, watcher in targets:
                        print(f"\n== {label}, {users} patient(s), {seconds:.0f} s")
                        run = asyncio.run(
                            measured(target, steps, users, seconds, args.warmup, label, watcher)
                        )
                        time.sleep(2.0)  # let redelivery, if any, finish before counting
                        check_trackers(url, run)
                        runs.append(run)
                        print_pass(run, steps)
                idle_rss = watch.rss()
                stock_rss = Watch({"stock rasa": stock}).rss() if not args.no_stock else {}
            finally:
                stack.stop()
                stock.stop()
    summary(runs, watch, idle_rss, stock_rss, args)


def summary(
    runs: list[Pass],
    watch: Watch,
    idle_rss: dict[str, float],
    stock_rss: dict[str, float],
    args: argparse.Namespace,
) -> None:
    print("\n================ SUMMARY ================")
    print(f"load average at the end: {loadavg()}")
    print(HEADER)
    for run in runs:
        print(row(run))
    full = {r.users: r for r in runs if r.label == "full stack"}
    stock = {r.users: r for r in runs if r.label == "stock rasa REST"}
    for users, run in full.items():
        if users in stock and stock[users].rate:
            other = stock[users]
            print(
                f"full stack / stock at {users:>2} user(s): throughput "
                f"{run.rate / other.rate:.2f}x, p50 {run.p50 / other.p50:.2f}x, "
                f"p95 {run.pct(0.95) / other.pct(0.95):.2f}x"
            )
    print("RSS MB (peak during the passes / at the end):")
    for name in sorted(watch.peak):
        print(f"  {name:<12}{watch.peak[name]:>8.0f}{idle_rss.get(name, 0.0):>8.0f}")
    print(f"  {'total':<12}{watch.peak_total:>8.0f}{sum(idle_rss.values()):>8.0f}")
    for name, mb in stock_rss.items():
        print(f"  ({name} alone: {mb:.0f} MB at the end)")
    many = full.get(args.users)
    one = full.get(1)
    if many and one:
        bad = many.errors + many.trouble + many.lost + many.duplicated
        print("goals (full stack):")
        print(
            f"  >= 60 turns/s at {args.users} users with p95 <= 500 ms: "
            f"{many.rate:.1f} turns/s, p95 {many.pct(0.95):.0f} ms "
            f"-> {'MET' if many.rate >= 60 and many.pct(0.95) <= 500 else 'NOT MET'}"
        )
        print(
            f"  single-user p50 <= 40 ms: {one.p50:.1f} ms "
            f"-> {'MET' if one.p50 <= 40 else 'NOT MET'}"
        )
        lost = sum(r.lost + r.duplicated for r in full.values())
        print(
            f"  zero lost/duplicated: lost+dup {lost}, errors+kept {bad - many.lost - many.duplicated}"
            f" -> {'MET' if lost == 0 else 'NOT MET'}"
        )
        scaled = args.engines > 1 or args.gateways > 1
        verdict = (
            "n/a, not the single-node default"
            if scaled
            else ("MET" if watch.peak_total <= 2500 else "NOT MET")
        )
        print(f"  single-node RSS <= 2500 MB: peak total {watch.peak_total:.0f} MB -> {verdict}")


if __name__ == "__main__":
    main()
