"""The printable "My questions for my appointment", behind a short-lived link of its own.

The widget asks for a link with the session token in the `Authorization` header
(`POST /api/ask3/print-links`), and opens `GET /ask3/print/{link}`. The link reads that one
list and nothing else, for `PRINT_LINK_TTL`, and stops working when the person is erased.
The session token never appears in a URL: a URL stays in the browser's history, in a
printed page's footer and in whatever the person shares it with. Every label comes from
data/content/ask3.yml in the list's language; the expired-link page's from system.yml.
"""

from __future__ import annotations

import asyncio
import functools
import logging
import time
from datetime import timedelta
from pathlib import Path

import jinja2
from aiohttp import web
from sqlalchemy import select

from bot.app_keys import SETTINGS
from bot.channels.web import tokens
from bot.channels.web.routes import (
    CHANNEL,
    authorised_sender,
    bearer_token,
    json_error,
    read_json,
    unauthorised,
)
from bot.content.system import system_message
from bot.decisions import content
from bot.decisions.summary import sections
from bot.logs import pseudonym
from bot.store import ask3, people
from bot.store.db import unit_of_work
from bot.store.models import Ask3List, Person

log = logging.getLogger(__name__)
TEMPLATES = (
    Path(__file__).resolve().parents[2] / "decisions" / "templates",
    Path(__file__).resolve().parent / "templates",
)
# Long enough to open, read and print; short enough that a link found later reads nothing.
PRINT_LINK_TTL = timedelta(minutes=10)
PRINT_PATH = "/ask3/print/"
NO_STORE = {"Cache-Control": "no-store"}


@functools.cache
def _templates() -> jinja2.Environment:
    return jinja2.Environment(
        loader=jinja2.FileSystemLoader(list(TEMPLATES)),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
    )


async def create_print_link(request: web.Request) -> web.Response:
    """201 `{"url", "expires_in"}` for one of the token's own lists; 401, 400 or 404 else."""
    sender_id = await authorised_sender(request, bearer_token(request))
    if sender_id is None:
        return unauthorised(request)
    body = await read_json(request)
    if isinstance(body, web.Response):
        return body
    list_id = body.get("list")
    if not isinstance(list_id, int) or isinstance(list_id, bool) or list_id < 1:
        return json_error(400, "list must be a positive integer")
    url = request.app[SETTINGS].database_url

    def owned() -> bool:
        with unit_of_work(url) as session:
            return ask3.list_for_sender(session, sender_id, list_id) is not None

    if not await asyncio.to_thread(owned):
        return json_error(404, "no such question list")
    lifetime = int(PRINT_LINK_TTL.total_seconds())
    expires_at = int(time.time()) + lifetime
    link = tokens.print_link(request.app[SETTINGS].secret_key, sender_id, list_id, expires_at)
    log.info("ask 3 print link issued sender=%s", pseudonym(sender_id))
    return web.json_response(
        {"url": PRINT_PATH + link, "expires_in": lifetime}, status=201, headers=NO_STORE
    )


def _owner_and_list(url: str, list_id: int) -> tuple[str, ask3.ListView] | None:
    """The list's owner's sender id and the list, while that owner is still active."""
    with unit_of_work(url) as session:
        sender_id = session.scalar(
            select(Person.sender_id)
            .join(Ask3List, Ask3List.person_id == Person.id)
            .where(Ask3List.id == list_id)
        )
        if sender_id is None or not people.identity_is_active(session, CHANNEL, sender_id):
            return None
        found = ask3.list_for_sender(session, sender_id, list_id)
        return (sender_id, found) if found is not None else None


def _link_gone(status: int, language: str | None) -> web.Response:
    """A kind page for a link that has expired or never worked: go back and ask again."""
    languages = [language] if language else ["en", "cy"]
    html = (
        _templates()
        .get_template("print_link_gone.html")
        .render(
            language=languages[0],
            notices=[
                {
                    "language": lang,
                    "title": system_message("print_link_gone_title", lang),
                    "body": system_message("print_link_gone", lang).format(
                        label=content.text("summary_print", lang)
                    ),
                }
                for lang in languages
            ],
        )
    )
    return web.Response(text=html, status=status, content_type="text/html", headers=NO_STORE)


async def print_page(request: web.Request) -> web.Response:
    """The printable list behind a print link; 410 once expired, 404 if it never worked."""
    link = tokens.parse_print_link(request.match_info["link"])
    if link is None:
        return _link_gone(404, None)
    found = await asyncio.to_thread(
        _owner_and_list, request.app[SETTINGS].database_url, link.list_id
    )
    secret = request.app[SETTINGS].secret_key
    if found is None or not tokens.print_link_signed_for(secret, link, found[0]):
        return _link_gone(404, None)
    sender_id, question_list = found
    language = question_list.language
    if link.expired(time.time()):
        return _link_gone(410, language)
    html = (
        _templates()
        .get_template("summary.html")
        .render(
            language=language,
            title=content.text("summary_title", language),
            sections=sections(question_list.summary, language),
            print_label=content.text("summary_print", language),
        )
    )
    log.info("ask 3 print page sender=%s", pseudonym(sender_id))
    return web.Response(text=html, content_type="text/html", headers=NO_STORE)


def add_ask3_routes(app: web.Application) -> None:
    app.router.add_post("/api/ask3/print-links", create_print_link)
    app.router.add_get(PRINT_PATH + "{link}", print_page)
