"""What a scenario sees of one request, whether it came live (``RequestEvent``) or from a log line.

One shape for both paths so the in-band detector and ``wafproxy detect --log`` run the very same
scenarios. Built once per request with a plain ``__slots__`` class (no dataclass machinery on the
hot path); the user agent is lowercased once here, the path only by the scenarios that need it.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from urllib.parse import parse_qsl, unquote

from wafproxy.ports import GATE_RULE_ID

__all__ = ["GATE_RULE_ID", "Hit", "Observation", "normalized_path", "username_of"]


class Observation:
    __slots__ = ("ts", "ip", "method", "path", "status", "ua", "labels", "body", "content_type",
                 "credential", "host", "npath", "sensitive")

    def __init__(self, ts: float, ip: str, method: str, path: str, status: int, ua: str,
                 labels: tuple[str, ...] = (), body: bytes = b"", content_type: str = "",
                 credential: str | None = None, host: str = "") -> None:
        self.ts = ts
        self.ip = ip
        self.method = method
        self.path = path
        self.status = status
        self.ua = ua
        self.labels = labels
        self.body = body
        self.content_type = content_type
        self.credential = credential  # hashed session / API key actor name, when configured
        self.host = host
        self.npath: str | None = None  # normalized_path(path), computed by the first scenario needing it
        self.sensitive: bool | None = None  # set by PathProbe for DistributedScan


def normalized_path(path: str) -> str:
    """Lowercased and percent-decoded (``/%2Eenv`` is ``/.env``), query cut off."""
    path = path.partition("?")[0]
    if "%" in path:
        path = unquote(path)
    return path.lower()


def username_of(obs: Observation, fields: tuple[str, ...]) -> str | None:
    """The username a login attempt named (form or JSON body), lowercased; None when absent."""
    body = obs.body
    if not body:
        return None
    if "json" in obs.content_type:
        try:
            doc = json.loads(body)
        except (ValueError, UnicodeDecodeError):
            return None
        if isinstance(doc, dict):
            for name in fields:
                value = doc.get(name)
                if isinstance(value, str) and value:
                    return value.strip().lower()[:256]
        return None
    text = body.decode("utf-8", "replace")
    for key, value in parse_qsl(text, max_num_fields=50):
        if key in fields and value:
            return value.strip().lower()[:256]
    return None


@dataclass(slots=True)
class Hit:
    """A scenario crossed its threshold for ``ip``: the finding to record and what to do about it."""

    scenario: str
    type: str
    severity: float
    actor: str
    ip: str
    resource: str
    action: str
    dry_run: bool
    ts: float
    evidence: dict[str, object] = field(default_factory=dict)
    threat_list: tuple[str, str] | None = None  # (list name, sha256) for threat-intel findings
