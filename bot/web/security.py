"""The site's guards (web room): signed session cookies, CSRF tokens, the admin token check and a per-address pace."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import secrets
import time
from collections import OrderedDict
from dataclasses import dataclass

COOKIE = "bulletin_session"
SESSION_SECONDS = 12 * 3600  # an admin login lasts a working day
FORGET_AT = 10_000  # addresses remembered by the pace before the oldest are forgotten


@dataclass(frozen=True, slots=True)
class Session:
    """One browser's session: an anonymous id (for votes), its CSRF token, and whether it logged in as admin."""

    sid: str
    csrf: str
    admin: bool
    expires: float

    @classmethod
    def new(cls, *, admin: bool = False, now: float | None = None) -> Session:
        """A fresh session with its own id and CSRF token."""
        return cls(secrets.token_urlsafe(12), secrets.token_urlsafe(24), admin,
                   (time.time() if now is None else now) + SESSION_SECONDS)

    @property
    def user_id(self) -> int:
        """A number standing for this browser, as a Telegram user id stands for a person (hashed before storing)."""
        return int.from_bytes(hashlib.sha256(self.sid.encode()).digest()[:7], "big")


class Sessions:
    """Sign and read session cookies, and remember the ones logged out until they expire."""

    def __init__(self, admin_token: str | None) -> None:
        self.admin_token = admin_token
        # a random key of this run's own: a cookie signed with one derived from the token alone would let anyone
        # holding a visitor's cookie test guesses of the token offline (a restart asks admins to log in again)
        self._key = hashlib.sha256(secrets.token_bytes(32) + (admin_token or "").encode()).digest()
        self._ended: dict[str, float] = {}  # sid -> expiry: logged out, refused until it would have expired anyway

    def end(self, session: Session) -> None:
        """Refuse a session's cookie from now on (a logout: a copy of the cookie kept elsewhere is worth nothing)."""
        now = time.time()
        self._ended = {sid: until for sid, until in self._ended.items() if until > now}
        self._ended[session.sid] = session.expires

    def dump(self, session: Session) -> str:
        """The cookie value: the session as JSON, base64url, then its HMAC."""
        body = base64.urlsafe_b64encode(json.dumps(
            [session.sid, session.csrf, session.admin, int(session.expires)]).encode()).decode().rstrip("=")
        return f"{body}.{self._sign(body)}"

    def load(self, value: str | None, now: float | None = None) -> Session | None:
        """The session a cookie holds, or None when it is missing, forged, malformed or expired."""
        if not value or value.count(".") != 1:
            return None
        body, mac = value.split(".")
        if not hmac.compare_digest(mac, self._sign(body)):
            return None
        try:
            sid, csrf, admin, expires = json.loads(base64.urlsafe_b64decode(body + "=" * (-len(body) % 4)))
        except (ValueError, TypeError):
            return None
        if not (isinstance(sid, str) and isinstance(csrf, str) and isinstance(admin, bool)
                and isinstance(expires, int)) or expires < (time.time() if now is None else now) or sid in self._ended:
            return None
        return Session(sid, csrf, admin and self.admin_token is not None, float(expires))

    def token_ok(self, given: str | None) -> bool:
        """Whether given is the admin token (compared in constant time; never when no token is configured)."""
        if not self.admin_token or not given:
            return False
        return hmac.compare_digest(given.encode(), self.admin_token.encode())

    def bearer_ok(self, header: str | None) -> bool:
        """Whether an Authorization header carries the admin token as a Bearer token."""
        scheme, _, token = (header or "").partition(" ")
        return scheme.lower() == "bearer" and self.token_ok(token.strip())

    def _sign(self, body: str) -> str:
        return base64.urlsafe_b64encode(hmac.new(self._key, body.encode(), hashlib.sha256).digest()[:18]).decode()


def csrf_ok(session: Session | None, given: str | None) -> bool:
    """Whether a form's or header's CSRF token is the session's own."""
    return session is not None and bool(given) and hmac.compare_digest(session.csrf.encode(), (given or "").encode())


class Pace:
    """A per-address allowance (GCRA): per_minute requests a minute, a tenth of them at once."""

    def __init__(self, per_minute: int) -> None:
        self.interval = 60.0 / per_minute
        self.burst = max(1, per_minute // 10) * self.interval
        self._due: OrderedDict[str, float] = OrderedDict()

    def allow(self, address: str, now: float | None = None) -> bool:
        """Take one request from the address's allowance; False (taking nothing) when it is spent."""
        now = time.monotonic() if now is None else now
        due = max(self._due.get(address, now), now)
        if due - now > self.burst:
            return False
        self._due[address] = due + self.interval
        self._due.move_to_end(address)
        while len(self._due) > FORGET_AT:
            self._due.popitem(last=False)
        return True
