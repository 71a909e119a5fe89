"""`GET /api/ask3/summary?token=…&list=…`: "My questions for my appointment" as a page the
person can print. Only the token's own lists are shown; every label comes from
data/content/ask3.yml in the list's language."""

from __future__ import annotations

import asyncio
import functools
import logging
from pathlib import Path

import jinja2
from aiohttp import web

from bot.app_keys import SETTINGS
from bot.channels.web.routes import authorised_sender, json_error
from bot.decisions import content
from bot.decisions.summary import sections
from bot.logs import pseudonym
from bot.store import ask3
from bot.store.db import unit_of_work

log = logging.getLogger(__name__)
TEMPLATES = Path(__file__).resolve().parents[2] / "decisions" / "templates"


@functools.cache
def _templates() -> jinja2.Environment:
    return jinja2.Environment(
        loader=jinja2.FileSystemLoader(TEMPLATES), autoescape=True, undefined=jinja2.StrictUndefined
    )


async def summary_page(request: web.Request) -> web.Response:
    """The printable list; 401 without a valid token, 404 if the list is not theirs."""
    sender_id = await authorised_sender(request, request.query.get("token"))
    if sender_id is None:
        return json_error(401, "missing or unknown token")
    raw = request.query.get("list", "")
    list_id = int(raw) if raw.isdigit() else None
    url = request.app[SETTINGS].database_url

    def load() -> ask3.ListView | None:
        with unit_of_work(url) as session:
            return ask3.list_for_sender(session, sender_id, list_id)

    found = await asyncio.to_thread(load)
    if found is None:
        return json_error(404, "no such question list")
    language = found.language
    html = (
        _templates()
        .get_template("summary.html")
        .render(
            language=language,
            title=content.text("summary_title", language),
            sections=sections(found.summary, language),
            print_label=content.text("summary_print", language),
        )
    )
    log.info("ask 3 summary page sender=%s", pseudonym(sender_id))
    return web.Response(text=html, content_type="text/html", headers={"Cache-Control": "no-store"})


def add_ask3_routes(app: web.Application) -> None:
    app.router.add_get("/api/ask3/summary", summary_page)
