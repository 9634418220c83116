"""Findings and suppression filters, kept across runs in SQLite (WAL) in the state directory.

One ``record`` per assessment, in one transaction: a finding seen is ACTIVE (first seen: now;
seen before: its ``firstObservedAt`` kept), or SUPPRESSED when a SUPPRESS filter matches it; a
finding not seen again is CLOSED — but only if this run looked where it was found (its coverage
key: family + resource), so a one-off ``inspect`` of one URL never closes another's findings.
Bounded: beyond ``max_findings`` the oldest CLOSED ones go first.
"""

from __future__ import annotations

import json
import os
import sqlite3
import threading
import uuid
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from wafproxy.sidecars.assessor import criteria as crit
from wafproxy.sidecars.assessor.findings import Assessed, escalate, iso

MAX_FINDINGS = 20_000
MEMORY = Path(":memory:")  # no state directory: kept for the process's life only
MAX_FILTERS = 500
_SCHEMA = """
CREATE TABLE IF NOT EXISTS findings (arn TEXT PRIMARY KEY, check_id TEXT NOT NULL, coverage TEXT NOT NULL,
  fix_id TEXT, fix TEXT, finding TEXT NOT NULL, status TEXT NOT NULL, first REAL NOT NULL, last REAL NOT NULL,
  updated REAL NOT NULL);
CREATE INDEX IF NOT EXISTS findings_fix ON findings(fix_id);
CREATE TABLE IF NOT EXISTS filters (arn TEXT PRIMARY KEY, name TEXT UNIQUE NOT NULL, action TEXT NOT NULL,
  criteria TEXT NOT NULL, description TEXT, reason TEXT, created REAL NOT NULL, updated REAL NOT NULL);
CREATE TABLE IF NOT EXISTS coverage (resource_id TEXT PRIMARY KEY, resource_type TEXT NOT NULL,
  scan_type TEXT NOT NULL, status TEXT NOT NULL, reason TEXT NOT NULL, last REAL NOT NULL);
CREATE TABLE IF NOT EXISTS settings (k TEXT PRIMARY KEY, v TEXT NOT NULL);
"""


class FilterExists(Exception):
    pass


@dataclass(frozen=True, slots=True)
class Coverage:
    resource_id: str
    resource_type: str
    scan_type: str
    status: str  # ACTIVE / INACTIVE
    reason: str  # SUCCESSFUL / INTERNAL_ERROR / …
    last: float


