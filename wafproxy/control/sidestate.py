"""Small tables the WAFv2 API keeps beside the documents: rule groups' permission policies, API keys.

They are not WAF documents (the engine never reads them), so they live in the store's ``.wafproxy``
directory (which the document loader skips), one JSON object per table, replaced atomically and
durably on every change (``persist.atomic_write``): a call is acknowledged only once its table is
on disk, and a restart serves exactly what was acknowledged. Each table is bounded, as every
per-key table here is.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from wafproxy.control.persist import atomic_write, dump_json
from wafproxy.control.store import StoreError


class TableFull(Exception):
    """The table holds ``limit`` entries already."""


class JsonTable:
    """key → JSON value, persisted as one file. Callers serialize changes (the reloader lock)."""

    def __init__(self, path: Path, *, limit: int, persist: bool = True) -> None:
        self.path = path
        self.limit = limit
        self.persist = persist
        self._lock = threading.Lock()
        self._items: dict[str, Any] = _load(path)

    def get(self, key: str) -> Any:
        with self._lock:
            return self._items.get(key)

    def items(self) -> Iterator[tuple[str, Any]]:
        with self._lock:
            return iter(sorted(self._items.items()))

    def __len__(self) -> int:
        return len(self._items)

    def put(self, key: str, value: Any) -> None:
        """Write, then make visible: a failed write (disk full) leaves memory matching the disk."""
        with self._lock:
            if key not in self._items and len(self._items) >= self.limit:
                raise TableFull(f"at most {self.limit} entries")
            candidate = {**self._items, key: value}
        self._save(candidate)
        with self._lock:
            self._items = candidate

    def delete(self, key: str) -> bool:
        with self._lock:
            if key not in self._items:
                return False
            candidate = {k: v for k, v in self._items.items() if k != key}
        self._save(candidate)
        with self._lock:
            self._items = candidate
        return True

    def _save(self, items: dict[str, Any]) -> None:
        if self.persist:
            atomic_write(self.path, dump_json(items))


def _load(path: Path) -> dict[str, Any]:
    """Absent: empty. Damaged: an error naming the file, never a silently empty table (a lost
    permission policy or API key would otherwise look like a deletion)."""
    try:
        raw = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return {}
    except (OSError, ValueError) as exc:
        raise StoreError(str(path), f"unreadable: {exc}") from None
    if not isinstance(raw, dict):
        raise StoreError(str(path), "expected a JSON object")
    return raw
