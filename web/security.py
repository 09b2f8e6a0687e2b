"""Security headers on every response, and the checks that keep the admin to its owner.

Headers (also on errors, static files and the answer stream): a CSP allowing only the
page's own scripts and styles (the templates have no inline script or style; htmx's own
indicator style is turned off in layout.html and lives in app.css), no framing, no MIME
sniffing, no referrer to other sites. uvicorn's ``Server`` banner is switched off where the
server starts (``assistent serve``).

Admin without ``ASSISTENT_WEB_ADMIN_TOKEN``: only requests from this machine (loopback),
and never requests that came through a proxy (they carry ``X-Forwarded-For``/``Forwarded``;
behind a proxy on the same machine every client would otherwise look local). State-changing
admin requests from a browser must come from the same origin (``Origin``/``Sec-Fetch-Site``),
so another site cannot make a logged-in browser upload files.
"""

from __future__ import annotations

import hashlib
import ipaddress
import logging
import secrets
import sqlite3
import threading
import time
from pathlib import Path
from urllib.parse import urlsplit

from fastapi import Request
from starlette.types import ASGIApp, Message, Receive, Scope, Send

CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "connect-src 'self'; font-src 'self'; object-src 'none'; base-uri 'self'; form-action 'self'; "
    "frame-ancestors 'none'"
)
#: /docs and /redoc load Swagger UI/ReDoc from /static/vendor (no CDN: they work offline) and
#: start them with an inline script; they hold no user content, so only they get this looser policy.
DOCS_CSP = (
    "default-src 'self'; script-src 'self' 'unsafe-inline'; style-src 'self' 'unsafe-inline'; "
    "img-src 'self' data:; font-src 'self' data:; worker-src 'self' blob:; object-src 'none'; "
    "base-uri 'self'; frame-ancestors 'none'"
)
_DOCS_PATHS = {"/docs", "/redoc", "/docs/oauth2-redirect"}
HEADERS: dict[str, str] = {
    "Content-Security-Policy": CSP,
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "same-origin",
    "Cross-Origin-Opener-Policy": "same-origin",
    "Permissions-Policy": "camera=(), microphone=(), geolocation=()",
}
_RAW = [(k.lower().encode(), v.encode()) for k, v in HEADERS.items()]
_RAW_DOCS = [(k, DOCS_CSP.encode() if k == b"content-security-policy" else v) for k, v in _RAW]


class SecurityHeadersMiddleware:
    """Add HEADERS to every HTTP response (pure ASGI, so streaming responses keep streaming)."""

    def __init__(self, app: ASGIApp):
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        extra = _RAW_DOCS if scope["path"] in _DOCS_PATHS else _RAW

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                names = {k for k, _ in extra}
                kept = [
                    (k, v)
                    for k, v in message.get("headers", [])
                    if k.lower() not in names and k.lower() != b"server"
                ]
                message = {**message, "headers": kept + extra}
            await send(message)

        await self.app(scope, receive, send_with_headers)


def is_loopback_client(request: Request) -> bool:
    """True when the request comes straight from this machine (not through a proxy)."""
    if request.headers.get("x-forwarded-for") or request.headers.get("forwarded"):
        return False
    host = request.client.host if request.client else ""
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def is_same_origin(request: Request) -> bool:
    """False when a browser says the request comes from another site (CSRF); True for non-browser clients."""
    if request.headers.get("sec-fetch-site") in ("cross-site", "same-site"):
        return False
    origin = request.headers.get("origin")
    if origin is None:
        return True  # curl, scripts with X-Admin-Token; browsers send Origin on cross-site POSTs
    if origin == "null":
        return False
    host = request.headers.get("host", "")
    return urlsplit(origin).netloc.lower() == host.lower()


class RedactQueryFilter(logging.Filter):
    """Drop the query string from uvicorn's access log lines: questions and search words travel in
    it (``/fraga/strom?fraga=…``, ``/sok?q=…``) and must not reach a log file."""

    def filter(self, record: logging.LogRecord) -> bool:
        args = record.args
        if isinstance(args, tuple) and len(args) == 5 and isinstance(args[2], str) and "?" in args[2]:
            record.args = (args[0], args[1], args[2].split("?", 1)[0] + "?…", args[3], args[4])
        return True


def redact_access_log() -> None:
    """Install RedactQueryFilter on uvicorn's access logger (once)."""
    logger = logging.getLogger("uvicorn.access")
    if not any(isinstance(f, RedactQueryFilter) for f in logger.filters):
        logger.addFilter(RedactQueryFilter())


class _SharedTable:
    """A small SQLite file in the data directory, shared by every worker process of the server
    (``assistent serve --workers N``): a session made by one worker must be valid in the others."""

    def __init__(self, path: Path, schema: str):
        path.parent.mkdir(parents=True, exist_ok=True)
        self._db = sqlite3.connect(path, check_same_thread=False, isolation_level=None, timeout=10)
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.execute(schema)
        self._guard = threading.Lock()

    def rows(self, sql: str, args: tuple = ()) -> list[tuple]:
        with self._guard:
            return self._db.execute(sql, args).fetchall()


class AdminSessions:
    """Login sessions of the admin: random ids that expire and that logout revokes.

    The cookie used to be a fixed hash of the token: it never expired and logout could not
    revoke it. Only a hash of each id is stored (``<data>/web-sessions.sqlite``), so the file
    holds no usable cookie.
    """

    def __init__(self, path: Path, hours: float):
        self.ttl = hours * 3600
        self._t = _SharedTable(
            path, "CREATE TABLE IF NOT EXISTS sessions (id TEXT PRIMARY KEY, expires REAL NOT NULL)"
        )

    @staticmethod
    def _key(sid: str) -> str:
        return hashlib.sha256(sid.encode()).hexdigest()

    def create(self) -> str:
        sid = secrets.token_urlsafe(32)
        now = time.time()
        self._t.rows("DELETE FROM sessions WHERE expires <= ?", (now,))
        self._t.rows("INSERT INTO sessions VALUES (?, ?)", (self._key(sid), now + self.ttl))
        return sid

    def valid(self, sid: str) -> bool:
        rows = self._t.rows("SELECT expires FROM sessions WHERE id = ?", (self._key(sid),))
        return bool(rows) and rows[0][0] > time.time()

    def revoke(self, sid: str) -> None:
        self._t.rows("DELETE FROM sessions WHERE id = ?", (self._key(sid),))


class LoginLimiter:
    """At most ``attempts`` failed logins per client address within ``window_s`` (50 tries took 0.1 s),
    counted over all worker processes."""

    def __init__(self, path: Path, attempts: int = 5, window_s: float = 60.0):
        self.attempts, self.window_s = attempts, window_s
        self._t = _SharedTable(
            path, "CREATE TABLE IF NOT EXISTS login_failures (client TEXT NOT NULL, t REAL NOT NULL)"
        )

    def blocked(self, client: str) -> bool:
        since = time.time() - self.window_s
        return (
            self._t.rows("SELECT COUNT(*) FROM login_failures WHERE client = ? AND t > ?", (client, since))[
                0
            ][0]
            >= self.attempts
        )

    def failed(self, client: str) -> None:
        now = time.time()
        self._t.rows("DELETE FROM login_failures WHERE t <= ?", (now - self.window_s,))
        self._t.rows("INSERT INTO login_failures VALUES (?, ?)", (client, now))
