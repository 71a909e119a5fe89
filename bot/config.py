"""Settings read from the environment once, validated at start-up."""

from __future__ import annotations

import ipaddress
import os
import re
import secrets
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

ROOT = Path(__file__).resolve().parent.parent
VAR_DIR = Path(os.environ.get("COACH_VAR_DIR", ROOT / "var"))
DEFAULT_DATABASE_URL = f"sqlite:///{VAR_DIR / 'coach.db'}"
# Derived files that depend only on the code and its data (embeddings of fixed texts, the
# safety net's fitted network): shared by every process and test stack of a checkout.
CACHE_DIR = Path(os.environ.get("COACH_CACHE_DIR", ROOT / "var" / "cache"))


class ConfigError(ValueError):
    """A setting is missing or malformed; the service refuses to start."""


def database_url_from_env() -> str:
    """The store's URL: `DATABASE_URL`, or the embedded SQLite file under var/."""
    return os.environ.get("DATABASE_URL") or DEFAULT_DATABASE_URL


def _secret_key() -> str:
    """`SECRET_KEY`, or a random key kept under var/ so local tokens survive a restart."""
    key = os.environ.get("SECRET_KEY")
    if key:
        if len(key) < 32:
            raise ConfigError("SECRET_KEY must be at least 32 characters")
        return key
    path = VAR_DIR / "secret_key"
    if not path.exists():
        VAR_DIR.mkdir(parents=True, exist_ok=True)
        path.write_text(secrets.token_urlsafe(48))
        path.chmod(0o600)
    return path.read_text().strip()


def _public_url() -> str | None:
    """`PUBLIC_URL`, the origin patients' invite links point at: an http(s) address, no
    query or fragment. Links are never built from a request's Host header, which the
    client chooses (bot.portal.invites_view)."""
    raw = (os.environ.get("PUBLIC_URL") or "").strip().rstrip("/")
    if not raw:
        return None
    parts = urlsplit(raw)
    if parts.scheme not in ("http", "https") or not parts.hostname or parts.query or parts.fragment:
        raise ConfigError(
            "PUBLIC_URL must be an http:// or https:// address, e.g. https://coach.example.nhs.uk"
        )
    return raw


def _bot_api_url(name: str) -> str | None:
    """A self-hosted Bot API server's address (`TELEGRAM_API_BASE_URL`, `..._FILE_URL`): an
    http(s) URL ending where python-telegram-bot appends the token, such as
    http://127.0.0.1:8081/bot (or .../file/bot); None for Telegram's own."""
    raw = (os.environ.get(name) or "").strip()
    if not raw:
        return None
    parts = urlsplit(raw)
    if parts.scheme not in ("http", "https") or not parts.hostname or parts.query or parts.fragment:
        raise ConfigError(
            f"{name} must be an http:// or https:// URL, e.g. http://127.0.0.1:8081/bot"
        )
    return raw


def _days(name: str, default: float) -> float:
    raw = os.environ.get(name, str(default))
    try:
        days = float(raw)
    except ValueError as exc:
        raise ConfigError(f"{name} must be a number of days") from exc
    if not 0 < days <= 3650:
        raise ConfigError(f"{name} must be more than 0 and at most 3650")
    return days


def _port(name: str, default: int) -> int:
    raw = os.environ.get(name, str(default))
    try:
        port = int(raw)
    except ValueError as exc:
        raise ConfigError(f"{name} must be a port number") from exc
    if not 0 < port < 65536:
        raise ConfigError(f"{name} must be between 1 and 65535")
    return port


def _networks(name: str) -> tuple[str, ...]:
    """Comma-separated IP addresses or networks, normalised ("10.0.0.5" is "10.0.0.5/32")."""
    found = []
    for item in os.environ.get(name, "").split(","):
        if item.strip():
            try:
                found.append(str(ipaddress.ip_network(item.strip(), strict=False)))
            except ValueError as exc:
                raise ConfigError(
                    f"{name}: {item.strip()!r} is not an IP address or network"
                ) from exc
    return tuple(found)


