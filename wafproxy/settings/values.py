"""Setting values: their types and the parsers that make them from a flag, env var or YAML scalar.

Every parser takes a string (or a YAML scalar) and returns the typed value, or raises
``ValueError`` with a message that says what was expected; ``sources.resolve`` adds where the value
came from. Parsing happens here, once, so the servers only ever see valid values.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit


@dataclass(frozen=True, slots=True)
class HostPort:
    host: str
    port: int

    def __str__(self) -> str:
        return f"[{self.host}]:{self.port}" if ":" in self.host else f"{self.host}:{self.port}"


@dataclass(frozen=True, slots=True)
class UpstreamRoute:
    """One upstream and what it serves: ``host`` (exact, case-insensitive) and/or ``path`` prefix."""

    url: str
    host: str | None = None
    path_prefix: str | None = None


def existing_file(value: Any) -> Path:
    p = Path(str(value)).expanduser()
    if not p.is_file():
        raise ValueError(f"no such file: {p}")
    return p.resolve()


def directory(value: Any) -> Path:
    """A directory we may create (state, KMS data): refused only when a file is in the way."""
    p = Path(str(value)).expanduser()
    if p.exists() and not p.is_dir():
        raise ValueError(f"not a directory: {p}")
    return p.resolve()


def new_file(value: Any) -> Path:
    """A file that is created when missing (the KMS root key): its directory must exist."""
    p = Path(str(value)).expanduser().resolve()
    if p.exists() and not p.is_file():
        raise ValueError(f"not a file: {p}")
    if not p.parent.is_dir():
        raise ValueError(f"no such directory: {p.parent}")
    return p


def redis_url(value: Any) -> str:
    text = str(value).strip()
    if urlsplit(text).scheme not in ("redis", "rediss", "unix"):
        # Never echo the value: a Redis URL may carry a password.
        raise ValueError("expected a redis://, rediss:// or unix:// URL")
    return text


def kms_endpoint_url(value: Any) -> str:
    """An http(s) URL without user info (credentials come from the AWS env/profile, never a URL)."""
    text = str(value).strip()
    parts = urlsplit(text)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ValueError("expected an http:// or https:// URL")
    if "@" in parts.netloc:
        raise ValueError("credentials do not belong in the URL (use AWS_ACCESS_KEY_ID/… or a profile)")
    return text


def kms_key(value: Any) -> str:
    text = str(value).strip()
    if not text or len(text) > 2048 or any(c.isspace() for c in text):
        raise ValueError("expected a key id, key ARN, alias/NAME or alias ARN")
    return text


def account_id(value: Any) -> str:
    text = str(value).strip()
    if len(text) != 12 or not text.isdigit():
        raise ValueError(f"expected a 12-digit AWS account id, got {text!r}")
    return text


def region(value: Any) -> str:
    import re2  # type: ignore[import-untyped]

    text = str(value).strip()
    if not re2.fullmatch(r"[a-z]{2}(-[a-z]+)+-\d{1,2}", text):
        raise ValueError(f"expected a region like us-east-1, got {text!r}")
    return text


def host_port(value: Any) -> HostPort:
    text = str(value).strip()
    host, sep, port = text.rpartition(":")
    if not sep or not host:
        raise ValueError(f"expected HOST:PORT, got {text!r}")
    host = host[1:-1] if host.startswith("[") and host.endswith("]") else host
    if not port.isdigit() or not 0 <= int(port) <= 65535:
        raise ValueError(f"port must be 0-65535, got {port!r}")
    return HostPort(host, int(port))


def upstream_route(value: Any) -> UpstreamRoute:
    """``URL`` or ``url=URL,host=HOST,path=/PREFIX`` (host/path select the routed requests)."""
    text = str(value).strip()
    parts: dict[str, str] = {}
    if "=" in text.split("://", 1)[0]:
        for item in text.split(","):
            key, sep, val = item.partition("=")
            if not sep or key.strip() not in ("url", "host", "path"):
                raise ValueError(f"expected URL or url=...,host=...,path=..., got {item!r}")
            parts[key.strip()] = val.strip()
    else:
        parts["url"] = text
    url = parts.get("url", "")
    split = urlsplit(url)
    if split.scheme not in ("http", "https") or not split.hostname:
        raise ValueError(f"upstream must be an http:// or https:// URL, got {url!r}")
    if split.username is not None or split.password is not None:
        # Not supported (and it would end up in logs): never accept an option and ignore it.
        raise ValueError("credentials in the upstream URL are not supported")
    path = parts.get("path")
    if path is not None and not path.startswith("/"):
        raise ValueError(f"path prefix must start with '/', got {path!r}")
    host = parts.get("host")
    return UpstreamRoute(url=url.rstrip("/"), host=host.lower() if host else None, path_prefix=path)


def cidr(value: Any) -> str:
    import ipaddress

    text = str(value).strip()
    try:
        return str(ipaddress.ip_network(text, strict=False))
    except ValueError:
        raise ValueError(f"not an IP address or CIDR: {text!r}") from None


def boolean(value: Any) -> bool:
    if isinstance(value, bool):
        return value
    text = str(value).strip().lower()
    if text in ("1", "true", "yes", "on"):
        return True
    if text in ("0", "false", "no", "off"):
        return False
    raise ValueError(f"expected true/false, got {value!r}")


def positive_int(value: Any) -> int:
    try:
        n = int(str(value))
    except ValueError:
        raise ValueError(f"expected an integer, got {value!r}") from None
    if n < 1:
        raise ValueError(f"must be >= 1, got {n}")
    return n


def positive_int_or_zero(value: Any) -> int:
    return 0 if str(value).strip() == "0" else positive_int(value)


def seconds(value: Any) -> float:
    try:
        f = float(str(value))
    except ValueError:
        raise ValueError(f"expected seconds, got {value!r}") from None
    if not f > 0:
        raise ValueError(f"must be > 0, got {f}")
    return f


def seconds_or_zero(value: Any) -> float:
    try:
        f = float(str(value))
    except ValueError:
        raise ValueError(f"expected seconds (0 turns it off), got {value!r}") from None
    if f < 0 or f != f:
        raise ValueError(f"must be >= 0, got {value!r}")
    return f


def existing_dir(value: Any) -> Path:
    p = Path(str(value)).expanduser()
    if not p.is_dir():
        raise ValueError(f"no such directory: {p}")
    return p.resolve()


def one_of(*choices: str) -> Callable[[Any], str]:
    def parse(value: Any) -> str:
        text = str(value).strip().lower()
        if text not in choices:
            raise ValueError(f"expected one of {', '.join(choices)}, got {value!r}")
        return text

    return parse


def output_path(value: Any) -> str:
    text = str(value).strip()
    if not text:
        raise ValueError("expected a file path or '-'")
    return text
