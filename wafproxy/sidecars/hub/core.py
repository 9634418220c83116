"""The hub: import (validate, merge, store), update, query — shared by the API, the console, the sink.

Importing a finding whose ``Id`` is known updates it in place, the way Security Hub does: the
provider owns the content, the customer owns ``Workflow``, ``Note``, ``UserDefinedFields``,
``VerificationState`` and (once changed with ``BatchUpdateFindings`` or a rule) ``Severity``,
``Confidence``, ``Criticality``, ``RelatedFindings``, ``Types``. A stale update
(older ``UpdatedAt``) is ignored. Workflow resets follow the ASFF rules: ARCHIVED→ACTIVE or a control
going from PASSED to not-passed reopens a NOTIFIED/RESOLVED finding as NEW, and a control that
passes again resolves a NEW/NOTIFIED one. The account's automation rules (``automation.py``) then
run on each new or updated finding, and each write is recorded in the finding's history
(``history.py``) in the same transaction.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from wafproxy.ports import Clock
from wafproxy.sidecars.hub import asff, history
from wafproxy.sidecars.hub.changes import CUSTOMER_SET, PRIVATE
from wafproxy.sidecars.hub.changes import apply as changes_apply
from wafproxy.sidecars.hub.store import FindingStore

CUSTOMER_OWNED = ("Workflow", "Note", "UserDefinedFields", "VerificationState")
PURGE_INTERVAL_SECONDS = 3600.0
_PRODUCT_OFF = "importing findings from this product is disabled (EnableImportFindingsForProduct turns it on)"


class SystemClock:
    def now(self) -> float:
        return time.time()


@dataclass(frozen=True, slots=True)
class ImportFailure:
    """``ImportFindingsError``: the finding's Id (or its position), AWS-style code and message."""

    id: str
    code: str
    message: str

    def to_shape(self) -> dict[str, str]:
        return {"Id": self.id, "ErrorCode": self.code, "ErrorMessage": self.message}


def public(finding: dict[str, Any]) -> dict[str, Any]:
    """The finding as API callers see it (without the hub's private bookkeeping)."""
    if PRIVATE not in finding:
        return finding
    return {k: v for k, v in finding.items() if k != PRIVATE}


def _reopened(old: dict[str, Any], new: dict[str, Any]) -> str | None:
    """The workflow status the ASFF rules force on an update, if any."""
    status = old["Workflow"]["Status"]
    old_c = (old.get("Compliance") or {}).get("Status")
    new_c = (new.get("Compliance") or {}).get("Status")
    if (
        old["RecordState"] == "ARCHIVED"
        and new["RecordState"] == "ACTIVE"
        and status in ("NOTIFIED", "RESOLVED")
    ):
        return "NEW"
    if old_c == "PASSED" and new_c not in (None, "PASSED") and status in ("NOTIFIED", "RESOLVED"):
        return "NEW"
    if new_c == "PASSED" and old_c not in (None, "PASSED") and status in ("NEW", "NOTIFIED"):
        return "RESOLVED"
    return None


def merge(old: dict[str, Any], new: dict[str, Any]) -> dict[str, Any]:
    """A provider's update of a stored finding (see the module docstring)."""
    merged = dict(new)
    merged["CreatedAt"] = old["CreatedAt"]
    merged["FirstObservedAt"] = old.get("FirstObservedAt") or new.get("FirstObservedAt") or old["CreatedAt"]
    for field in CUSTOMER_OWNED:
        if field in old:
            merged[field] = old[field]
        else:
            merged.pop(field, None)
    private = dict(old.get(PRIVATE) or {})
    customer_set = list(private.get(CUSTOMER_SET) or ())
    if private.pop("severityByCustomer", False):  # how stores written before CUSTOMER_SET say it
        customer_set.append("Severity")
        private[CUSTOMER_SET] = sorted(set(customer_set))
    for field in customer_set:
        if field in old:
            merged[field] = old[field]
    if private:
        merged[PRIVATE] = private
    forced = _reopened(old, new)
    if forced is not None:
        merged["Workflow"] = {"Status": forced}
    return merged


