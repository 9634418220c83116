"""Opaque pagination tokens bound to the call that issued them.

A list operation's ``NextToken`` must only continue that listing: a token from another operation,
or from the same one with other filters, would silently page through a different result set. The
token carries the next offset and a fingerprint of what it was issued for (operation, filters,
sort); ``offset_of`` refuses a token whose fingerprint differs, or that does not decode, with the
service's own validation error. Offsets are capped so a forged token cannot ask for a huge skip.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
from collections.abc import Callable
from typing import Any

from wafproxy.awsapi.errors import AwsError, validation

MAX_OFFSET = 1_000_000


def fingerprint(*binding: Any) -> str:
    """A short digest of what a token is valid for (JSON-able values; others by ``str``)."""
    raw = json.dumps(binding, sort_keys=True, default=str, separators=(",", ":"))
    return hashlib.sha256(raw.encode()).hexdigest()[:16]


def issue(offset: int, *binding: Any) -> str:
    return base64.urlsafe_b64encode(json.dumps({"o": offset, "f": fingerprint(*binding)}).encode()).decode()


def offset_of(
    token: str | None,
    *binding: Any,
    member: str = "NextToken",
    error: Callable[[str, str], AwsError] = validation,
) -> int:
    """0 without a token; the token's offset when it was issued for ``binding``; else ``error``."""
    if not token:
        return 0
    try:
        raw = json.loads(base64.urlsafe_b64decode(token.encode("ascii")))
        offset, fp = int(raw["o"]), str(raw["f"])
    except (ValueError, KeyError, TypeError, binascii.Error, UnicodeEncodeError):
        raise error(f"{member} is not valid", member) from None
    if fp != fingerprint(*binding):
        raise error(f"{member} was issued for another request", member)
    if not 0 <= offset <= MAX_OFFSET:
        raise error(f"{member} is not valid", member)
    return offset


def page(items: list[Any], offset: int, limit: int, *binding: Any) -> tuple[list[Any], str | None]:
    """``items[offset:offset+limit]`` and the token for the rest (``None`` at the end)."""
    end = offset + limit
    return items[offset:end], (issue(end, *binding) if end < len(items) else None)
