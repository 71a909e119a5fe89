"""Invite links and QR codes come from configured origins only: `PUBLIC_URL`, or, without
it, a localhost address (`make run`). A forged `Host` header never reaches a link a
clinician or tutor hands to a patient; without `PUBLIC_URL` they are told what to set."""

from __future__ import annotations

import dataclasses
import io
import logging
import re
from datetime import date
from typing import Any

import pytest
import segno

from bot.config import ConfigError, Settings
from bot.gateway import init_app
from bot.store import cohorts, invites
from bot.store.db import unit_of_work
from tests.portal.support import csrf_of, login, make_staff
from tests.support import TestClient

EVIL = "evil.example"
FORGED = {"Host": EVIL}
PUBLIC = "https://coach.example.nhs.uk"


def _qr_of(link: str) -> bytes:
    buffer = io.BytesIO()
    segno.make(link, error="m").save(buffer, kind="png", scale=6, border=2)
    return buffer.getvalue()


async def _clinician_invite(client: TestClient, database_url: str) -> str:
    make_staff(database_url, "dr.a@example.nhs.uk", "clinician")
    assert await login(client, "dr.a@example.nhs.uk") == 303
    token = await csrf_of(client, "/portal/invites")
    response = await client.post("/portal/invites", data={"csrf_token": token, "label": "x"})
    assert response.status == 200
    return str(response.url).rsplit("/", 1)[-1]


async def test_a_forged_host_never_appears_in_an_invite_link_or_its_qr_code(
    client: TestClient, database_url: str, caplog: pytest.LogCaptureFixture
) -> None:
    code = await _clinician_invite(client, database_url)
    caplog.set_level(logging.WARNING)
    page = await client.get(f"/portal/invites/{code}", headers=FORGED)
    html = await page.text()
    assert page.status == 200
    assert EVIL not in html
    assert 'id="web-link"' not in html
    assert "PUBLIC_URL" in html  # the clinician is told why, and what to set
    # The Telegram link does not depend on the address and is still there.
    assert f"https://t.me/CoCreateCoachBot?start={code}" in html
    qr = await client.get(f"/portal/invites/{code}/qr.png", headers=FORGED)
    assert qr.status == 409 and qr.content_type != "image/png"
    body = await qr.text()
    assert EVIL not in body and "PUBLIC_URL" in body
    assert "invite web link refused" in caplog.text and EVIL not in caplog.text


async def test_localhost_still_gets_a_working_link_without_public_url(
    client: TestClient, database_url: str
) -> None:
    code = await _clinician_invite(client, database_url)
    for host in ("localhost:8080", "127.0.0.1:8080", "[::1]:8080"):
        html = await (await client.get(f"/portal/invites/{code}", headers={"Host": host})).text()
        assert f'id="web-link">http://{host}/?invite={code}<' in html
        qr = await client.get(f"/portal/invites/{code}/qr.png", headers={"Host": host})
        assert await qr.read() == _qr_of(f"http://{host}/?invite={code}")


@pytest.fixture
def public_settings(settings: Settings) -> Settings:
    return dataclasses.replace(settings, public_url=PUBLIC)


async def test_with_public_url_the_link_and_qr_code_use_it_whatever_the_host(
    aiohttp_client: Any, public_settings: Settings
) -> None:
    client: TestClient = await aiohttp_client(init_app(public_settings))
    code = await _clinician_invite(client, public_settings.database_url)
    html = await (await client.get(f"/portal/invites/{code}", headers=FORGED)).text()
    assert f'id="web-link">{PUBLIC}/?invite={code}<' in html and EVIL not in html
    qr = await client.get(f"/portal/invites/{code}/qr.png", headers=FORGED)
    assert qr.status == 200
    assert await qr.read() == _qr_of(f"{PUBLIC}/?invite={code}")


async def test_a_tutors_cohort_invites_ignore_a_forged_host(
    client: TestClient, database_url: str
) -> None:
    tutor = make_staff(database_url, "tutor.a@example.org", "tutor")
    with unit_of_work(database_url) as session:
        cohort = cohorts.create_cohort(
            session, tutor_id=tutor, name="EPP", starts_on=date(2026, 12, 1),
            ends_on=date(2027, 1, 12),
        )  # fmt: skip
        code = invites.create_invite(session, created_by=tutor, cohort_id=cohort.id).code
        cohort_id = cohort.id
    assert await login(client, "tutor.a@example.org") == 303
    page = await client.get(f"/portal/cohorts/{cohort_id}", headers=FORGED)
    html = await page.text()
    assert page.status == 200 and code in html, html
    assert EVIL not in html and "PUBLIC_URL" in html
    assert not re.search(r'class="invite-web"', html)
    qr = await client.get(f"/portal/cohorts/{cohort_id}/invites/{code}/qr.png", headers=FORGED)
    assert qr.status == 409 and EVIL not in await qr.text()


@pytest.mark.parametrize("value", ["coach.example.nhs.uk", "javascript:alert(1)", "https://"])
def test_a_public_url_that_is_not_an_http_address_stops_the_start(
    value: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PUBLIC_URL", value)
    with pytest.raises(ConfigError, match="PUBLIC_URL"):
        Settings.from_env()


def test_public_url_is_read_without_its_trailing_slash(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PUBLIC_URL", f"{PUBLIC}/")
    assert Settings.from_env().public_url == PUBLIC
