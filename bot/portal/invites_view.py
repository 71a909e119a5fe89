"""Clinicians' patient invites: create one, show its Telegram and web links and a QR code."""

from __future__ import annotations

import io
import ipaddress
import logging
from dataclasses import dataclass
from urllib.parse import quote, urlsplit

import segno
from aiohttp import web
from sqlalchemy.orm import Session

from bot.config import Settings
from bot.portal.auth import current_staff, require_role
from bot.portal.pages import render, run_db, see_other, settings_of
from bot.store import invites
from bot.store.models import Invite
from bot.store.staff import Staff

log = logging.getLogger(__name__)
# Shown to the clinician or tutor instead of a web link and its QR code.
WEB_LINK_UNAVAILABLE = (
    "Web link unavailable: set PUBLIC_URL to the coach's public address "
    "(for example https://coach.example.nhs.uk) and restart it. "
    "Until then the patient can use the Telegram link or send /start CODE to the bot."
)


@dataclass(frozen=True)
class InviteLinks:
    """Where a code takes a new patient: Telegram (when the bot's name is set) and the web."""

    telegram: str | None
    web: str | None  # None without PUBLIC_URL, away from localhost: WEB_LINK_UNAVAILABLE


def _is_local(host: str) -> bool:
    """Whether a Host header names this machine: localhost or a loopback address."""
    try:
        name = urlsplit(f"//{host}").hostname
    except ValueError:
        return False
    if not name:
        return False
    if name == "localhost" or name.endswith(".localhost"):
        return True
    try:
        return ipaddress.ip_address(name).is_loopback
    except ValueError:
        return False


def base_url(request: web.Request) -> str | None:
    """The gateway's public address for links given to patients: PUBLIC_URL; without it, the
    address the portal was reached at only if that is localhost (`make run`). The Host
    header is the client's to choose, so anything else makes no link (None) and is logged."""
    configured = settings_of(request).public_url
    if configured:
        return configured
    if _is_local(request.host):
        return f"{request.scheme}://{request.host}"
    log.warning("invite web link refused: PUBLIC_URL is unset and the address is not local")
    return None


def invite_links(settings: Settings, code: str, base: str | None) -> InviteLinks:
    """The links of one invite code (no web link without a trusted base address)."""
    name = settings.telegram_bot_username
    telegram = f"https://t.me/{quote(name)}?start={quote(code)}" if name else None
    web_link = f"{base.rstrip('/')}/?invite={quote(code)}" if base else None
    return InviteLinks(telegram=telegram, web=web_link)


def qr_png(links: InviteLinks) -> web.Response:
    """The web link as a QR code; 409 with what to set when there is no web link."""
    if links.web is None:
        raise web.HTTPConflict(text=WEB_LINK_UNAVAILABLE)
    buffer = io.BytesIO()
    segno.make(links.web, error="m").save(buffer, kind="png", scale=6, border=2)
    return web.Response(body=buffer.getvalue(), content_type="image/png")


def _own(session: Session, staff: Staff, code: str) -> Invite | None:
    invite = invites.find_invite(session, code)
    if invite is None or staff.id not in (invite.created_by, invite.clinician_id):
        return None
    return invite


@require_role("clinician")
async def invites_page(request: web.Request) -> web.Response:
    """GET /portal/invites: this clinician's invites and the form for a new one."""
    staff = current_staff(request)
    rows = await run_db(request, lambda s: invites.invites_created_by(s, staff.id))
    listed = [(invite, invites.status_of(invite)) for invite in rows]
    return render(request, "invites.html", {"invites": listed})


@require_role("clinician")
async def create(request: web.Request) -> web.Response:
    """POST /portal/invites: a new single-use code linking the patient to this clinician."""
    staff = current_staff(request)
    form = await request.post()
    label = str(form.get("label", ""))

    def make(session: Session) -> str:
        return invites.create_invite(
            session, created_by=staff.id, clinician_id=staff.id, label=label
        ).code

    code = await run_db(request, make)
    return see_other(f"/portal/invites/{code}")


@require_role("clinician")
async def invite_page(request: web.Request) -> web.Response:
    """GET /portal/invites/{code}: the links and the QR code to hand to a patient."""
    staff, code = current_staff(request), request.match_info["code"]
    invite = await run_db(request, lambda s: _own(s, staff, code))
    if invite is None:
        raise web.HTTPNotFound(text="no such invite of yours")
    links = invite_links(settings_of(request), invite.code, base_url(request))
    return render(
        request,
        "invite.html",
        {
            "invite": invite,
            "status": invites.status_of(invite),
            "links": links,
            "web_link_unavailable": WEB_LINK_UNAVAILABLE,
        },
    )


@require_role("clinician")
async def invite_qr(request: web.Request) -> web.Response:
    """GET /portal/invites/{code}/qr.png: the web link as a QR code."""
    staff, code = current_staff(request), request.match_info["code"]
    invite = await run_db(request, lambda s: _own(s, staff, code))
    if invite is None:
        raise web.HTTPNotFound(text="no such invite of yours")
    return qr_png(invite_links(settings_of(request), invite.code, base_url(request)))


def add_routes(portal: web.Application) -> None:
    """The invite routes."""
    portal.router.add_get("/invites", invites_page)
    portal.router.add_post("/invites", create)
    portal.router.add_get("/invites/{code}", invite_page)
    portal.router.add_get("/invites/{code}/qr.png", invite_qr)
