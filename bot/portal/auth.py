"""Portal logins: the session middleware, login and logout, lockout delays and role checks.

Every /portal route except the login page and the stylesheet needs a live session: without
one the middleware redirects to /portal/login. Every POST must carry the session's CSRF
token (the login form carries a token of its own, kept in a short-lived cookie), else 403.
"""

from __future__ import annotations

import asyncio
import functools
import ipaddress
import logging
from collections.abc import Awaitable, Callable
from urllib.parse import quote, urlsplit

from aiohttp import web

from bot.portal import csrf
from bot.portal.pages import CSP, CSRF, STAFF, render, run_db, see_other, settings_of, staff_of
from bot.store import staff as staff_store
from bot.store.staff import LoginResult, Staff

log = logging.getLogger(__name__)

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]
COOKIE = "portal_session"
COOKIE_PATH = "/portal"
LOGIN_PATH = "/portal/login"
PUBLIC_PATHS = frozenset({LOGIN_PATH})
PUBLIC_PREFIX = "/portal/static/"
# Each failed login in a row waits longer before the answer: 0.25 s, 0.5 s, ... up to 2 s.
FAILURE_DELAY = 0.25
MAX_DELAY = 2.0
HOME_BY_ROLE = {
    "admin": "/portal/admin",
    "clinician": "/portal/patients",
    "tutor": "/portal/cohorts",
    "lead": "/portal/lead",
}


def current_staff(request: web.Request) -> Staff:
    """The logged-in staff member (the middleware guarantees one on non-public routes)."""
    staff = staff_of(request)
    if staff is None:
        raise web.HTTPFound(LOGIN_PATH)
    return staff


def require_role(*roles: str) -> Callable[[Handler], Handler]:
    """Refuse (403) a logged-in staff member whose role is not one of `roles`."""

    def decorate(handler: Handler) -> Handler:
        @functools.wraps(handler)
        async def checked(request: web.Request) -> web.StreamResponse:
            if current_staff(request).role not in roles:
                raise web.HTTPForbidden(text="not allowed for your role")
            return await handler(request)

        return checked

    return decorate


def _set_cookie(
    response: web.StreamResponse, request: web.Request, name: str, value: str, max_age: int
) -> None:
    """HttpOnly, SameSite=Strict, only for /portal; Secure when PORTAL_SECURE_COOKIES is set."""
    response.set_cookie(
        name,
        value,
        max_age=max_age,
        path=COOKIE_PATH,
        httponly=True,
        samesite="Strict",
        secure=settings_of(request).portal_secure_cookies,
    )


def _is_public(request: web.Request) -> bool:
    return request.path in PUBLIC_PATHS or request.path.startswith(PUBLIC_PREFIX)


@web.middleware
async def portal_middleware(request: web.Request, handler: Handler) -> web.StreamResponse:
    """Log-in check, CSRF check on POST, and the portal's strict headers."""
    try:
        response = await _guarded(request, handler)
    except web.HTTPException as exc:
        response = exc
        _harden(response)
        raise
    _harden(response)
    return response


def _harden(response: web.StreamResponse) -> None:
    response.headers["Content-Security-Policy"] = CSP
    response.headers.setdefault("Cache-Control", "no-store")


async def _guarded(request: web.Request, handler: Handler) -> web.StreamResponse:
    if _is_public(request):
        return await handler(request)
    token = request.cookies.get(COOKIE)
    found = await run_db(request, lambda s: staff_store.resume_session(s, token)) if token else None
    if found is None:
        target = request.path_qs if request.method == "GET" else "/portal/"
        raise web.HTTPFound(f"{LOGIN_PATH}?next={quote(target, safe='')}")
    request[STAFF], request[CSRF] = found
    if request.method == "POST" and not csrf.matches(await csrf.sent_token(request), found[1]):
        log.warning("portal: POST without the session's CSRF token")
        raise web.HTTPForbidden(text="missing or wrong CSRF token")
    return await handler(request)