class Hub:
    """Findings of one account/region. ``on_import`` hooks (correlation) see each imported batch."""

    def __init__(self, store: FindingStore, *, account: str, region: str, clock: Clock | None = None) -> None:
        self.store = store
        self.account = account
        self.region = region
        self.clock: Clock = clock or SystemClock()
        self.arn = f"arn:aws:securityhub:{region}:{account}:hub/default"
        self.subscribed_at = asff.iso(self.clock.now())
        # Set from the account's settings (``account.HubAccount``): a disabled hub takes no
        # findings; a disabled standard (or control) files no control findings.
        self.enabled = True
        self.standard_enabled = True
        self.disabled_controls: frozenset[str] = frozenset()
        self.disabled_products: frozenset[str] = frozenset()  # product ARNs whose import is off
        self.on_import: list[Callable[[list[dict[str, Any]]], None]] = []
        # The account's automation rules (``automation.AutomationRules.apply``), run on every new or
        # updated finding before it is stored.
        self.automation: Callable[[list[dict[str, Any]]], list[dict[str, Any]]] | None = None
        self.imported = 0
        self._next_purge = 0.0

    def product_arn(self, product: str) -> str:
        """Our producers' product ARN (``product/wafproxy/<name>``), in this hub's region/account."""
        return f"arn:aws:securityhub:{self.region}:{self.account}:product/wafproxy/{product}"

    def import_findings(self, raw: list[Any]) -> tuple[int, list[ImportFailure]]:
        """Validate each finding, merge with the stored one, write the valid ones in one transaction.
        A disabled hub takes nothing (its producers' findings are dropped, as AWS drops an
        integration's findings for an account not subscribed)."""
        if not self.enabled:
            return 0, []
        failures: list[ImportFailure] = []
        valid: dict[str, dict[str, Any]] = {}
        for i, item in enumerate(raw):
            given = item.get("Id") if isinstance(item, dict) else None
            fid = given if isinstance(given, str) else f"#{i}"
            try:
                finding = asff.normalize(item)
            except asff.InvalidFinding as exc:
                failures.append(ImportFailure(fid[:512], "InvalidInput", str(exc)[:1024]))
                continue
            if finding["ProductArn"] in self.disabled_products:
                failures.append(ImportFailure(fid[:512], "AccessDenied", _PRODUCT_OFF))
            else:
                valid[fid] = finding
        stored = self.store.get_many(valid) if valid else {}
        out: list[dict[str, Any]] = []
        for fid, finding in valid.items():
            old = stored.get(fid)
            if old is None:
                out.append(finding)
            elif finding["UpdatedAt"] >= old["UpdatedAt"]:
                out.append(merge(old, finding))
        if out and self.automation is not None:
            out = self.automation(out)
        if out:
            entries = [history.entry(stored.get(f["Id"]), f, history.IMPORT, f["ProductArn"]) for f in out]
            self.store.put_many(out, [e for e in entries if e is not None])
            self.imported += len(out)
            for hook in self.on_import:
                hook(out)
        self.maybe_purge()
        # Each finding sent either failed or was processed (a repeated Id updates the same finding):
        # SuccessCount + FailedCount is the batch size, as AWS reports it.
        return len(raw) - len(failures), failures

    def maybe_purge(self) -> int:
        now = self.clock.now()
        if now < self._next_purge:
            return 0
        self._next_purge = now + PURGE_INTERVAL_SECONDS
        return self.store.purge(now)

    def update(self, ids: list[str], changes: dict[str, Any], by: str) -> list[str]:
        """``BatchUpdateFindings`` changes (already validated) applied to ``ids``; the ids updated."""
        now = asff.iso(self.clock.now())

        def apply(f: dict[str, Any]) -> dict[str, Any]:
            return changes_apply(f, changes, now)

        return self.store.update(ids, apply, by)
