"""Finding history (GetFindingHistory): what changed in a finding, when, and by whom.

Every write of a finding records one entry: created (``FindingCreated``), or the fields that
changed — top-level ASFF attributes, one level deeper for objects (``Workflow.Status``,
``Severity.Label``) — with their old and new values as JSON text. The source is
``BATCH_IMPORT_FINDINGS`` (a provider's import, with the automation rules it triggered; identity:
the product ARN) or ``BATCH_UPDATE_FINDINGS`` (identity: the caller's ARN). The store keeps the
entries in the same transaction as the finding (``FindingStore.put_many``), sealed like finding
bodies under the hub's KMS data key, at most ``MAX_PER_FINDING`` per finding and no longer than
the findings' retention.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from wafproxy.sidecars.hub.changes import PRIVATE

IMPORT = "BATCH_IMPORT_FINDINGS"
UPDATE = "BATCH_UPDATE_FINDINGS"
MAX_PER_FINDING = 20  # a WAF finding is rewritten every flush while its 5-minute window is open
MAX_VALUE = 1024  # characters of one old/new value kept
_NOISE = frozenset({PRIVATE, "UpdatedAt"})  # UpdatedAt is the entry's own time


@dataclass(frozen=True, slots=True)
class Entry:
    finding_id: str
    product_arn: str
    at: str
    source: str
    identity: str
    created: bool
    updates: list[dict[str, str]]

    def doc(self) -> dict[str, Any]:
        """As stored (``Entry(**doc)`` reads it back); plain, not ``asdict``: this runs per write."""
        return {"finding_id": self.finding_id, "product_arn": self.product_arn, "at": self.at,
                "source": self.source, "identity": self.identity, "created": self.created,
                "updates": self.updates}


def _text(value: Any) -> str:
    text = value if isinstance(value, str) else json.dumps(value, sort_keys=True, separators=(",", ":"))
    return text[:MAX_VALUE] or '""'


def changed_fields(old: dict[str, Any], new: dict[str, Any]) -> list[dict[str, str]]:
    """``{UpdatedField, OldValue, NewValue}`` for what differs (absent values are omitted)."""
    out: list[dict[str, str]] = []
    for key in sorted((old.keys() | new.keys()) - _NOISE):
        a, b = old.get(key), new.get(key)
        if a == b:
            continue
        if isinstance(a, dict) and isinstance(b, dict):
            for sub in sorted(a.keys() | b.keys()):
                if a.get(sub) != b.get(sub):
                    out.append(_update(f"{key}.{sub}", a.get(sub), b.get(sub)))
        else:
            out.append(_update(key, a, b))
    return out


def _update(field: str, old: Any, new: Any) -> dict[str, str]:
    return {
        "UpdatedField": field,
        **({"OldValue": _text(old)} if old is not None else {}),
        **({"NewValue": _text(new)} if new is not None else {}),
    }


def entry(old: dict[str, Any] | None, new: dict[str, Any], source: str, identity: str) -> Entry | None:
    """The entry for writing ``new`` over ``old`` (``None``: nothing a user would see changed)."""
    updates = [] if old is None else changed_fields(old, new)
    if old is not None and not updates:
        return None
    return Entry(new["Id"], new["ProductArn"], new["UpdatedAt"], source, identity, old is None, updates)


def to_shape(e: Entry) -> dict[str, Any]:
    return {
        "FindingIdentifier": {"Id": e.finding_id, "ProductArn": e.product_arn},
        "UpdateTime": e.at,
        "FindingCreated": e.created,
        "UpdateSource": {"Type": e.source, "Identity": e.identity},
        "Updates": e.updates,
    }
