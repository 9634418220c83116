"""The resource store: every WebACL, IPSet, RegexPatternSet and RuleGroup the API can see.

Loaded from the web ACL file and the documents next to it (the same files ``aclfiles`` compiles),
or from ``--state-dir`` (seeded from those files on first start). Each change is written back to
the resource's own file atomically, in the wrapped form ``aws wafv2 get-…`` prints (the loader
reads it unchanged), so a restart, another worker or a file-watching reloader sees exactly what
the API acknowledged. Temporary IP-set entries (our TTL extension) live in ``.wafproxy/ip-ttl.json``
(a dot directory, which the file loader skips).
"""

from __future__ import annotations

import json
import os
import threading
from collections.abc import Iterator, Mapping
from dataclasses import replace
from pathlib import Path
from typing import Any

from wafproxy.aclfiles import SUFFIXES, read_document
from wafproxy.control.persist import atomic_remove, atomic_write, dump_json
from wafproxy.control.resources import (
    DEFAULT_NAMES,
    KIND_OF_WRAPPER,
    SUBDIR,
    WRAPPER,
    Kind,
    Names,
    Resource,
    content_token,
    default_id,
)
from wafproxy.control.ttl import TempEntries
from wafproxy.engine.errors import WebAclError
from wafproxy.engine.model import classify

MAX_FILES = 10_000  # as aclfiles: a misplaced ACL must not walk the whole disk
STATE_ACL_NAME = "web-acl.json"
META_DIR = ".wafproxy"
_STATE_SUBDIRS = frozenset(d for d in SUBDIR.values() if d != ".")


class StoreError(Exception):
    """The files cannot be loaded; ``path`` names the file (and the JSON path inside it)."""

    def __init__(self, path: str, message: str) -> None:
        super().__init__(f"{path}: {message}")
        self.path = path


def _walk(root: Path) -> Iterator[Path]:
    count = 0
    for dirpath, dirnames, filenames in os.walk(root):
        dirnames[:] = sorted(d for d in dirnames if not d.startswith("."))
        for name in sorted(filenames):
            if name.endswith(SUFFIXES) and not name.startswith("."):
                count += 1
                if count > MAX_FILES:
                    raise StoreError(str(root), f"more than {MAX_FILES} files")
                yield Path(dirpath) / name


def _resource_of(path: Path, names: Names, want: Kind | None = None) -> Resource | None:
    """The resource a file holds, or None when it is not a WAF document (test tables, notes)."""
    raw = read_document(path)
    try:
        kind_name, node = classify(raw)
    except WebAclError:
        return None
    kind = KIND_OF_WRAPPER[kind_name]
    if want is not None and kind != want:
        raise StoreError(str(path), f"expected a {WRAPPER[want]} document, found a {kind_name}")
    bare = node.value
    if not isinstance(bare, dict) or not isinstance(bare.get("Name"), str):
        raise StoreError(str(path), f"{node.path}.Name: missing")
    name = bare["Name"]
    given = bare.get("Id")
    rid: str = given if isinstance(given, str) else default_id(kind, name)
    doc = dict(bare)
    doc["Id"] = rid
    doc["ARN"] = names.arn(kind, name, rid)
    doc.pop("Scope", None)  # input-only member; REGIONAL is implied
    token = raw.get("LockToken") if isinstance(raw, dict) and kind_name in raw else None
    if not isinstance(token, str):
        token = content_token(doc)
    return Resource(kind, name, rid, names.arn(kind, name, rid), token, doc, str(path))


def _read_json(path: Path) -> dict[str, Any] | None:
    """A state file of ours (``.wafproxy/logging.json``): None when absent. Damaged (cut short, not
    JSON, not an object) it is a ``StoreError`` naming it: carrying on without it would silently
    drop the logging configuration (its redactions among it)."""
    try:
        raw = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return None
    except (OSError, ValueError) as exc:
        raise StoreError(str(path), f"unreadable: {exc}") from None
    if not isinstance(raw, dict):
        raise StoreError(str(path), "expected a JSON object")
    return raw


def _read_temp(path: Path) -> TempEntries:
    try:
        return TempEntries.load(path)
    except (OSError, ValueError) as exc:
        raise StoreError(str(path), f"unreadable: {exc}") from None


Signature = tuple[tuple[str, int, int, int], ...]


