"""`coach user create` bootstraps the first admin, who can then log in."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from bot.store import migrate
from tests.portal.support import PASSWORD, login
from tests.support import TestClient


def _create(url: str, *args: str, password: str = PASSWORD) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "DATABASE_URL": url, "SECRET_KEY": "k" * 40}
    return subprocess.run(
        [sys.executable, "-m", "bot.cli", "user", "create", *args, "--password-stdin"],
        input=password + "\n",
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )


async def test_the_first_admin_is_made_from_the_command_line_and_can_log_in(
    client: TestClient, database_url: str
) -> None:
    made = _create(database_url, "--role", "admin", "--email", "lead@example.nhs.uk")
    assert made.returncode == 0, made.stderr
    assert "created admin lead@example.nhs.uk" in made.stdout
    assert PASSWORD not in made.stdout + made.stderr
    again = _create(database_url, "--role", "admin", "--email", "lead@example.nhs.uk")
    assert again.returncode == 2 and "exists" in again.stderr
    short = _create(
        database_url, "--role", "tutor", "--email", "t@example.nhs.uk", password="short"
    )
    assert short.returncode == 2
    assert await login(client, "lead@example.nhs.uk") == 303
    page = await client.get("/portal/admin")
    assert page.status == 200


def test_user_create_migrates_a_new_database(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'fresh.db'}"
    made = _create(url, "--role", "clinician", "--email", "dr@example.nhs.uk")
    assert made.returncode == 0, made.stderr
    assert migrate.current(url) == migrate.heads()[0]
