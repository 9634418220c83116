"""One request body through the WAF: decoded when compressed, first window for the whole ACL, the
rest through the managed groups' streamed scan, wire bytes released only once inspected.

Shared by the proxy server (``server/handler.py``) and ``WafMiddleware``; the engine parts are pure
(``engine.bodycodec``, ``engine.bodystream``), this adds the bookkeeping of what the upstream may
receive: the original (possibly compressed) bytes, held back until the decoded bytes they carry
were scanned. A streamed match raises ``BodyBlocked``: the adapter aborts the upstream request (the
application sees a truncated body or a reset, never a complete request) and answers the client
with the decision's normal block response.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Literal

from wafproxy.engine.bodycodec import (
    BodyDecoder,
    DecodeLimits,
    DecompressionRefused,
    UnsupportedEncoding,
    encoding_of,
)
from wafproxy.engine.bodystream import BodyStream, StreamPolicy, stream_plan
from wafproxy.engine.compiler import CompiledWebACL
from wafproxy.engine.decision import Decision
from wafproxy.engine.request import WafRequest
from wafproxy.settings import Settings

# Refusals of a body we cannot inspect: (status, reason for metrics, answer).
BOMB = (413, "decompression_bomb", b"Payload Too Large: the request body decompresses past the limit\n")
UNSUPPORTED = (415, "unsupported_content_encoding",
               b"Unsupported Media Type: this Content-Encoding cannot be inspected\n")


@dataclass(frozen=True, slots=True)
class BodyPolicy:
    """Settings of body inspection beyond AWS semantics (README "Body inspection")."""

    stream: StreamPolicy = field(default_factory=StreamPolicy)
    decode: DecodeLimits = field(default_factory=DecodeLimits)
    unknown_encoding: Literal["refuse", "forward"] = "refuse"

    @classmethod
    def of(cls, settings: Settings) -> BodyPolicy:
        """From ``wafproxy serve`` settings (``--body-inspection-cap`` ...)."""
        over: Literal["MATCH", "CONTINUE"] = "MATCH" if settings.body_over_cap == "match" else "CONTINUE"
        return cls(StreamPolicy(cap=settings.body_inspection_cap, oversize=over),
                   DecodeLimits(settings.max_decompressed_body, settings.max_decompression_ratio),
                   settings.unknown_content_encoding)


class BodyBlocked(Exception):
    """A streamed window matched a managed rule: refuse the request with ``decision``."""

    def __init__(self, decision: Decision) -> None:
        super().__init__(decision.terminating_rule_id)
        self.decision = decision


class BodyRefused(Exception):
    """The body cannot be inspected (bomb 413, unknown encoding 415): ``refusal`` = (status,
    reason, body)."""

    def __init__(self, refusal: tuple[int, str, bytes]) -> None:
        super().__init__(refusal[1])
        self.refusal = refusal


class BodyReader:
    """Per request: feed it the wire bytes as they arrive; it says what may be forwarded."""

    __slots__ = ("policy", "acl", "decoder", "stream", "_wire", "_held", "_decoded", "_size")

    def __init__(self, policy: BodyPolicy, acl: CompiledWebACL, encodings: Iterable[str]) -> None:
        """Raises ``BodyRefused`` (415) for an encoding it cannot decode, unless set to forward."""
        self.policy = policy
        self.acl = acl
        self.decoder: BodyDecoder | None = None
        self.stream: BodyStream | None = None
        self._held: list[bytes] = []  # wire bytes not yet released to the upstream
        self._decoded: list[bytes] = []  # decoded bytes of the first window (and what overshoots)
        self._size = 0
        try:
            coding = encoding_of(tuple(encodings))
            if coding != "identity":
                self.decoder = BodyDecoder(coding, policy.decode)
        except UnsupportedEncoding:
            if policy.unknown_encoding == "refuse":
                raise BodyRefused(UNSUPPORTED) from None

    @property
    def size(self) -> int:
        """Decoded bytes read so far (the first window)."""
        return self._size

    def first(self, chunk: bytes) -> None:
        """A chunk of the first window (read before the ACL decides)."""
        self._held.append(chunk)
        decoded = self._decode(chunk)
        if decoded:
            self._decoded.append(decoded)
            self._size += len(decoded)

    def window(self) -> bytes:
        """The decoded bytes read so far (the caller cuts them at the inspection limit)."""
        return b"".join(self._decoded)

    def start(self, request: WafRequest, complete: bool) -> Decision | None:
        """The ACL allowed ``request``: stream the rest through the managed groups (when the body
        goes past the window and the ACL has managed groups). ``complete``: every wire byte was
        read already; then everything is scanned now. A decision: refuse the request."""
        whole = self.window()
        self._decoded = []
        rest = whole[len(request.body):]
        if complete and not rest:  # the common case: the whole body was in the first window
            return self.finish()
        plan = stream_plan(self.acl)
        if plan is not None and self.policy.stream.cap > len(request.body) and (rest or not complete):
            self.stream = BodyStream(plan, self.policy.stream, request)
        found = self._scan(rest)
        if found is None and complete:
            found = self.finish()
        return found

    def push(self, chunk: bytes) -> bytes:
        """A later wire chunk; returns the wire bytes now cleared for the upstream (maybe none).
        Raises ``BodyBlocked`` on a match, ``BodyRefused`` on a bomb."""
        self._held.append(chunk)
        found = self._scan(self._decode(chunk))
        if found is not None:
            raise BodyBlocked(found)
        return self.release()

    def end(self) -> bytes:
        """The body ended: scan what is pending; returns the last wire bytes."""
        found = self.finish()
        if found is not None:
            raise BodyBlocked(found)
        return self._take()

    def finish(self) -> Decision | None:
        if self.decoder is not None:
            try:
                tail = self.decoder.finish()
            except DecompressionRefused:
                raise BodyRefused(BOMB) from None
            found = self._scan(tail)
            if found is not None:
                return found
        return self.stream.finish() if self.stream is not None else None

    def release(self) -> bytes:
        """The held wire bytes, when every decoded byte they carry was scanned; else nothing."""
        if self.stream is not None and self.stream.pending:
            return b""
        return self._take()

    def _take(self) -> bytes:
        held = self._held
        if not held:
            return b""
        self._held = []
        return held[0] if len(held) == 1 else b"".join(held)

    def _decode(self, chunk: bytes) -> bytes:
        if self.decoder is None:
            return chunk
        try:
            return self.decoder.feed(chunk)
        except DecompressionRefused:
            raise BodyRefused(BOMB) from None

    def _scan(self, decoded: bytes) -> Decision | None:
        stream = self.stream
        if stream is None or not decoded:
            return None
        return stream.feed(decoded)
