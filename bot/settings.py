"""Settings: every environment setting declared once (name, default, meaning), read and checked at start-up."""

from __future__ import annotations

import os
from collections.abc import Mapping, MutableMapping
from dataclasses import dataclass
from pathlib import Path

from index import BulletinError


class SettingsError(BulletinError):
    """A setting is missing or malformed."""


@dataclass(frozen=True, slots=True)
class Setting:
    """One environment setting, as the README's settings table shows it."""

    name: str
    default: str
    meaning: str


SETTINGS: tuple[Setting, ...] = (
    Setting("BULLETIN_DB", "~/.local/share/bulletin/bulletins.db",
            "the SQLite database, the source of truth (`--db` overrides it; `XDG_DATA_HOME` moves the default)"),
    Setting("BULLETIN_CACHE_DIR", "~/.cache/bulletin", "where jieba keeps its dictionary cache"),
    Setting("TELEGRAM_BOT_TOKEN", "(required by `serve`)", "the bot's token from @BotFather; never logged"),
    Setting("BULLETIN_ADMIN_IDS", "(none)",
            "comma-separated Telegram user ids allowed to upload bulletins, `/reindex` and `/stats`"),
    Setting("TELEGRAM_BASE_URL", "https://api.telegram.org/bot", "Bot API endpoint (a local Bot API server)"),
    Setting("TELEGRAM_BASE_FILE_URL", "https://api.telegram.org/file/bot", "Bot API file download endpoint"),
)


@dataclass(frozen=True, slots=True)
class BotSettings:
    """What `bulletin serve` needs, checked."""

    token: str
    admin_ids: frozenset[int]
    base_url: str
    base_file_url: str

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> BotSettings:
        """Read the bot's settings from the environment (see load_dotenv for the .env file)."""
        values = os.environ if env is None else env
        token = values.get("TELEGRAM_BOT_TOKEN", "").strip()
        if not token:
            raise SettingsError("TELEGRAM_BOT_TOKEN is not set; get a token from @BotFather and export it")
        if any(c.isspace() or c == "/" for c in token):
            raise SettingsError("TELEGRAM_BOT_TOKEN is malformed (it looks like 123456:ABC-DEF…)")
        return cls(token=token, admin_ids=parse_admin_ids(values.get("BULLETIN_ADMIN_IDS", "")),
                   base_url=_url(values, "TELEGRAM_BASE_URL"), base_file_url=_url(values, "TELEGRAM_BASE_FILE_URL"))


def parse_admin_ids(text: str) -> frozenset[int]:
    """Parse "123, 456" into user ids; anything that is not a whole number is an error."""
    ids = set()
    for part in text.replace(" ", "").split(","):
        if not part:
            continue
        if not part.lstrip("-").isdigit():
            raise SettingsError(f"BULLETIN_ADMIN_IDS: {part!r} is not a Telegram user id (expected numbers like 12345)")
        ids.add(int(part))
    return frozenset(ids)


def load_dotenv(path: Path = Path(".env"), environ: MutableMapping[str, str] | None = None) -> None:
    """Fill unset settings from a .env file (the environment wins); a missing file changes nothing."""
    target = os.environ if environ is None else environ
    for key, value in read_dotenv(path).items():
        target.setdefault(key, value)


def read_dotenv(path: Path) -> dict[str, str]:
    """Read KEY=VALUE lines of a .env file (comments, blank lines, `export` and quotes allowed); {} if absent."""
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except (OSError, UnicodeDecodeError):
        return {}
    values = {}
    for line in lines:
        line = line.strip().removeprefix("export ").strip()
        if not line or line.startswith("#") or "=" not in line:
            continue
        key, value = (part.strip() for part in line.split("=", 1))
        if len(value) >= 2 and value[0] == value[-1] and value[0] in "'\"":
            value = value[1:-1]
        values[key] = value
    return values


def _url(values: Mapping[str, str], name: str) -> str:
    default = next(s.default for s in SETTINGS if s.name == name)
    url = values.get(name, "").strip() or default
    if not url.startswith(("http://", "https://")):
        raise SettingsError(f"{name} must be an http(s) URL, not {url!r}")
    return url.rstrip("/")
