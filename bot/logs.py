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


class WithoutExceptionDetail(logging.Filter):
    """Keep a record's message (the event name) but drop its traceback and exception text,
    naming only the exception's type. Rasa logs a failed custom action with a traceback whose
    chained error holds the action server's answer: the whole request, message text included.
    Used by the engine's logging config (`bot.endpoints.ENGINE_LOGGING`), the action server
    and the gateway (`withhold_exception_detail`): an exception there, a database error
    naming the failing row say, can quote the message being handled.
    """

    def filter(self, record: logging.LogRecord) -> bool:
        if record.exc_info:
            error = record.exc_info[1]
            name = type(error).__name__ if error is not None else "error"
            record.msg = f"{record.getMessage()} ({name}; details withheld: may hold user text)"
            record.args = ()
            record.exc_info = None
            record.exc_text = None
        return True


# The loggers in the gateway process that record exceptions raised while a message, a page
# or a Telegram update is handled: aiohttp's own (an error past the gateway's middleware),
# the gateway's (every unhandled error), the Telegram channel's and the scheduler's.
GATEWAY_EXCEPTION_LOGGERS = (
    "aiohttp.server",
    "aiohttp.web",
    "bot.gateway",
    "bot.channels.telegram.handlers",
    "bot.channels.telegram.runtime",
    "bot.scheduling.scheduler",
    "telegram.ext.Application",
    "telegram.ext.Updater",
)
_WITHHELD = WithoutExceptionDetail()


def withhold_exception_detail(names: tuple[str, ...] = GATEWAY_EXCEPTION_LOGGERS) -> None:
    """Put `WithoutExceptionDetail` on these loggers (once each, however often called)."""
    for name in names:
        logging.getLogger(name).addFilter(_WITHHELD)


def pseudonym(sender_id: str) -> str:
    """A short stable hash of a sender id, to correlate log lines without naming anyone."""
    return hashlib.sha256(sender_id.encode()).hexdigest()[:10]
