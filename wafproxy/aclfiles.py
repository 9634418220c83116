"""Loading a web ACL and the documents it references from files (the I/O edge of the engine).

Resolution contract (issue 3): references resolve against the documents found in the web ACL
file's own directory and its subdirectories, plus the managed rule groups shipped in
``rules/managed/`` (inside the installed package: ``wafproxy.shipped`` says where). Each file
holds one document, bare or wrapped as ``aws wafv2 get-…`` prints it; JSON or YAML. Files are
read only when a reference needs them (``FileResolver``); files that are not WAF documents (e.g.
test-case tables) are skipped; a malformed file, or a WAF document
that does not validate, is skipped with a warning unless a reference needs it, and then it is an
error naming the file.
"""

from __future__ import annotations

import json
import logging
import os
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

import yaml  # type: ignore[import-untyped]

from wafproxy import shipped
from wafproxy.engine.compiler import CompiledWebACL, compile_web_acl
from wafproxy.engine.errors import WebAclError
from wafproxy.engine.model import IPSet, RegexPatternSet, RuleGroup, classify
from wafproxy.engine.patterngroups import PatternSetCache
from wafproxy.engine.resolve import DocumentIndex, arn_name

T = TypeVar("T")
_log = logging.getLogger(__name__)

SUFFIXES = (".json", ".yaml", ".yml")
MANAGED_DIR = shipped.MANAGED_DIR  # the managed groups wafproxy ships (``wafproxy.shipped``)
MAX_FILES = 10_000  # a misplaced ACL in / must not walk the whole disk

try:
    _Loader: Any = yaml.CSafeLoader
except AttributeError:  # pragma: no cover - PyYAML without libyaml
    _Loader = yaml.SafeLoader


