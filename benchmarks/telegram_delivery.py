"""Telegram delivery time: from an update reaching the Bot API server to the bot's first
`sendMessage` in answer, through the real gateway process (polling), engine and action server.

Simulated chats, each its own thread, agree to the privacy notice and then type a short
round of everyday messages, one after the other, waiting for each answer as a person would.
It runs once with 1 chat and once with `--chats` at the same time, and prints p50/p95 per
message, messages lost, answers counted, and how many cores each process kept busy.

    .venv/bin/python -m benchmarks.telegram_delivery
    .venv/bin/python -m benchmarks.telegram_delivery --chats 20 --rounds 3

Nothing here is a test: it prints figures. Everything stays on 127.0.0.1.
"""

from __future__ import annotations

import argparse
import os
import statistics
import tempfile
import threading
import time
from pathlib import Path

from benchmarks.load import Watch
from bot.config import ROOT
from bot.stack import LocalStack
from tests.telegram.bot_api_server import ThreadedBotApi, stack_on
from tests.telegram.phone import Phone

TOKEN = "7005550000:AAB-co-create-coach-benchmark-000000"  # noqa: S105 - the stand-in's
ROUND = ("help", "what can you do", "my goals", "thanks")


def one_chat(api: ThreadedBotApi, rounds: int, latencies: list[float], lost: list[str]) -> None:
    """One person: consent, then `rounds` of the everyday messages."""
    phone = Phone(api)
    phone.type("/start")
    phone.tap("Yes, I agree")
    for _ in range(rounds):
        for words in ROUND:
            update = phone.message(words)
            started = time.monotonic()
            try:
                phone.deliver(update)
            except TimeoutError:
                lost.append(words)
                continue
            first = next(
                c.at for c in api.server.sent("sendMessage", phone.user_id) if c.at >= started
            )
            latencies.append((first - started) * 1000)


def run(api: ThreadedBotApi, stack: LocalStack, chats: int, rounds: int) -> None:
    watch = Watch(stack.procs)
    cpu_before = watch.cpu()
    latencies: list[float] = []
    lost: list[str] = []
    threads = [
        threading.Thread(target=one_chat, args=(api, rounds, latencies, lost)) for _ in range(chats)
    ]
    started = time.monotonic()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    took = time.monotonic() - started
    cuts = statistics.quantiles(latencies, n=20) if len(latencies) > 1 else latencies * 19
    print(
        f"{chats:>3} chat(s): {len(latencies)} answers in {took:.1f} s, "
        f"update to sendMessage p50 {statistics.median(latencies):.0f} ms, "
        f"p95 {cuts[18]:.0f} ms, messages lost {len(lost)}",
        flush=True,
    )
    cpu = {name: seconds - cpu_before.get(name, 0.0) for name, seconds in watch.cpu().items()}
    print(
        "      cores busy: "
        + ", ".join(f"{name} {seconds / took:.2f}" for name, seconds in sorted(cpu.items()))
        + f" (of {os.cpu_count()})",
        flush=True,
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--chats", type=int, default=20)
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--model", type=Path, default=ROOT / "models" / "coach.tar.gz")
    args = parser.parse_args()
    api = ThreadedBotApi(TOKEN)
    with tempfile.TemporaryDirectory(prefix="telegram-bench-") as tmp:
        stack = stack_on(api, args.model, Path(tmp))
        try:
            stack.start()
            run(api, stack, 1, args.rounds)
            run(api, stack, args.chats, args.rounds)
        finally:
            stack.stop()
            api.close()


if __name__ == "__main__":
    main()