class FindingStore:
    def __init__(self, path: Path, *, account: str = "000000000000", region: str = "us-east-1") -> None:
        if path != MEMORY:
            path.parent.mkdir(parents=True, exist_ok=True)
        self.path = path
        self.account, self.region = account, region
        self._lock = threading.Lock()
        if path != MEMORY:
            # Created private before SQLite opens it (its -wal/-shm files take the same mode):
            # findings name exposed routes and vulnerable packages.
            os.close(os.open(path, os.O_WRONLY | os.O_CREAT, 0o600))
        self._db = sqlite3.connect(str(path), check_same_thread=False, isolation_level=None)
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.execute("PRAGMA synchronous=NORMAL")
        self._db.executescript(_SCHEMA)
        # Filter tags (CreateFilter's ``tags``, TagResource) came later: add the column in place.
        if "tags" not in {row[1] for row in self._db.execute("PRAGMA table_info(filters)")}:
            self._db.execute("ALTER TABLE filters ADD COLUMN tags TEXT")

    def close(self) -> None:
        with self._lock:
            self._db.close()

    def setting(self, key: str) -> Any:
        """An account setting (Enable/Disable's resource types, UpdateConfiguration's), or None."""
        with self._lock:
            row = self._db.execute("SELECT v FROM settings WHERE k=?", (key,)).fetchone()
        return None if row is None else json.loads(row[0])

    def set_setting(self, key: str, value: Any) -> None:
        with self._lock:
            self._db.execute("INSERT OR REPLACE INTO settings VALUES (?, ?)", (key, json.dumps(value)))

    # ---- findings ------------------------------------------------------------------------------

    def record(
        self,
        assessed: Iterable[Assessed],
        covered: Iterable[str],
        now: float,
        coverage: Iterable[Coverage] = (),
    ) -> dict[str, int]:
        seen: set[str] = set()
        counts = {"new": 0, "active": 0, "suppressed": 0, "closed": 0}
        with self._lock:
            filters = self._suppressors()
            self._db.execute("BEGIN IMMEDIATE")
            try:
                for a in assessed:
                    arn = a.finding["findingArn"]
                    seen.add(arn)
                    row = self._db.execute("SELECT first FROM findings WHERE arn=?", (arn,)).fetchone()
                    first = row[0] if row else now
                    counts["new"] += row is None
                    finding = escalate(
                        {
                            **a.finding,
                            "firstObservedAt": iso(first),
                            "lastObservedAt": iso(now),
                            "updatedAt": iso(now),
                        },
                        a.check_id,
                        first,
                        now,
                    )
                    finding["status"] = (
                        "SUPPRESSED" if any(crit.matches(finding, f) for f in filters) else "ACTIVE"
                    )
                    counts["suppressed" if finding["status"] == "SUPPRESSED" else "active"] += 1
                    self._db.execute(
                        "INSERT OR REPLACE INTO findings VALUES (?,?,?,?,?,?,?,?,?,?)",
                        (
                            arn,
                            a.check_id,
                            a.coverage_key,
                            a.fix_id,
                            json.dumps(a.fix.to_json()) if a.fix else None,
                            json.dumps(finding),
                            finding["status"],
                            first,
                            now,
                            now,
                        ),
                    )
                covered = set(covered)
                for arn, key, text in self._db.execute(
                    "SELECT arn, coverage, finding FROM findings WHERE status != 'CLOSED'"
                ).fetchall():
                    if key in covered and arn not in seen:
                        f = {**json.loads(text), "status": "CLOSED", "updatedAt": iso(now)}
                        self._db.execute(
                            "UPDATE findings SET status='CLOSED', finding=?, updated=? WHERE arn=?",
                            (json.dumps(f), now, arn),
                        )
                        counts["closed"] += 1
                for c in coverage:
                    self._db.execute(
                        "INSERT OR REPLACE INTO coverage VALUES (?,?,?,?,?,?)",
                        (c.resource_id, c.resource_type, c.scan_type, c.status, c.reason, c.last),
                    )
                self._trim()
                self._db.execute("COMMIT")
            except BaseException:
                self._db.execute("ROLLBACK")
                raise
        return counts

    def _trim(self) -> None:
        (total,) = self._db.execute("SELECT COUNT(*) FROM findings").fetchone()
        if total > MAX_FINDINGS:
            self._db.execute(
                "DELETE FROM findings WHERE arn IN (SELECT arn FROM findings WHERE status='CLOSED' "
                "ORDER BY updated LIMIT ?)",
                (total - MAX_FINDINGS,),
            )

    def findings(self, criteria: Mapping[str, Any] | None = None) -> list[dict[str, Any]]:
        with self._lock:
            rows = self._db.execute("SELECT finding FROM findings ORDER BY first, arn").fetchall()
        out = [json.loads(r[0]) for r in rows]
        return [f for f in out if crit.matches(f, criteria)] if criteria else out

    def fix(self, fix_id: str) -> tuple[dict[str, Any], dict[str, Any]] | None:
        """(finding, fix) for ``--apply``, by fix id."""
        with self._lock:
            row = self._db.execute("SELECT finding, fix FROM findings WHERE fix_id=?", (fix_id,)).fetchone()
        return (json.loads(row[0]), json.loads(row[1])) if row and row[1] else None

    # ---- filters -------------------------------------------------------------------------------

    def _suppressors(self) -> list[Mapping[str, Any]]:
        rows = self._db.execute("SELECT criteria FROM filters WHERE action='SUPPRESS'").fetchall()
        return [json.loads(r[0]) for r in rows]

    def create_filter(
        self,
        name: str,
        action: str,
        criteria: Mapping[str, Any],
        now: float,
        description: str | None = None,
        reason: str | None = None,
        tags: Mapping[str, str] | None = None,
    ) -> str:
        owner = f"arn:aws:inspector2:{self.region}:{self.account}:owner/{self.account}"
        arn = f"{owner}/filter/{uuid.uuid4().hex[:16]}"
        with self._lock:
            (n,) = self._db.execute("SELECT COUNT(*) FROM filters").fetchone()
            if n >= MAX_FILTERS:
                raise OverflowError(f"at most {MAX_FILTERS} filters")
            try:
                self._db.execute(
                    "INSERT INTO filters (arn, name, action, criteria, description, reason, created, updated,"
                    " tags) VALUES (?,?,?,?,?,?,?,?,?)",
                    (arn, name, action, json.dumps(criteria), description, reason, now, now,
                     json.dumps(dict(tags or {}))),
                )
            except sqlite3.IntegrityError:
                raise FilterExists(name) from None
            self._resuppress(now)
        return arn

    def update_filter(self, arn: str, changes: Mapping[str, Any], now: float) -> bool:
        """UpdateFilter: ``changes`` maps name/action/criteria/description/reason to new values;
        False when no such filter. A new name taken by another filter raises ``FilterExists``."""
        columns = {"name", "action", "criteria", "description", "reason"}
        sets = {k: (json.dumps(v) if k == "criteria" else v) for k, v in changes.items() if k in columns}
        with self._lock:
            if self._db.execute("SELECT 1 FROM filters WHERE arn=?", (arn,)).fetchone() is None:
                return False
            assignments = ", ".join(f"{k}=?" for k in sets) + (", " if sets else "") + "updated=?"
            try:
                self._db.execute(
                    f"UPDATE filters SET {assignments} WHERE arn=?",  # noqa: S608 — fixed column names, ? only
                    (*sets.values(), now, arn),
                )
            except sqlite3.IntegrityError:
                raise FilterExists(str(changes.get("name"))) from None
            self._resuppress(now)
        return True

    def filter_tags(self, arn: str) -> dict[str, str] | None:
        """The filter's tags; None when no filter has that ARN."""
        with self._lock:
            row = self._db.execute("SELECT tags FROM filters WHERE arn=?", (arn,)).fetchone()
        return None if row is None else dict(json.loads(row[0] or "{}"))

    def retag_filter(
        self, arn: str, add: Mapping[str, str], remove: Iterable[str] = (), *, max_tags: int = 50
    ) -> dict[str, str] | None:
        """Add then remove tags in one step; the new tags, or None when no such filter. More than
        ``max_tags`` raises OverflowError and changes nothing."""
        with self._lock:
            row = self._db.execute("SELECT tags FROM filters WHERE arn=?", (arn,)).fetchone()
            if row is None:
                return None
            tags = {**json.loads(row[0] or "{}"), **add}
            for key in remove:
                tags.pop(key, None)
            if len(tags) > max_tags:
                raise OverflowError(f"at most {max_tags} tags")
            self._db.execute("UPDATE filters SET tags=? WHERE arn=?", (json.dumps(tags), arn))
        return tags

    def delete_filter(self, arn: str, now: float) -> bool:
        with self._lock:
            gone = self._db.execute("DELETE FROM filters WHERE arn=?", (arn,)).rowcount > 0
            if gone:
                self._resuppress(now)
        return gone

    def filters(self) -> list[dict[str, Any]]:
        with self._lock:
            rows = self._db.execute(
                "SELECT arn, name, action, criteria, description, reason, created, updated, tags "
                "FROM filters ORDER BY created"
            ).fetchall()
        return [
            {
                "arn": a,
                "ownerId": self.account,
                "name": n,
                "action": act,
                "criteria": json.loads(c),
                **({"description": d} if d else {}),
                **({"reason": r} if r else {}),
                "createdAt": iso(cr),
                "updatedAt": iso(up),
                "tags": json.loads(t or "{}"),
            }
            for a, n, act, c, d, r, cr, up, t in rows
        ]

    def _resuppress(self, now: float) -> None:
        """After a filter change: ACTIVE findings a filter now matches become SUPPRESSED and back."""
        filters = self._suppressors()
        for arn, text, status in self._db.execute(
            "SELECT arn, finding, status FROM findings WHERE status != 'CLOSED'"
        ).fetchall():
            f = json.loads(text)
            want = (
                "SUPPRESSED" if any(crit.matches({**f, "status": "ACTIVE"}, c) for c in filters) else "ACTIVE"
            )
            if want != status:
                f.update(status=want, updatedAt=iso(now))
                self._db.execute(
                    "UPDATE findings SET status=?, finding=?, updated=? WHERE arn=?",
                    (want, json.dumps(f), now, arn),
                )

    def coverage(self) -> list[Coverage]:
        with self._lock:
            rows = self._db.execute("SELECT * FROM coverage ORDER BY resource_id").fetchall()
        return [Coverage(*r) for r in rows]
