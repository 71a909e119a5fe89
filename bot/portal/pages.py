"""Shared plumbing of portal views: templates, the database from a handler, audit entries."""

from __future__ import annotations

import asyncio
import functools
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any, TypeVar

import jinja2
from aiohttp import web
from sqlalchemy.orm import Session

from bot.app_keys import SETTINGS
from bot.config import Settings
from bot.portal import csrf
from bot.store import audit as audit_log
from bot.store.db import unit_of_work
from bot.store.staff import Staff

TEMPLATES = Path(__file__).resolve().parent / "templates"
# What the login middleware puts on a request: who is logged in, and their session's token.
STAFF = web.RequestKey("staff", Staff)
CSRF = web.RequestKey("csrf", str)
T = TypeVar("T")

# Staff pages: no script at all, styles and images from the portal only.
CSP = (
    "default-src 'self'; script-src 'none'; style-src 'self'; img-src 'self' data:; "
    "form-action 'self'; frame-ancestors 'none'; base-uri 'none'"
)


@functools.cache
def environment() -> jinja2.Environment:
    """The portal's Jinja2 environment; autoescape is on for every template."""
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(TEMPLATES),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters["when"] = lambda moment: moment.strftime("%Y-%m-%d %H:%M") if moment else ""
    env.filters["day"] = lambda moment: moment.strftime("%Y-%m-%d") if moment else ""
    return env


def settings_of(request: web.Request) -> Settings:
    """The gateway's settings (the portal is a sub-app, so look them up the chain)."""
    return request.config_dict[SETTINGS]


def staff_of(request: web.Request) -> Staff | None:
    """Who is logged in, if anyone (the middleware sets it)."""
    return request[STAFF] if STAFF in request else None


def render(
    request: web.Request, template: str, context: Mapping[str, Any] | None = None, status: int = 200
) -> web.Response:
    """A page from a template, with `staff`, `csrf_token` and `csrf_field` available."""
    token = request[CSRF] if CSRF in request else ""
    html = (
        environment()
        .get_template(template)
        .render(
            {
                "staff": staff_of(request),
                "csrf_token": token,
                "csrf_field": csrf.field(token),
                "path": request.path,
                **(context or {}),
            }
        )
    )
    return web.Response(text=html, content_type="text/html", status=status)


def see_other(location: str) -> web.Response:
    """303 to `location`: where a form's POST sends the browser next."""
    return web.Response(status=303, headers={"Location": location})


async def run_db(request: web.Request, work: Callable[[Session], T]) -> T:
    """Run `work(session)` in a thread, in one unit of work on the gateway's database."""
    url = settings_of(request).database_url

    def run() -> T:
        with unit_of_work(url) as session:
            return work(session)

    return await asyncio.to_thread(run)


def audit(session: Session, staff: Staff, action: str, person_id: int | None, detail: str) -> None:
    """Record that a staff member read ("read") or exported ("exported") a person's data."""
    audit_log.record(
        session,
        actor_kind=staff.role,
        actor_id=str(staff.id),
        action=action,
        subject_person_id=person_id,
        detail=detail[:64],
    )
