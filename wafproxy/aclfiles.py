"""Loading a web ACL and the documents it references from files (the I/O edge of the engine).

Resolution contract (issue 3): references resolve against the documents found in the web ACL
file's own directory and its subdirectories, plus the managed rule groups shipped in
``rules/managed/``. Each file holds one document, bare or wrapped as ``aws wafv2 get-…`` prints
it; JSON or YAML. Files that are not WAF documents (e.g. test-case tables) are skipped; a file
that is malformed, or a WAF document that does not validate, is an error naming the file.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml  # type: ignore[import-untyped]

from wafproxy.engine.compiler import CompiledWebACL, compile_web_acl
from wafproxy.engine.errors import WebAclError
from wafproxy.engine.model import classify
from wafproxy.engine.patterngroups import PatternSetCache
from wafproxy.engine.resolve import DocumentIndex

SUFFIXES = (".json", ".yaml", ".yml")
MANAGED_DIR = Path(__file__).resolve().parent.parent / "rules" / "managed"
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


def _walk(root: Path) -> Iterator[Path]:
    count = 0
    for dirpath, dirnames, filenames in os.walk(root):
        dirnames[:] = sorted(d for d in dirnames if not d.startswith("."))
        for name in sorted(filenames):
            if name.endswith(SUFFIXES) and not name.startswith("."):
                count += 1
                if count > MAX_FILES:
                    raise WebAclError("$", f"more than {MAX_FILES} files under {root}", str(root))
                yield Path(dirpath) / name


def build_index(acl_path: Path, managed_dir: Path | None = MANAGED_DIR) -> DocumentIndex:
    """Index every IPSet, RegexPatternSet and RuleGroup next to (and below) the web ACL file."""
    index = DocumentIndex()
    seen: dict[tuple[str, str], str] = {}
    done: set[Path] = set()
    roots: list[tuple[Path, bool]] = [(acl_path.parent, False)]
    if managed_dir is not None and managed_dir.is_dir():
        roots.insert(0, (managed_dir, True))
    for root, managed in roots:
        for path in _walk(root):
            real = path.resolve()
            if real == acl_path.resolve() or real in done:
                continue
            done.add(real)
            is_managed = managed or (managed_dir is not None and managed_dir.resolve() in real.parents)
            document = read_document(path)
            try:
                kind, node = classify(document)
            except WebAclError:
                continue  # not a WAF document
            if kind == "WebACL":
                continue
            name = node.value.get("Name") if isinstance(node.value, dict) else None
            if isinstance(name, str):
                if (kind, name) in seen:
                    raise WebAclError(
                        f"{node.path}.Name",
                        f"{kind} {name!r} is also defined in {seen[(kind, name)]}",
                        str(path),
                    )
                seen[(kind, name)] = str(path)
            index.add_document(document, str(path), managed=is_managed)
    return index


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
    index = build_index(path, Path(managed_dir) if managed_dir is not None else None)
    geo = _open_mmdb(geo_database)
    asn = _open_mmdb(asn_database) if asn_database is not None else None
    return compile_web_acl(
        document,
        resolver=index,
        source=str(path),
        account=account,
        geo=geo,
        asn=asn,
        pattern_cache=pattern_cache,
    )


def _open_mmdb(path: str | Path | None) -> Any:
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
