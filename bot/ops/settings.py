"""Settings: every environment setting declared once (name, default, meaning), read and checked at start-up."""

from __future__ import annotations

import difflib
import io
import os
import re
from collections.abc import Mapping, MutableMapping
from dataclasses import dataclass
from pathlib import Path

from dotenv import dotenv_values

from index import LIMITS, BulletinError, Limits


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
            "comma-separated Telegram user ids allowed to upload bulletins and use `/reindex`, `/stats`, `/issues`, `/remove`"),
    Setting("TELEGRAM_BASE_URL", "https://api.telegram.org/bot", "Bot API endpoint (a local Bot API server)"),
    Setting("TELEGRAM_BASE_FILE_URL", "https://api.telegram.org/file/bot", "Bot API file download endpoint"),
    Setting("BULLETIN_MAX_FILE_MB", "20", "largest bulletin file accepted (Telegram bots can download 20 MB at most)"),
    Setting("BULLETIN_PARSE_SECONDS", "30", "time a PDF or .docx may take to read, in a child process, before it is refused"),
    Setting("BULLETIN_PARSE_MEMORY_MB", "512", "memory that child process may use (a decompression bomb hits this)"),
    Setting("BULLETIN_MAX_PAGES", "500", "most pages a PDF may have"),
    Setting("BULLETIN_MAX_CHARS", "5000000",
            "most characters of text one file may hold (a bulletin holds thousands; a .docx of 200 KB can unpack to 60 M)"),
    Setting("BULLETIN_LOG_LEVEL", "INFO",
            "`serve`'s log level: DEBUG, INFO (a line per question), WARNING or ERROR; the token is never logged"),
    Setting("BULLETIN_MODEL", "(the bundled data/figure_model.json)",
            "the figure chooser's weights file, as `python -m bot.tools.train --out` writes it (for developers)"),
    Setting("BULLETIN_HEALTH_MAX_AGE", "120",
            "seconds since the running bot's last successful poll of Telegram after which `bulletin health` fails"),
    Setting("BULLETIN_WEB_ADMIN_TOKEN", "(none: the site is read-only)",
            "`bulletin web`'s admin token: typed into its login form, or sent as `Authorization: Bearer …` to "
            "upload; at least 16 characters; never logged"),
    Setting("BULLETIN_WEB_ASK_PER_MINUTE", "60", "questions one address may ask `bulletin web` a minute"),
    Setting("BULLETIN_WEB_PROXIED", "0",
            "1 when `bulletin web` sits behind a reverse proxy: the client's address and https are read from the "
            "proxy's X-Forwarded-For and X-Forwarded-Proto (set it only then: a client could forge them)"),
)
LOG_LEVELS = ("DEBUG", "INFO", "WARNING", "ERROR")

_CLOSE = 0.8  # how alike a variable's prefix must be to BULLETIN to be taken for a misspelling of it
_ID_SEPARATORS = re.compile(r"[,\s]+")
_USER_ID = re.compile(r"[0-9]+", re.ASCII)

_LIMITS = {"BULLETIN_MAX_FILE_MB": "max_bytes", "BULLETIN_PARSE_SECONDS": "seconds",
           "BULLETIN_PARSE_MEMORY_MB": "memory_mb", "BULLETIN_MAX_PAGES": "pages", "BULLETIN_MAX_CHARS": "max_chars"}


def check_environment(env: Mapping[str, str] | None = None) -> None:
    """Refuse, at start-up, an unknown BULLETIN_* setting (a typo would be silently ignored) or a malformed value."""
    values = os.environ if env is None else env
    known = {s.name for s in SETTINGS}
    for name in sorted(values):
        prefix, _, rest = name.partition("_")
        if prefix != "BULLETIN" and rest and difflib.SequenceMatcher(None, prefix, "BULLETIN").ratio() >= _CLOSE:
            # BULETIN_LOG_LEVEL would be ignored as silently as BULLETIN_LOG_LEVL: the prefix is a typo too
            meant = f"BULLETIN_{rest}"
            close = difflib.get_close_matches(meant, known, n=1)
            raise SettingsError(f"unknown setting {name}; did you mean {close[0] if close else meant}?")
        if name.startswith("BULLETIN_") and name not in known:
            # compared without the shared prefix, which would make every name look close
            stems = {k.removeprefix("BULLETIN_"): k for k in known}
            close = difflib.get_close_matches(name.removeprefix("BULLETIN_"), stems, n=1)
            hint = (f"; did you mean {stems[close[0]]}?" if close
                    else f"; the settings are: {', '.join(sorted(known))}")
            raise SettingsError(f"unknown setting {name}{hint}")
    read_limits(values)
    read_log_level(values)
    read_health_max_age(values)
    parse_admin_ids(values.get("BULLETIN_ADMIN_IDS", ""))
    WebSettings.from_env(values)
    _url(values, "TELEGRAM_BASE_URL")
    _url(values, "TELEGRAM_BASE_FILE_URL")


def read_log_level(env: Mapping[str, str] | None = None) -> str:
    """The log level BULLETIN_LOG_LEVEL names (INFO by default)."""
    values = os.environ if env is None else env
    level = values.get("BULLETIN_LOG_LEVEL", "").strip().upper() or "INFO"
    if level not in LOG_LEVELS:
        raise SettingsError(f"BULLETIN_LOG_LEVEL: {level!r} is not one of {', '.join(LOG_LEVELS)}")
    return level