def read_document(path: str | Path) -> object:
    """Parse one JSON or YAML file; syntax errors become ``WebAclError`` naming the file."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise WebAclError("$", f"cannot read: {exc}", str(path)) from None
    try:
        if path.suffix == ".json":
            return json.loads(text)
        return yaml.load(text, Loader=_Loader)  # noqa: S506 - a safe loader
    except json.JSONDecodeError as exc:
        raise WebAclError(
            "$", f"invalid JSON at line {exc.lineno} column {exc.colno}: {exc.msg}", str(path)
        ) from None
    except yaml.YAMLError as exc:
        raise WebAclError("$", f"invalid YAML: {exc}", str(path)) from None


def _walk(root: Path, skip: Path | None = None) -> Iterator[Path]:
    """Candidate document files under ``root`` (sorted, hidden ones skipped), at most
    ``MAX_FILES``: past that the walk stops with a warning (an ACL placed in a big directory
    such as /tmp must not read the whole tree)."""
    count = 0
    for dirpath, dirnames, filenames in os.walk(root):
        here = Path(dirpath)
        dirnames[:] = sorted(
            d for d in dirnames if not d.startswith(".") and (skip is None or (here / d).resolve() != skip)
        )
        for name in sorted(filenames):
            if name.endswith(SUFFIXES) and not name.startswith("."):
                count += 1
                if count > MAX_FILES:
                    _log.warning("more than %d files under %s: the rest are not searched", MAX_FILES, root)
                    return
                yield here / name


class FileResolver:
    """Resolves a web ACL's references against files, reading only what a lookup needs.

    Nothing is read until the compiler asks for a reference: an ACL that references nothing
    reads no other file. A managed rule group lookup reads only ``managed_dir``; other lookups
    also read the ACL's own directory tree (once, capped). A file that cannot be parsed, or a
    WAF document that does not validate, is skipped with a warning — unless a lookup needs it:
    a reference to a name whose document is invalid, defined twice, or whose file (by its stem)
    does not parse is an error naming that file. So a broken YAML file elsewhere under /tmp
    cannot break ``--acl /tmp/x.json``, and a broken referenced document is never silently
    ignored.
    """

    def __init__(self, acl_path: Path, managed_dir: Path | None = MANAGED_DIR) -> None:
        self._acl = acl_path.resolve()
        has_managed = managed_dir is not None and managed_dir.is_dir()
        self._managed_dir = managed_dir.resolve() if has_managed else None  # type: ignore[union-attr]
        self._index = DocumentIndex()
        self._seen: dict[tuple[str, str], str] = {}  # (kind, name) -> file
        self._problems: dict[tuple[str, str], WebAclError] = {}  # (kind, name) -> why it is unusable
        self._unparsable: dict[str, WebAclError] = {}  # file stem -> syntax/read error
        self._done: set[Path] = {self._acl}
        self._managed_read = False
        self._local_read = False

    # -- Resolver --------------------------------------------------------------------------

    def ip_set(self, ref: str) -> IPSet | None:
        self._read_local()
        return self._checked("IPSet", ref, self._index.ip_set(ref))

    def regex_pattern_set(self, ref: str) -> RegexPatternSet | None:
        self._read_local()
        return self._checked("RegexPatternSet", ref, self._index.regex_pattern_set(ref))

    def rule_group(self, ref: str) -> RuleGroup | None:
        self._read_local()
        return self._checked("RuleGroup", ref, self._index.rule_group(ref))

    def managed_rule_group(self, vendor: str, name: str, version: str) -> RuleGroup | None:
        self._read_managed()
        return self._checked("RuleGroup", name, self._index.managed_rule_group(vendor, name, version))

    # -- reading ---------------------------------------------------------------------------

    def _checked(self, kind: str, ref: str, found: T | None) -> T | None:
        name = arn_name(ref)
        problem = self._problems.get((kind, name))
        if problem is not None:
            raise problem
        if found is None:
            broken = self._unparsable.get(name)
            if broken is not None:
                raise broken
        return found

    def _read_managed(self) -> None:
        if not self._managed_read:
            self._managed_read = True
            if self._managed_dir is not None:
                self._read_tree(self._managed_dir, managed=True)

    def _read_local(self) -> None:
        self._read_managed()  # managed groups are also referable by name/ARN, as before
        if not self._local_read:
            self._local_read = True
            self._read_tree(self._acl.parent, managed=False)

    def _read_tree(self, root: Path, *, managed: bool) -> None:
        for path in _walk(root, skip=None if managed else self._managed_dir):
            real = path.resolve()
            if real in self._done:
                continue
            self._done.add(real)
            self._read_file(path, managed)

    def _read_file(self, path: Path, managed: bool) -> None:
        try:
            document = read_document(path)
        except WebAclError as exc:
            _log.warning("skipping %s: %s", path, exc.reason)
            self._unparsable.setdefault(path.stem, exc)
            return
        try:
            kind, node = classify(document)
        except WebAclError:
            return  # not a WAF document (e.g. a test-case table)
        if kind == "WebACL":
            return
        name = node.value.get("Name") if isinstance(node.value, dict) else None
        key = (kind, name) if isinstance(name, str) else None
        if key is not None and key in self._seen:
            reason = f"{kind} {name!r} is also defined in {self._seen[key]}"
            self._problems.setdefault(key, WebAclError(f"{node.path}.Name", reason, str(path)))
            return
        try:
            self._index.add_document(document, str(path), managed=managed)
        except WebAclError as exc:
            _log.warning("skipping %s: %s at %s", path, exc.reason, exc.path)
            if key is not None:
                self._problems.setdefault(key, exc)
            self._unparsable.setdefault(path.stem, exc)
            return
        if key is not None:
            self._seen[key] = str(path)


def build_index(acl_path: Path, managed_dir: Path | None = MANAGED_DIR) -> FileResolver:
    """The resolver ``load_web_acl`` uses (kept for callers of the former eager index)."""
    return FileResolver(acl_path, managed_dir)


def load_web_acl(
    path: str | Path,
    *,
    geo_database: str | Path | None = None,
    asn_database: str | Path | None = None,
    managed_dir: str | Path | None = MANAGED_DIR,
    account: str = "000000000000",
    pattern_cache: PatternSetCache | None = None,
) -> CompiledWebACL:
    """Read, resolve and compile the web ACL at ``path``. Raises ``WebAclError`` (file + JSON path)."""
    path = Path(path)
    document = read_document(path)
    resolver = FileResolver(path, Path(managed_dir) if managed_dir is not None else None)
    geo = open_mmdb(geo_database)
    asn = open_mmdb(asn_database) if asn_database is not None else None
    return compile_web_acl(
        document,
        resolver=resolver,
        source=str(path),
        account=account,
        geo=geo,
        asn=asn,
        pattern_cache=pattern_cache,
    )


def open_mmdb(path: str | Path | None) -> Any:
    """Open a MaxMind-format (GeoIP / ASN) database, or None without a path; errors name the file."""
    if path is None:
        return None
    import maxminddb

    try:
        return maxminddb.open_database(str(path))
    except (OSError, ValueError) as exc:
        raise WebAclError("$", f"cannot open MaxMind database: {exc}", str(path)) from None


@dataclass(frozen=True, slots=True)
class CheckResult:
    """One file checked by ``wafproxy check``: what it holds, its capacity, or the error."""

    path: str
    kind: str = ""  # WebACL, RuleGroup, IPSet, RegexPatternSet; "" when unreadable
    capacity: int | None = None  # web ACLs: the WCU estimate
    error: WebAclError | None = None

    @property
    def ok(self) -> bool:
        return self.error is None


def check_file(path: str | Path, *, managed_dir: str | Path | None = MANAGED_DIR) -> CheckResult:
    """Validate one file: a web ACL is fully compiled (references resolved as ``load_web_acl``
    does); any other document is parsed and validated on its own."""
    path = Path(path)
    try:
        document = read_document(path)
        kind, _ = classify(document)
        if kind == "WebACL":
            compiled = load_web_acl(path, managed_dir=managed_dir)
            return CheckResult(str(path), kind, compiled.capacity)
        DocumentIndex().add_document(document, str(path))
        return CheckResult(str(path), kind)
    except WebAclError as exc:
        return CheckResult(str(path), error=exc.with_source(str(path)))
