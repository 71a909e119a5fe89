"""Rasa custom actions for Co-create Coach: thin adapters over `bot.*`, one module per dialogue.

They hold no user-facing text (every reply is a domain response in English and
Welsh) and log no message text or names, only pseudonymised sender ids.
"""

import logging

from bot.logs import WithoutExceptionDetail

# rasa_sdk logs an exception that escapes an action with its traceback, whose text may quote
# the person's words; our actions never let one escape (actions/base.py), but keep it so.
logging.getLogger("rasa_sdk.endpoint").addFilter(WithoutExceptionDetail())