def _trusted(address: str, proxies: tuple[str, ...]) -> bool:
    try:
        parsed = ipaddress.ip_address(address.strip())
    except ValueError:
        return False
    return any(parsed in ipaddress.ip_network(proxy) for proxy in proxies)


def client_address(request: web.Request) -> str:
    """The address a login comes from: the peer's, or, when the peer is one of
    PORTAL_TRUSTED_PROXIES, the last address in X-Forwarded-For that is not a trusted proxy
    (the entries before it could have been written by the client)."""
    peer = request.remote or ""
    proxies = settings_of(request).portal_trusted_proxies
    if not proxies or not _trusted(peer, proxies):
        return peer
    hops = [
        hop.strip()
        for header in request.headers.getall("X-Forwarded-For", [])
        for hop in header.split(",")
    ]
    client = peer
    for hop in reversed(hops):
        if not _trusted(client, proxies):
            break
        client = hop
    return client


def _safe_next(raw: str | None) -> str | None:
    """Only a path inside the portal (no scheme, no host) may be redirected to."""
    if not raw:
        return None
    parts = urlsplit(raw)
    if parts.scheme or parts.netloc or not raw.startswith("/portal/") or raw.startswith("//"):
        return None
    return raw


def _login_page(request: web.Request, *, error: str | None, status: int = 200) -> web.Response:
    token = csrf.new_token()
    request[CSRF] = token
    response = render(
        request,
        "login.html",
        {"error": error, "next": _safe_next(request.query.get("next")) or ""},
        status=status,
    )
    _set_cookie(response, request, csrf.LOGIN_COOKIE, token, max_age=3600)
    return response


async def login_form(request: web.Request) -> web.Response:
    """GET /portal/login."""
    return _login_page(request, error=None)


async def login(request: web.Request) -> web.Response:
    """POST /portal/login: check the form's token, then the password, slowing down failures.
    An unknown email gets the same answers, delays and lock as a real one."""
    sent = await csrf.sent_token(request)
    if not csrf.matches(sent, request.cookies.get(csrf.LOGIN_COOKIE)):
        raise web.HTTPForbidden(text="missing or wrong CSRF token")
    form = await request.post()
    email, password = str(form.get("email", "")), str(form.get("password", ""))
    client = client_address(request)
    result: LoginResult = await run_db(
        request, lambda s: staff_store.check_login(s, email, password, client=client)
    )
    if result.staff is None:
        await asyncio.sleep(min(FAILURE_DELAY * max(result.failures, 1), MAX_DELAY))
        log.info("portal: failed login (locked=%s)", result.locked)
        error = "locked" if result.locked else "invalid"
        return _login_page(request, error=error, status=429 if result.locked else 401)
    staff = result.staff
    token, _csrf = await run_db(request, lambda s: staff_store.open_session(s, staff.id))
    log.info("portal: login staff=%s role=%s", staff.id, staff.role)
    target = _safe_next(str(form.get("next", ""))) or HOME_BY_ROLE.get(staff.role, "/portal/")
    response = see_other(target)
    lifetime = int(staff_store.SESSION_LIFETIME.total_seconds())
    _set_cookie(response, request, COOKIE, token, max_age=lifetime)
    response.del_cookie(csrf.LOGIN_COOKIE, path=COOKIE_PATH)
    return response


async def logout(request: web.Request) -> web.Response:
    """POST /portal/logout (CSRF-checked by the middleware): end the session."""
    token = request.cookies.get(COOKIE, "")
    await run_db(request, lambda s: staff_store.close_session(s, token))
    response = see_other(LOGIN_PATH)
    response.del_cookie(COOKIE, path=COOKIE_PATH)
    return response


async def home(request: web.Request) -> web.Response:
    """GET /portal/: each role's own start page."""
    raise web.HTTPFound(HOME_BY_ROLE.get(current_staff(request).role, LOGIN_PATH))


def add_routes(portal: web.Application) -> None:
    """Login, logout and the start page."""
    portal.router.add_get("/login", login_form)
    portal.router.add_post("/login", login)
    portal.router.add_post("/logout", logout)
    portal.router.add_get("/", home)
