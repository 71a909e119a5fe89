"""Logging set-up. Logs name processes and events, never message text, names or tokens."""

from __future__ import annotations

import hashlib
import logging
import os


def configure(process: str) -> None:
    """Plain, prefixed log lines so `make run` output says which process spoke."""
    logging.basicConfig(
        level=os.environ.get("LOG_LEVEL", "INFO").upper(),
        format=f"%(asctime)s {process:<8} %(levelname)-7s %(name)s: %(message)s",
    )
    for noisy in ("aiohttp.access",):
        logging.getLogger(noisy).setLevel(logging.WARNING)


def pseudonym(sender_id: str) -> str:
    """A short stable hash of a sender id, to correlate log lines without naming anyone."""
    return hashlib.sha256(sender_id.encode()).hexdigest()[:10]
