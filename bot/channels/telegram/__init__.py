"""The Telegram channel: python-telegram-bot inside the gateway, webhook or polling."""

import os

# Opt in to python-telegram-bot's coming time-period types (`RetryAfter.retry_after` as a
# timedelta) instead of a deprecation warning on every flood-control answer.
os.environ.setdefault("PTB_TIMEDELTA", "true")
