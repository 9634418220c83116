"""HTTP probes, rate-limited and bounded, recorded as plain values the checks (and the Observatory
grader comparison) read.

Probes are spaced by ``min_interval`` across the whole assessment so a periodic run never competes
with real traffic (issue 13); bodies are read up to ``max_body`` bytes; redirects are followed by
hand (at most ``MAX_REDIRECTS``, same host only: the assessment contacts nothing it was not given) so the
chain is recorded, as Observatory's redirection test needs.
A TLS verification failure is retried unverified and marked ``verified=False`` (as httpobs does), so
header checks still run and the TLS family reports the certificate.
The clients are built on a thread, once per prober and verification mode: a default SSL context
loads the system's CA store (tens of milliseconds) and the prober shares the event loop of the
proxy it assesses.
"""

from __future__ import annotations

import asyncio
import contextlib
import importlib
import ssl
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urljoin, urlsplit

import httpx

MAX_REDIRECTS = 5
DEFAULT_MAX_BODY = 256 * 1024
USER_AGENT = "wafproxy-assessor/1 (+https://github.com/wafproxy)"


@dataclass(frozen=True, slots=True)
class Recorded:
    """One response (the final one of a redirect chain). ``error`` set: nothing answered."""

    url: str
    status: int = 0
    headers: tuple[tuple[str, str], ...] = ()
    body: bytes = b""
    history: tuple[tuple[str, int], ...] = ()  # (url, status) of each redirect hop, in order
    verified: bool = True
    error: str | None = None
    request_headers: tuple[tuple[str, str], ...] = ()

    def header(self, name: str) -> str | None:
        """The first value of ``name`` (case-insensitive), or None."""
        low = name.lower()
        return next((v for k, v in self.headers if k.lower() == low), None)

    def all(self, name: str) -> list[str]:
        low = name.lower()
        return [v for k, v in self.headers if k.lower() == low]

    @property
    def content_type(self) -> str:
        return (self.header("content-type") or "").split(";")[0].strip().lower()

    @property
    def text(self) -> str:
        return self.body.decode("utf-8", "replace")


@dataclass(slots=True)
class Prober:
    """An ``httpx.AsyncClient`` with a global pace. ``close()`` when done."""

    min_interval: float = 0.01
    timeout: float = 3.0
    max_body: int = DEFAULT_MAX_BODY
    ca_file: Path | None = None
    count: int = 0
    _last: float = 0.0
    _lock: asyncio.Lock = field(default_factory=asyncio.Lock)
    _clients: dict[bool, httpx.AsyncClient] = field(default_factory=dict)
    _building: asyncio.Lock = field(default_factory=asyncio.Lock)

    async def _client(self, verify: bool) -> httpx.AsyncClient:
        client = self._clients.get(verify)
        if client is None:
            async with self._building:  # concurrent probes wait for the one build
                client = self._clients.get(verify)
                if client is None:
                    client = self._clients[verify] = await asyncio.to_thread(self._build, verify)
        return client

    def _build(self, verify: bool) -> httpx.AsyncClient:
        """A client (on a worker thread: nothing here binds to the event loop until first use)."""
        # httpcore's first lock imports anyio's asyncio backend (tens of milliseconds): here, not
        # on the loop at the first probe. Only where the import happens changes.
        with contextlib.suppress(ImportError):
            importlib.import_module("anyio._backends._asyncio")
        context: ssl.SSLContext | bool = False
        if verify:
            context = ssl.create_default_context(cafile=str(self.ca_file) if self.ca_file else None)
        return httpx.AsyncClient(
            verify=context,
            timeout=self.timeout,
            follow_redirects=False,
            trust_env=False,
            headers={"user-agent": USER_AGENT},
        )

    async def _pace(self) -> None:
        async with self._lock:
            wait = self._last + self.min_interval - time.monotonic()
            if wait > 0:
                await asyncio.sleep(wait)
            self._last = time.monotonic()
            self.count += 1

    async def get(
        self, url: str, headers: Mapping[str, str] | None = None, *, follow: bool = True, method: str = "GET"
    ) -> Recorded:
        history: list[tuple[str, int]] = []
        verified = True
        current = url
        for _ in range(MAX_REDIRECTS + 1):
            try:
                status, hdrs, body, sent = await self._one(method, current, headers, verified)
            except httpx.ConnectError as exc:
                if verified and _is_tls_failure(exc):
                    verified = False
                    continue
                return Recorded(url=current, history=tuple(history), verified=verified, error=_why(exc))
            except httpx.HTTPError as exc:
                return Recorded(url=current, history=tuple(history), verified=verified, error=_why(exc))
            location = next((v for k, v in hdrs if k == "location"), None)
            if follow and status in (301, 302, 303, 307, 308) and location:
                history.append((current, status))
                nxt = urljoin(current, location)
                if urlsplit(nxt).hostname != urlsplit(current).hostname:
                    # Offline: never follow to a host we were not given. The chain is recorded as
                    # far as Location says (Observatory's redirection test needs only the URLs).
                    return Recorded(nxt, status, hdrs, b"", tuple(history), verified, None, sent)
                current = nxt
                continue
            return Recorded(current, status, hdrs, body, tuple(history), verified, None, sent)
        return Recorded(url=current, history=tuple(history), verified=verified, error="too many redirects")

    async def _one(
        self, method: str, url: str, headers: Mapping[str, str] | None, verify: bool
    ) -> tuple[int, tuple[tuple[str, str], ...], bytes, tuple[tuple[str, str], ...]]:
        await self._pace()
        client = await self._client(verify)
        request = client.build_request(method, url, headers=dict(headers or {}))
        response = await client.send(request, stream=True)
        try:
            chunks: list[bytes] = []
            size = 0
            async for chunk in response.aiter_bytes():  # decoded (gzip…), still capped at max_body
                chunks.append(chunk)
                size += len(chunk)
                if size >= self.max_body:
                    break
            body = b"".join(chunks)[: self.max_body]
        finally:
            await response.aclose()
        hdrs = tuple((k.decode("latin-1").lower(), v.decode("latin-1")) for k, v in response.headers.raw)
        sent = tuple((k.decode("latin-1").lower(), v.decode("latin-1")) for k, v in request.headers.raw)
        return response.status_code, hdrs, body, sent

    async def get_many(self, urls: Sequence[str]) -> list[Recorded]:
        return list(await asyncio.gather(*(self.get(u, follow=False) for u in urls)))

    async def close(self) -> None:
        for client in self._clients.values():
            await client.aclose()
        self._clients.clear()


def _is_tls_failure(exc: BaseException) -> bool:
    seen: BaseException | None = exc
    while seen is not None:
        if isinstance(seen, ssl.SSLError):
            return True
        seen = seen.__cause__ or seen.__context__
    return "CERTIFICATE_VERIFY_FAILED" in str(exc)


def _why(exc: BaseException) -> str:
    text = str(exc) or type(exc).__name__
    return f"{type(exc).__name__}: {text}"[:300]