def _signature(root: Path, acl_file: Path) -> Signature:
    out = []
    meta = root / META_DIR
    for path in [acl_file, *(_walk(root)), meta / "ip-ttl.json", meta / "logging.json"]:
        try:
            st = path.stat()
        except OSError:
            continue
        out.append((str(path), st.st_ino, st.st_mtime_ns, st.st_size))
    return tuple(sorted(set(out)))


class ResourceStore:
    """Thread-safe table (kind, name) → ``Resource`` plus temporary IP-set entries, persisted."""

    def __init__(
        self,
        root: Path,
        acl_file: Path,
        names: Names,
        resources: dict[tuple[Kind, str], Resource],
        temp: TempEntries,
        *,
        persist: bool = True,
    ) -> None:
        self.root = root
        self.acl_file = acl_file
        self.names = names
        self.temp = temp
        self.persist = persist
        self._resources = resources
        self._lock = threading.RLock()
        # The last PutLoggingConfiguration (AWS shape), replicated like the documents.
        self.logging_config: dict[str, Any] | None = _read_json(root / META_DIR / "logging.json")

    # ---- loading --------------------------------------------------------------------------------

    @classmethod
    def open(
        cls,
        acl_path: str | Path,
        *,
        state_dir: str | Path | None = None,
        names: Names = DEFAULT_NAMES,
        persist: bool = True,
    ) -> ResourceStore:
        """Load the store; with ``state_dir`` seed it from ``acl_path``'s files on first start."""
        acl_path = Path(acl_path)
        if state_dir is None:
            return cls._load(acl_path.parent, acl_path, names, persist)
        root = Path(state_dir)
        acl_file = root / STATE_ACL_NAME
        if acl_file.exists():
            return cls._load(root, acl_file, names, persist)
        seed = cls._load(acl_path.parent, acl_path, names, persist=False)
        store = cls(root, acl_file, names, {}, TempEntries(), persist=persist)
        for res in seed.all():
            path = acl_file if res.kind == "webacl" else store.path_for(res.kind, res.name)
            store._resources[(res.kind, res.name)] = replace(res, path=str(path))
            store._write(store._resources[(res.kind, res.name)])
        store.temp = seed.temp
        store._write_temp()
        if seed.logging_config is not None:
            store.set_logging(seed.logging_config)
        return store

    @classmethod
    def _load(cls, root: Path, acl_file: Path, names: Names, persist: bool) -> ResourceStore:
        try:
            acl = _resource_of(acl_file, names, "webacl")
        except WebAclError as exc:
            raise StoreError(str(acl_file), f"{exc.path}: {exc.reason}") from None
        if acl is None:
            raise StoreError(str(acl_file), "not a WebACL document")
        table: dict[tuple[Kind, str], Resource] = {("webacl", acl.name): acl}
        real_acl = acl_file.resolve()
        for path in _walk(root):
            if path.resolve() == real_acl:
                continue
            try:
                res = _resource_of(path, names)
            except WebAclError as exc:
                raise StoreError(str(path), f"{exc.path}: {exc.reason}") from None
            if res is None and path.parent.parent == root and path.parent.name in _STATE_SUBDIRS:
                # ipsets/, regexsets/, rulegroups/ hold resources only: a file there that is not
                # one (emptied, another schema) would otherwise vanish from the served ACL.
                raise StoreError(str(path), "not a WAF resource document (no IPSet, RegexPatternSet "
                                 "or RuleGroup wrapper or shape)")
            if res is None or res.kind == "webacl":
                continue  # other web ACLs in the directory are not this proxy's (aclfiles agrees)
            if (res.kind, res.name) in table:
                raise StoreError(
                    str(path),
                    f"{WRAPPER[res.kind]} {res.name!r} is also defined in {table[(res.kind, res.name)].path}",
                )
            table[(res.kind, res.name)] = res
        temp = _read_temp(root / META_DIR / "ip-ttl.json")
        return cls(root, acl_file, names, table, temp, persist=persist)

    # ---- reading --------------------------------------------------------------------------------

    def all(self, kind: Kind | None = None) -> list[Resource]:
        with self._lock:
            return [r for (k, _), r in sorted(self._resources.items()) if kind is None or k == kind]

    def get(self, kind: Kind, name: str) -> Resource | None:
        with self._lock:
            return self._resources.get((kind, name))

    def by_arn(self, arn: str) -> Resource | None:
        with self._lock:
            return next((r for r in self._resources.values() if r.arn == arn), None)

    @property
    def web_acl(self) -> Resource:
        with self._lock:
            return next(r for (k, _), r in self._resources.items() if k == "webacl")

    def path_for(self, kind: Kind, name: str) -> Path:
        return self.root / SUBDIR[kind] / f"{name}.json"

    def signature(self) -> Signature:
        """(path, inode, mtime_ns, size) of every file the store reads: the file watch compares it."""
        return _signature(self.root, self.acl_file)

    @staticmethod
    def signature_before_open(acl_path: str | Path, *, state_dir: str | Path | None = None) -> Signature:
        """The signature of the files ``open`` is about to read, taken BEFORE it reads them: a
        write landing while they are read then differs from it, so the file watch reloads again.
        (Empty when ``state_dir`` is not seeded yet: the first tick then reloads once.)"""
        if state_dir is None:
            return _signature(Path(acl_path).parent, Path(acl_path))
        root = Path(state_dir)
        return _signature(root, root / STATE_ACL_NAME) if (root / STATE_ACL_NAME).exists() else ()

    # ---- changing (callers serialize changes; the lock only guards readers) -----------------------

    def put(self, res: Resource) -> None:
        """Persist ``res``, then make it visible (a failed write leaves memory matching the disk)."""
        self._write(res)
        with self._lock:
            self._resources[(res.kind, res.name)] = res

    def delete(self, res: Resource) -> None:
        if self.persist:
            atomic_remove(Path(res.path))
        with self._lock:
            self._resources.pop((res.kind, res.name), None)
        if res.kind == "ipset" and self.temp.drop_set(res.name):
            self._write_temp()

    def set_logging(self, config: dict[str, Any] | None) -> None:
        """``None``: DeleteLoggingConfiguration (the file goes: a restart finds none either)."""
        if self.persist:
            path = self.root / META_DIR / "logging.json"
            if config is None:
                atomic_remove(path)
            else:
                atomic_write(path, dump_json(config))
        self.logging_config = config

    def save_temp(self) -> None:
        self._write_temp()

    def _write(self, res: Resource) -> None:
        if self.persist:
            atomic_write(Path(res.path), dump_json(res.wrapped()))

    def _write_temp(self) -> None:
        if self.persist:
            atomic_write(self.root / META_DIR / "ip-ttl.json", self.temp.dump())

    # ---- replication (Redis pub/sub) ------------------------------------------------------------

    def snapshot(self) -> dict[str, Any]:
        """Everything another host needs to serve the same ACL: documents, tokens, temp entries."""
        with self._lock:
            docs = [
                {"Kind": r.kind, "Path": os.path.relpath(r.path, self.root), **r.wrapped()}
                for r in self._resources.values()
            ]
        return {"Resources": docs, "Temporary": json.loads(self.temp.dump()), "Logging": self.logging_config}

    def apply_snapshot(self, snap: Mapping[str, Any]) -> bool:
        """Replace the contents with ``snap``; persist what differs. True when anything changed."""
        incoming: dict[tuple[Kind, str], Resource] = {}
        for item in snap["Resources"]:
            kind: Kind = item["Kind"]
            doc = dict(item[WRAPPER[kind]])
            path = self.acl_file if kind == "webacl" else self.root / item["Path"]
            incoming[(kind, doc["Name"])] = Resource(
                kind, doc["Name"], doc["Id"], doc["ARN"], item["LockToken"], doc, str(path)
            )
        temp = TempEntries.from_json(snap.get("Temporary") or {})
        with self._lock:
            current = dict(self._resources)
        changed = False
        for key, res in incoming.items():
            old = current.get(key)
            if old is None or old.lock_token != res.lock_token or old.document != res.document:
                if old is not None and res.kind != "webacl":
                    res = replace(res, path=old.path)
                self.put(res)
                changed = True
        for key, old in current.items():
            if key not in incoming:
                self.delete(old)
                changed = True
        if temp.dump() != self.temp.dump():
            self.temp = temp
            self._write_temp()
            changed = True
        logging_config = snap.get("Logging")
        if isinstance(logging_config, dict | None) and logging_config != self.logging_config:
            self.set_logging(logging_config)
            changed = True
        return changed
