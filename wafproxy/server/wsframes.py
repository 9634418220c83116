"""Websocket frame headers, read just enough to bound a frame's size (RFC 6455 §5.2).

The relay (``websocket.py``) copies bytes and never holds a frame, so a large frame costs us
nothing; the bound protects the upstream, which must buffer a frame to deliver its message (uvicorn
refuses frames over ``ws_max_size``, 16 MiB, by the same close code). Past ``max_payload`` the
relay closes with 1009 ("message too big", RFC 6455 §7.4.1) before a byte of that frame is sent on.

``FrameGuard.feed`` walks the frame headers of a byte stream whose payloads it skips: O(frames),
at most 14 header bytes kept between chunks.
"""

from __future__ import annotations

import os

CLOSE_TOO_BIG = 1009
CLOSE_GOING_AWAY = 1001


class FrameGuard:
    """Tracks one direction of a websocket stream; ``feed`` says how much of a chunk may go on."""

    __slots__ = ("max_payload", "_skip", "_header", "violated")

    def __init__(self, max_payload: int) -> None:
        self.max_payload = max_payload
        self._skip = 0  # payload bytes of the current frame still to pass
        self._header = b""  # an incomplete frame header carried over from the last chunk
        self.violated = False

    def feed(self, data: bytes) -> int:
        """How many leading bytes of ``data`` belong to frames within the bound: all of it, or
        the offset of the first too-large frame's header (``violated`` is then set)."""
        pos, end = 0, len(data)
        while pos < end:
            if self._skip:
                step = min(self._skip, end - pos)
                self._skip -= step
                pos += step
                continue
            start = pos - len(self._header)  # where this header began (negative: a previous chunk)
            buf = self._header + data[pos:pos + 14]
            need = _header_length(buf)
            if need is None or len(buf) < need:
                taken = min(end - pos, 14 - len(self._header))
                self._header += data[pos:pos + taken]
                pos += taken
                continue
            payload = _payload_length(buf)
            if payload > self.max_payload:
                self.violated = True
                return max(start, 0)
            pos += need - len(self._header)
            self._header = b""
            self._skip = payload
        return end


def _header_length(buf: bytes) -> int | None:
    """2 bytes, + 2 or 8 of extended length, + 4 of mask key when masked; None if unknown yet."""
    if len(buf) < 2:
        return None
    size = 2 + (buf[1] & 0x80 and 4)
    code = buf[1] & 0x7F
    return size + 2 if code == 126 else size + 8 if code == 127 else size


def _payload_length(buf: bytes) -> int:
    code = buf[1] & 0x7F
    if code == 126:
        return int.from_bytes(buf[2:4], "big")
    if code == 127:
        return int.from_bytes(buf[2:10], "big")  # its top bit must be 0; a set one is over any bound
    return code


def close_frame(code: int, *, masked: bool) -> bytes:
    """A close frame with ``code``: masked toward the upstream (we are its client, RFC 6455 §5.3)."""
    payload = code.to_bytes(2, "big")
    if not masked:
        return b"\x88\x02" + payload
    key = os.urandom(4)
    return b"\x88\x82" + key + bytes(b ^ key[i % 4] for i, b in enumerate(payload))
