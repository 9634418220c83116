"""Console sign-in, sessions and CSRF protection.

Sign-in takes an access key pair from the credentials INI (the same keys as the APIs) and compares
the secret in constant time (``hmac.compare_digest``; an unknown key id is compared against a dummy
so timing does not say which ids exist). A session is a random 256-bit id in a cookie that is
``HttpOnly``, ``SameSite=Strict``, ``Path=/console`` and ``Secure`` under TLS; the server keeps
sessions in a bounded table with idle and absolute lifetimes. Every change is a POST carrying the
session's CSRF token (a hidden form field, never in a URL) *and* coming from our own origin
(``Origin``/``Sec-Fetch-Site``): a page on another origin holding a stolen cookie is refused even
if it somehow learnt the token. Failed sign-ins are limited per client address.
"""

from __future__ import annotations

import hmac
import secrets
import threading
import time
from collections import OrderedDict
from dataclasses import dataclass, field

from wafproxy.awsapi.credentials import CredentialStore, Principal

COOKIE = "wafproxy_console"
IDLE_SECONDS = 3600.0
MAX_AGE_SECONDS = 8 * 3600.0
MAX_SESSIONS = 1000
MAX_FAILURES_PER_MINUTE = 10
MAX_TRACKED_CLIENTS = 10_000
_DUMMY_SECRET = secrets.token_urlsafe(30)


@dataclass(slots=True)
class Session:
    sid: str
    principal: Principal
    csrf: str
    created: float
    seen: float = field(default=0.0)


def check_secret(credentials: CredentialStore, access_key_id: str, secret: str) -> Principal | None:
    """The principal whose key pair this is, compared in constant time; None otherwise."""
    principal = credentials.lookup(access_key_id.strip()) if 0 < len(access_key_id) <= 128 else None
    expected = principal.secret_access_key if principal is not None else _DUMMY_SECRET
    same = hmac.compare_digest(expected.encode(), secret.encode()[:256])
    return principal if same and principal is not None else None


class Sessions:
    """Bounded: the oldest session is evicted when ``MAX_SESSIONS`` are live."""

    def __init__(self, clock: object = time) -> None:
        self._sessions: OrderedDict[str, Session] = OrderedDict()
        self._failures: dict[str, list[float]] = {}
        self._lock = threading.Lock()

    def create(self, principal: Principal, now: float) -> Session:
        session = Session(secrets.token_urlsafe(32), principal, secrets.token_urlsafe(32), now, now)
        with self._lock:
            while len(self._sessions) >= MAX_SESSIONS:
                self._sessions.popitem(last=False)
            self._sessions[session.sid] = session
        return session

    def get(self, sid: str | None, now: float) -> Session | None:
        if not sid or len(sid) > 128:
            return None
        with self._lock:
            session = self._sessions.get(sid)
            if session is None:
                return None
            if now - session.seen > IDLE_SECONDS or now - session.created > MAX_AGE_SECONDS:
                del self._sessions[sid]
                return None
            session.seen = now
            return session

    def end(self, sid: str) -> None:
        with self._lock:
            self._sessions.pop(sid, None)

    def throttled(self, client: str, now: float) -> bool:
        """True when ``client`` failed to sign in too often in the last minute."""
        with self._lock:
            recent = [t for t in self._failures.get(client, []) if now - t < 60.0]
            if recent:
                self._failures[client] = recent
            else:
                self._failures.pop(client, None)
            return len(recent) >= MAX_FAILURES_PER_MINUTE

    def failed(self, client: str, now: float) -> None:
        with self._lock:
            if client not in self._failures and len(self._failures) >= MAX_TRACKED_CLIENTS:
                self._failures.pop(next(iter(self._failures)))
            self._failures.setdefault(client, []).append(now)


def cookie_header(sid: str, *, secure: bool, clear: bool = False) -> str:
    parts = [f"{COOKIE}={'' if clear else sid}", "Path=/console", "HttpOnly", "SameSite=Strict"]
    if secure:
        parts.append("Secure")
    parts.append("Max-Age=0" if clear else f"Max-Age={int(MAX_AGE_SECONDS)}")
    return "; ".join(parts)


def same_origin(headers: dict[str, str], scheme: str, host: str) -> bool:
    """The request comes from a page of ours (or from no page at all: a typed URL, curl)."""
    site = headers.get("sec-fetch-site")
    if site is not None and site not in ("same-origin", "none"):
        return False
    origin = headers.get("origin")
    if origin is not None:
        return origin == f"{scheme}://{host}"
    return True


def csrf_ok(session: Session, token: str | None) -> bool:
    return token is not None and hmac.compare_digest(session.csrf.encode(), token.encode()[:128])
