"""Request bodies sent with ``Content-Encoding``: inspected decompressed, with bounded output.

A gzip'd attack is opaque to every rule; the WAF inspects the decompressed bytes (the first window
by the whole ACL, the rest by the managed groups, ``bodystream``) while the upstream receives the
original compressed bytes, unchanged. Decompression is incremental (``zlib.decompressobj`` with
``max_length``), so a bomb never takes more than ``max_size`` bytes of work or one chunk of memory:

* ``max_size``: decompressed bytes in all; over it → ``DecompressionRefused`` (413);
* ``max_ratio``: decompressed / compressed bytes, checked once past 64 KB of output (short bodies
  compress well without being bombs); over it → ``DecompressionRefused`` (413).

Encodings: ``gzip`` (and ``x-gzip``), ``deflate`` (zlib-wrapped, or raw as some clients send it),
``br`` when the optional ``brotli`` package is installed, ``identity``. Anything else, several
stacked encodings included, raises ``UnsupportedEncoding``: the adapter answers 415, or forwards the
body uninspected when the operator chose that (``unknown_content_encoding: forward``).
Pure: no I/O.
"""

from __future__ import annotations

import zlib
from dataclasses import dataclass
from typing import Any

try:  # optional: `pip install brotli` enables Content-Encoding: br
    import brotli as _brotli
except ImportError:  # pragma: no cover - depends on the environment
    _brotli = None

_RATIO_FLOOR = 64 * 1024  # no ratio verdict on less output than this
_STEP = 64 * 1024  # decompressed bytes produced per call (memory bound of one step)


class DecompressionRefused(ValueError):
    """The body decompresses past the size or ratio cap (a decompression bomb): 413."""


class UnsupportedEncoding(ValueError):
    """A ``Content-Encoding`` we cannot decode: 415 (or forwarded uninspected, per setting)."""


@dataclass(frozen=True, slots=True)
class DecodeLimits:
    max_size: int = 10 * 1024 * 1024
    max_ratio: int = 100

    def __post_init__(self) -> None:
        if self.max_size < 1 or self.max_ratio < 1:
            raise ValueError("max_size and max_ratio must be >= 1")


def encoding_of(values: tuple[str, ...]) -> str:
    """The one content coding of a request (lower case), "identity" when none; several stacked
    codings raise ``UnsupportedEncoding`` (RFC 9110 §8.4 allows them; no client sends them)."""
    codings = [c.strip().lower() for v in values for c in v.split(",") if c.strip()]
    codings = [c for c in codings if c != "identity"]
    if not codings:
        return "identity"
    if len(codings) > 1:
        raise UnsupportedEncoding("stacked content codings: " + ", ".join(codings[:4]))
    return codings[0]


class BodyDecoder:
    """Incremental decompression of one body with the caps of ``DecodeLimits``."""

    __slots__ = ("encoding", "limits", "consumed", "produced", "_obj", "_raw_tried")

    def __init__(self, encoding: str, limits: DecodeLimits) -> None:
        self.encoding = encoding
        self.limits = limits
        self.consumed = 0
        self.produced = 0
        self._raw_tried = False
        self._obj: Any
        if encoding in ("gzip", "x-gzip"):
            self._obj = zlib.decompressobj(16 + zlib.MAX_WBITS)
        elif encoding == "deflate":
            self._obj = zlib.decompressobj(zlib.MAX_WBITS)
        elif encoding == "br":
            if _brotli is None:
                raise UnsupportedEncoding("br (install the optional 'brotli' package to inspect it)")
            self._obj = _brotli.Decompressor()
        else:
            raise UnsupportedEncoding(encoding[:32])

    def feed(self, chunk: bytes) -> bytes:
        """The decompressed bytes of ``chunk``; raises ``DecompressionRefused`` past a cap, and
        ``DecompressionRefused`` too on a corrupt stream (the upstream would fail on it as well)."""
        self.consumed += len(chunk)
        if self.encoding == "br":
            return self._account(self._brotli(chunk))
        out: list[bytes] = []
        data = chunk
        while data:
            try:
                piece = self._obj.decompress(data, _STEP)
            except zlib.error as exc:
                if self.encoding == "deflate" and not self._raw_tried and not self.produced:
                    # Some clients send raw deflate under "deflate" (no zlib header): try that once.
                    self._raw_tried = True
                    self._obj = zlib.decompressobj(-zlib.MAX_WBITS)
                    return self._restart(chunk)
                raise DecompressionRefused(f"corrupt {self.encoding} body") from exc
            out.append(self._account(piece))
            data = self._obj.unconsumed_tail
            if self._obj.eof:
                data = self._obj.unused_data
                if not data.strip(b"\0"):
                    break  # the end, or the zero padding some writers add
                if self.encoding == "deflate":
                    raise DecompressionRefused("data after the end of the deflate body")
                # Another gzip member (RFC 1952 §2.2: a file is a series of members; decoders
                # read them all, so an attack in the second one must be inspected too).
                self._obj = zlib.decompressobj(16 + zlib.MAX_WBITS)
        return b"".join(out)

    def finish(self) -> bytes:
        """The last bytes buffered by the decompressor (none for a complete stream)."""
        if self.encoding == "br":
            return b""
        return self._account(self._obj.flush())

    def _restart(self, chunk: bytes) -> bytes:
        self.consumed -= len(chunk)
        return self.feed(chunk)

    def _brotli(self, chunk: bytes) -> bytes:
        # brotli's Decompressor has no max_length: its output per chunk is checked after the call
        # (a chunk is at most the server's read size, so one call is bounded by the ratio cap of
        # the format, ~1:1000 for brotli); the caps then refuse the body.
        try:
            return bytes(self._obj.process(chunk))
        except Exception as exc:  # noqa: BLE001 - brotli.error has no stable import path
            raise DecompressionRefused("corrupt br body") from exc

    def _account(self, piece: bytes) -> bytes:
        self.produced += len(piece)
        limits = self.limits
        if self.produced > limits.max_size:
            raise DecompressionRefused(f"decompressed body over {limits.max_size} bytes")
        if self.produced > _RATIO_FLOOR and self.produced > limits.max_ratio * max(self.consumed, 1):
            raise DecompressionRefused(f"compression ratio over {limits.max_ratio}:1")
        return piece
