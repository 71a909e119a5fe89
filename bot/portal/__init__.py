"""The staff portal under /portal: logins, clinicians' and admins' pages, exports.

`setup(app, settings)` mounts it as a sub-application of the gateway; the tutors' pages
(bot/portal/tutor.py, when present) register their routes on the same sub-app.
"""

from __future__ import annotations

import importlib
from pathlib import Path

from aiohttp import web

from bot.config import Settings

PORTAL_APP = web.AppKey("portal_app", web.Application)
STATIC = Path(__file__).resolve().parent / "static"


def build() -> web.Application:
    """The portal sub-app with every route registered."""
    from bot.portal import admin, auth, clinician, invites_view, lead

    portal = web.Application(middlewares=[auth.portal_middleware])
    auth.add_routes(portal)
    clinician.add_routes(portal)
    invites_view.add_routes(portal)
    admin.add_routes(portal)
    lead.add_routes(portal)
    try:
        tutor = importlib.import_module("bot.portal.tutor")
    except ModuleNotFoundError:
        tutor = None
    if tutor is not None:
        tutor.add_routes(portal)
    portal.router.add_static("/static", STATIC)
    return portal


def setup(app: web.Application, settings: Settings) -> None:
    """Mount the portal at /portal (it reads settings from the parent app)."""
    del settings  # read per request through request.config_dict, like the rest of the gateway
    portal = build()
    app[PORTAL_APP] = portal
    app.router.add_get("/portal", _to_portal_home)
    app.add_subapp("/portal", portal)


async def _to_portal_home(request: web.Request) -> web.StreamResponse:
    """`/portal` typed without the slash goes to the portal's home (login when signed out)."""
    raise web.HTTPFound("/portal/")