@dataclass(frozen=True)
class Settings:
    """Everything the gateway, the action server and the CLI need to know."""

    database_url: str
    port: int
    host: str
    engine_url: str
    actions_url: str
    secret_key: str
    redis_url: str | None
    telegram_bot_token: str | None
    allowed_origins: tuple[str, ...]
    redelivery_interval: float
    telegram_webhook_url: str | None = None
    telegram_webhook_secret: str | None = None
    # The portal (issue 8): Secure cookies behind https; links in patient invites.
    portal_secure_cookies: bool = False
    telegram_bot_username: str | None = None
    public_url: str | None = None
    reuse_port: bool = False  # several gateway replicas on one port (`coach up`)
    telegram_poll: bool = True  # in polling mode, whether this gateway is the one that polls
    # Reverse proxies (addresses or networks) whose X-Forwarded-For names the portal's client.
    portal_trusted_proxies: tuple[str, ...] = ()
    # A web chat session ends after this many days without use; each use renews it.
    web_session_idle_days: float = 30.0
    # A self-hosted Bot API server (telegram-bot-api), e.g. to keep traffic inside the
    # network; None is Telegram's own (https://api.telegram.org/bot, .../file/bot).
    telegram_api_base_url: str | None = None
    telegram_api_file_url: str | None = None

    def __post_init__(self) -> None:
        check_telegram(self)

    @classmethod
    def from_env(cls) -> Settings:
        """Read and check the environment; raise ConfigError on anything malformed."""
        origins = os.environ.get("ALLOWED_ORIGINS", "")
        return cls(
            database_url=database_url_from_env(),
            port=_port("PORT", 8080),
            host=os.environ.get("HOST", "127.0.0.1"),
            engine_url=os.environ.get("ENGINE_URL", "http://127.0.0.1:5005").rstrip("/"),
            actions_url=os.environ.get("ACTIONS_URL", "http://127.0.0.1:5055").rstrip("/"),
            secret_key=_secret_key(),
            redis_url=os.environ.get("REDIS_URL") or None,
            telegram_bot_token=os.environ.get("TELEGRAM_BOT_TOKEN") or None,
            allowed_origins=tuple(o.strip() for o in origins.split(",") if o.strip()),
            redelivery_interval=float(os.environ.get("REDELIVERY_INTERVAL", "2")),
            telegram_webhook_url=os.environ.get("TELEGRAM_WEBHOOK_URL") or None,
            telegram_webhook_secret=os.environ.get("TELEGRAM_WEBHOOK_SECRET") or None,
            portal_secure_cookies=bool(os.environ.get("PORTAL_SECURE_COOKIES")),
            portal_trusted_proxies=_networks("PORTAL_TRUSTED_PROXIES"),
            telegram_bot_username=(os.environ.get("TELEGRAM_BOT_USERNAME") or "").lstrip("@")
            or None,
            public_url=_public_url(),
            web_session_idle_days=_days("WEB_SESSION_IDLE_DAYS", 30.0),
            reuse_port=os.environ.get("GATEWAY_REUSE_PORT") == "1",
            telegram_poll=os.environ.get("TELEGRAM_POLL", "1") != "0",
            telegram_api_base_url=_bot_api_url("TELEGRAM_API_BASE_URL"),
            telegram_api_file_url=_bot_api_url("TELEGRAM_API_FILE_URL"),
        )

    @property
    def engine_urls(self) -> list[str]:
        """Every engine replica's address: `ENGINE_URL` may list several, comma-separated."""
        return [url.strip().rstrip("/") for url in self.engine_url.split(",") if url.strip()]

    @property
    def telegram_mode(self) -> str:
        """How the Telegram channel runs: "off" (no token), "webhook" or "polling"."""
        if not self.telegram_bot_token:
            return "off"
        return "webhook" if self.telegram_webhook_url else "polling"


# Telegram allows 1-256 characters of A-Z, a-z, 0-9, _ and - in a webhook's secret token.
_WEBHOOK_SECRET = re.compile(r"[A-Za-z0-9_-]{16,256}")


def check_telegram(settings: Settings) -> None:
    """A webhook needs a token, an https URL and a strong secret; refuse to start without."""
    if not settings.telegram_webhook_url:
        return
    if not settings.telegram_bot_token:
        raise ConfigError("TELEGRAM_WEBHOOK_URL needs TELEGRAM_BOT_TOKEN")
    if not settings.telegram_webhook_url.startswith("https://"):
        raise ConfigError("TELEGRAM_WEBHOOK_URL must be an https:// URL")
    secret = settings.telegram_webhook_secret
    if not secret:
        raise ConfigError("TELEGRAM_WEBHOOK_URL needs TELEGRAM_WEBHOOK_SECRET")
    if not _WEBHOOK_SECRET.fullmatch(secret):
        raise ConfigError(
            "TELEGRAM_WEBHOOK_SECRET must be 16 to 256 characters of A-Z, a-z, 0-9, _ and -"
        )
