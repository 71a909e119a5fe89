"""Shared plumbing of portal views: templates, the database from a handler, audit entries."""

from __future__ import annotations

import asyncio
import functools
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any, TypeVar
from zoneinfo import ZoneInfo

import jinja2
import yaml
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
# Every time the portal shows is in UK time, and says so.
UK = ZoneInfo("Europe/London")
UK_LABEL = "UK time"
FLAG_WORDS = TEMPLATES / "flag_words.yml"

# Staff pages: no script at all, styles and images from the portal only.
CSP = (
    "default-src 'self'; script-src 'none'; style-src 'self'; img-src 'self' data:; "
    "form-action 'self'; frame-ancestors 'none'; base-uri 'none'"
)


def uk_time(moment: datetime) -> datetime:
    """The instant in Europe/London (a naive time from the database is UTC)."""
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(UK)


def when(moment: datetime | None) -> str:
    """'2026-07-01 14:05 UK time' (BST or GMT, whichever was in force then)."""
    return uk_time(moment).strftime(f"%Y-%m-%d %H:%M {UK_LABEL}") if moment else ""


def day(moment: datetime | date | None) -> str:
    """The UK date of an instant (a date, such as a cohort's first day, as it is)."""
    if moment is None:
        return ""
    if not isinstance(moment, datetime):
        return moment.isoformat()
    return uk_time(moment).strftime("%Y-%m-%d")


def waited(moment: datetime | None, now: datetime | None = None) -> str:
    """How long ago, in words a nurse scans: '35 min', '3 h', '2 days'."""
    if moment is None:
        return ""
    now = now or datetime.now(UTC)
    minutes = max(0, int((now - uk_time(moment)).total_seconds() // 60))
    if minutes < 60:
        return f"{minutes} min"
    if minutes < 48 * 60:
        return f"{minutes // 60} h"
    return f"{minutes // (24 * 60)} days"


@dataclass(frozen=True)
class FlagWords:
    """The words for flags' codes, from templates/flag_words.yml."""

    categories: dict[str, str]
    signs: dict[str, str]
    channels: dict[str, str]


@functools.cache
def flag_words_file() -> FlagWords:
    """templates/flag_words.yml, read once."""
    data = yaml.safe_load(FLAG_WORDS.read_text(encoding="utf-8"))
    return FlagWords(
        {str(k): str(v) for k, v in data["categories"].items()},
        {str(k): str(v) for k, v in data["signs"].items()},
        {str(k): str(v) for k, v in data["channels"].items()},
    )


def _humane(code: str) -> str:
    return code.replace("_", " ").strip().capitalize() or "Not named"


def flag_words(category: str, sign: str) -> str:
    """'Chest pain, emergency': the sign, then how serious (a code with no words is
    still readable: 'new_sign' shows as 'New sign')."""
    words = flag_words_file()
    what = words.signs.get(sign) or _humane(sign)
    return f"{what}, {words.categories.get(category) or _humane(category)}"


def severity(category: str) -> int:
    """0 for the most severe kind of flag (emergency), then distress, then urgent."""
    order = list(flag_words_file().categories)
    return order.index(category) if category in order else len(order)


def channel_words(channel: str) -> str:
    """'web chat', 'Telegram'."""
    return flag_words_file().channels.get(channel) or _humane(channel)


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
    env.filters["when"] = when
    env.filters["day"] = day
    env.filters["waited"] = waited
    env.filters["flag"] = lambda flag: flag_words(flag.category, flag.sign)
    env.filters["channel"] = channel_words
    env.globals["uk_label"] = UK_LABEL
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
