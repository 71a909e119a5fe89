"""Chat turns per second and latency, full stack versus the engine's own REST channel.

Simulated patients run a scripted first conversation (greeting, consent, help, language
switch and back, something out of scope) over and over for a fixed time, at 1 and at 20
concurrent users. The same script is then sent straight to the engine's REST channel, so
the gateway's cost is the ratio between the two.

    .venv/bin/python -m benchmarks.chat_turns            # starts its own stack on SQLite
    .venv/bin/python -m benchmarks.chat_turns --gateway http://127.0.0.1:8080 \
        --engine http://127.0.0.1:5005                     # against a running `make run`
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import tempfile
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path

import aiohttp

SCRIPT = ["hello", "/affirm", "help", "Cymraeg", "English", "what is the weather on mars", "bye"]


@dataclass
class Run:
    """Latencies and errors of one scenario."""

    latencies: list[float] = field(default_factory=list)
    errors: int = 0
    seconds: float = 0.0

    def summary(self) -> tuple[float, float, float]:
        """(turns per second, p50 ms, p95 ms)."""
        ordered = sorted(self.latencies)
        if not ordered:
            return 0.0, 0.0, 0.0
        p95 = ordered[min(len(ordered) - 1, int(len(ordered) * 0.95))]
        return len(ordered) / self.seconds, statistics.median(ordered) * 1000, p95 * 1000


async def gateway_user(http: aiohttp.ClientSession, base: str, run: Run, until: float) -> None:
    """One patient through /api/sessions and /api/messages until time is up."""
    while time.monotonic() < until:
        async with http.post(f"{base}/api/sessions", json={"language": "en"}) as response:
            token = (await response.json())["token"]
        headers = {"Authorization": f"Bearer {token}"}
        for text in SCRIPT:
            if time.monotonic() >= until:
                return
            started = time.perf_counter()
            async with http.post(
                f"{base}/api/messages", json={"text": text}, headers=headers
            ) as response:
                body = await response.json()
            if response.status != 200 or not body.get("messages"):
                run.errors += 1
                continue
            run.latencies.append(time.perf_counter() - started)


async def engine_user(http: aiohttp.ClientSession, base: str, run: Run, until: float) -> None:
    """The same script straight to the engine's REST channel (stock Rasa's path)."""
    while time.monotonic() < until:
        sender = f"bench-{uuid.uuid4().hex}"
        for text in SCRIPT:
            if time.monotonic() >= until:
                return
            started = time.perf_counter()
            async with http.post(
                f"{base}/webhooks/rest/webhook", json={"sender": sender, "message": text}
            ) as response:
                body = await response.json()
            if response.status != 200 or not body:
                run.errors += 1
                continue
            run.latencies.append(time.perf_counter() - started)


async def scenario(kind: str, base: str, users: int, seconds: float) -> Run:
    """`users` concurrent simulated patients for `seconds`."""
    run = Run()
    timeout = aiohttp.ClientTimeout(total=120)
    connector = aiohttp.TCPConnector(limit=users + 4)
    async with aiohttp.ClientSession(timeout=timeout, connector=connector) as http:
        user = gateway_user if kind == "gateway" else engine_user
        started = time.monotonic()
        until = started + seconds
        await asyncio.gather(*(user(http, base, run, until) for _ in range(users)))
        run.seconds = time.monotonic() - started
    return run


async def measure(gateway: str, engine: str, seconds: float) -> None:
    """Print one table of figures for both paths at 1 and 20 users."""
    print(f"{'path':<22}{'users':>6}{'turns/s':>10}{'p50 ms':>10}{'p95 ms':>10}{'errors':>8}")
    figures: dict[tuple[str, int], tuple[float, float, float]] = {}
    for users in (1, 20):
        for kind, base in (("gateway", gateway), ("engine", engine)):
            await scenario(kind, base, users, min(3.0, seconds))  # warm-up, not counted
            run = await scenario(kind, base, users, seconds)
            figures[(kind, users)] = run.summary()
            rate, p50, p95 = figures[(kind, users)]
            label = "full stack (gateway)" if kind == "gateway" else "engine REST direct"
            print(f"{label:<22}{users:>6}{rate:>10.1f}{p50:>10.1f}{p95:>10.1f}{run.errors:>8}")
    for users in (1, 20):
        full, direct = figures[("gateway", users)], figures[("engine", users)]
        if direct[0] and full[0]:
            print(
                f"ratio at {users:>2} users: throughput full/direct {full[0] / direct[0]:.2f}, "
                f"p50 full/direct {full[1] / direct[1]:.2f}"
            )


def main() -> None:
    """Start a stack unless one is given, then measure."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--gateway", help="a running gateway's URL")
    parser.add_argument("--engine", help="the running engine's URL")
    parser.add_argument("--seconds", type=float, default=20.0, help="per scenario")
    parser.add_argument("--model", default="models/coach.tar.gz")
    args = parser.parse_args()
    if args.gateway and args.engine:
        asyncio.run(measure(args.gateway, args.engine, args.seconds))
        return
    from bot.stack import LocalStack

    with tempfile.TemporaryDirectory() as tmp:
        stack = LocalStack(Path(args.model), f"sqlite:///{tmp}/coach.db", Path(tmp))
        print("starting engine, action server and gateway ...", flush=True)
        stack.start()
        try:
            asyncio.run(measure(stack.gateway_url, stack.engine_url, args.seconds))
        finally:
            stack.stop()


if __name__ == "__main__":
    main()
