"""Run the Rasa engine with two fixes to Rasa 3.6's turn path: `python -m engine.serve run …`.

Arguments are exactly `rasa`'s (the supervisor runs `python -m engine.serve run --model …`
in .venv-rasa from the project root). Profiling the engine under load (benchmarks/load.py
with py-spy) showed two costs that do no useful work:

- About a third of the engine's CPU time went on `jsonschema.validate` checking the
  action-response *schema itself* (`check_schema`) on every custom-action call, before
  validating the response. Responses are still validated against the same schema here, by
  a validator built and checked once.
- About a tenth went on opening a new HTTP connection, in a new aiohttp ClientSession, for
  every call to the action server (`EndpointConfig.request`). Here every endpoint shares one
  ClientSession per event loop, so connections to the action server are kept alive and
  reused (aiohttp closes an idle one after 15 s; Sanic keeps it for 120 s).

One more, for privacy rather than speed: the tracker store's SQLAlchemy engine is made with
`hide_parameters=True`, so that a database error (which Rasa logs) never prints the
statement's bound values: the events hold what the person said.

Nothing else changes: the same model, policies, stores and responses.
"""

from __future__ import annotations

import asyncio
import sys
from types import TracebackType
from typing import Any

import aiohttp
from jsonschema.exceptions import best_match
from jsonschema.protocols import Validator
from jsonschema.validators import validator_for
from rasa.core.actions.action import RemoteAction
from rasa.utils.endpoints import EndpointConfig

_validators: list[Validator] = []


def _response_validator() -> Validator:
    """The action-response validator, its schema checked once."""
    if not _validators:
        schema = RemoteAction.action_response_format_spec()
        cls = validator_for(schema)
        cls.check_schema(schema)
        _validators.append(cls(schema))
    return _validators[0]


def validate_action_result(_action: RemoteAction, result: dict[str, Any]) -> bool:
    """As `RemoteAction._validate_action_result`, without re-checking the schema each call."""
    error = best_match(_response_validator().iter_errors(result))
    if error is None:
        return True
    error.message += (
        ". Failed to validate Action server response from API, make sure your response "
        "from the Action endpoint is valid."
    )
    raise error


class _Shared:
    """`async with endpoint.session()` over a session that stays open for the next call."""

    def __init__(self, session: aiohttp.ClientSession) -> None:
        self.session = session

    async def __aenter__(self) -> aiohttp.ClientSession:
        return self.session

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        return None


_new_session = EndpointConfig.session
_sessions: dict[tuple[int, str, str], aiohttp.ClientSession] = {}


def shared_session(endpoint: EndpointConfig) -> Any:
    """One open ClientSession per event loop and endpoint (URL, headers, auth)."""
    try:
        loop = asyncio.get_running_loop()
    except RuntimeError:
        return _new_session(endpoint)
    key = (id(loop), str(endpoint.url), repr((endpoint.headers, endpoint.basic_auth)))
    session = _sessions.get(key)
    if session is None or session.closed:
        session = _new_session(endpoint)
        _sessions[key] = session
    return _Shared(session)


def _hide_parameters() -> None:
    """Every SQL tracker store's engine hides bound values in its error messages."""
    from rasa.core import tracker_store

    rasa_kwargs = tracker_store.create_engine_kwargs
    if getattr(rasa_kwargs, "hides_parameters", False):
        return

    def engine_kwargs(url: Any) -> dict[str, Any]:
        return {**rasa_kwargs(url), "hide_parameters": True}

    engine_kwargs.hides_parameters = True  # type: ignore[attr-defined]
    tracker_store.create_engine_kwargs = engine_kwargs


def patch() -> None:
    """Install the fixes."""
    RemoteAction._validate_action_result = validate_action_result  # type: ignore[method-assign]
    EndpointConfig.session = shared_session  # type: ignore[method-assign]
    _hide_parameters()


if __name__ == "__main__":
    patch()
    from rasa.__main__ import main

    sys.argv[0] = "rasa"
    sys.exit(main())