def read_health_max_age(env: Mapping[str, str] | None = None) -> float:
    """Seconds a heartbeat may be old before `bulletin health` calls the bot stuck."""
    values = os.environ if env is None else env
    text = values.get("BULLETIN_HEALTH_MAX_AGE", "").strip() or _default("BULLETIN_HEALTH_MAX_AGE")
    if not text.isdigit() or int(text) < 15:
        # a poll waits up to 10 s for updates, so anything shorter would fail a healthy bot
        raise SettingsError(f"BULLETIN_HEALTH_MAX_AGE: {text!r} is not a whole number of seconds, at least 15")
    return float(text)


def read_limits(env: Mapping[str, str] | None = None) -> Limits:
    """Read the limits on reading a bulletin file from the environment; a malformed value is an error."""
    values = os.environ if env is None else env
    chosen: dict[str, int] = {}
    for setting in SETTINGS:
        if setting.name not in _LIMITS:
            continue
        text = values.get(setting.name, "").strip() or setting.default
        if not text.isdigit() or int(text) <= 0:
            raise SettingsError(f"{setting.name}: {text!r} is not a positive whole number")
        number = int(text)
        if setting.name == "BULLETIN_PARSE_MEMORY_MB" and number < 128:
            raise SettingsError(f"{setting.name}: {number} MB is too little to start a reader (at least 128)")
        chosen[_LIMITS[setting.name]] = number * 1_000_000 if setting.name == "BULLETIN_MAX_FILE_MB" else number
    return Limits(**chosen)


@dataclass(frozen=True, slots=True)
class BotSettings:
    """What `bulletin serve` needs, checked."""

    token: str
    admin_ids: frozenset[int]
    base_url: str
    base_file_url: str
    limits: Limits = LIMITS

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
                   base_url=_url(values, "TELEGRAM_BASE_URL"), base_file_url=_url(values, "TELEGRAM_BASE_FILE_URL"),
                   limits=read_limits(values))


@dataclass(frozen=True, slots=True)
class WebSettings:
    """What `bulletin web` needs, checked."""

    admin_token: str | None  # None: nobody may change anything through the site
    ask_per_minute: int
    limits: Limits = LIMITS
    proxied: bool = False  # behind a reverse proxy: its X-Forwarded-* headers are believed

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> WebSettings:
        """Read the site's settings from the environment."""
        values = os.environ if env is None else env
        token = values.get("BULLETIN_WEB_ADMIN_TOKEN", "").strip() or None
        if token is not None and (len(token) < 16 or any(c.isspace() for c in token)):
            # the token is all that stands between the network and an upload: a short one is guessed
            raise SettingsError("BULLETIN_WEB_ADMIN_TOKEN must be at least 16 characters with no spaces "
                                "(e.g. the output of: python -c 'import secrets; print(secrets.token_urlsafe())')")
        text = values.get("BULLETIN_WEB_ASK_PER_MINUTE", "").strip() or _default("BULLETIN_WEB_ASK_PER_MINUTE")
        if not text.isdigit() or int(text) <= 0:
            raise SettingsError(f"BULLETIN_WEB_ASK_PER_MINUTE: {text!r} is not a positive whole number")
        proxied = values.get("BULLETIN_WEB_PROXIED", "").strip() or "0"
        if proxied not in ("0", "1"):
            raise SettingsError(f"BULLETIN_WEB_PROXIED: {proxied!r} is not 0 or 1")
        return cls(admin_token=token, ask_per_minute=int(text), limits=read_limits(values), proxied=proxied == "1")


def parse_admin_ids(text: str) -> frozenset[int]:
    """Parse "123, 456" or "123 456" into user ids; an entry that is not plain ASCII digits is an error."""
    ids = set()
    for part in _ID_SEPARATORS.split(text.strip()):
        if not part:
            continue
        # the separators split first: "7001 7002" is two ids, never 70017002; and isdigit() would take "²"
        if not _USER_ID.fullmatch(part):
            raise SettingsError(f"BULLETIN_ADMIN_IDS: {part!r} is not a Telegram user id "
                                "(expected numbers like 12345, separated by commas or spaces)")
        ids.add(int(part))
    return frozenset(ids)


def load_dotenv(path: Path = Path(".env"), environ: MutableMapping[str, str] | None = None) -> None:
    """Fill unset settings from a .env file (the environment wins); a missing file changes nothing."""
    target = os.environ if environ is None else environ
    for key, value in read_dotenv(path).items():
        target.setdefault(key, value)


def read_dotenv(path: Path) -> dict[str, str]:
    """Read a .env file as a person means it (python-dotenv: quotes, `export`, an inline `# comment`); {} if absent."""
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError):
        return {}
    # a bare KEY with no = has no value (None): it sets nothing
    return {key: value for key, value in dotenv_values(stream=io.StringIO(text)).items() if value is not None}


def _default(name: str) -> str:
    return next(s.default for s in SETTINGS if s.name == name)


def _url(values: Mapping[str, str], name: str) -> str:
    url = values.get(name, "").strip() or _default(name)
    if not url.startswith(("http://", "https://")):
        raise SettingsError(f"{name} must be an http(s) URL, not {url!r}")
    return url.rstrip("/")
