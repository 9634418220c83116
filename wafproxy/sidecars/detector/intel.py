"""Threat-intel and trusted IP lists: TXT (one IP/CIDR a line), CSV (first column), STIX 2.1.

A list that does not parse raises ``IntelError`` naming the file and line; the caller keeps the
list it had (``IntelLists.replace`` swaps a whole new set only after every file parsed). Lookups
are radix-tree lookups (``engine.ipsets.IpTrie``), so a 100,000-line feed costs what a 10-line
one does. STIX patterns are read with plain string scanning (no regex on feed content).
"""

from __future__ import annotations

import hashlib
import ipaddress
import json
import os
import stat
from dataclasses import dataclass, field
from pathlib import Path

from wafproxy.engine.ipsets import IpTrie

MAX_ENTRIES = 1_000_000  # per list: a feed bigger than this is a mistake, refused with a message
MAX_BYTES = 35_000_000  # GuardDuty's own limit for a threat list file (35 MB); never read past it
FORMATS = ("TXT", "CSV", "STIX")


class IntelError(ValueError):
    def __init__(self, path: str, line: int, message: str) -> None:
        super().__init__(f"{path}:{line}: {message}")
        self.path = path
        self.line = line


def _cidr(text: str, path: str, line: int) -> str:
    try:
        return str(ipaddress.ip_network(text.strip(), strict=False))
    except ValueError:
        # The value is not quoted: through CreateThreatIntelSet, Location may name any local file,
        # and an error must not hand its content to the caller.
        raise IntelError(path, line, "not an IP address or CIDR") from None


def _hostname(text: str) -> bool:
    """A DNS name (an entity set's other kind of entry): labels of [A-Za-z0-9-], dot-separated."""
    labels = text.rstrip(".").split(".")
    return len(text) <= 253 and len(labels) >= 2 and not labels[-1].isdigit() and all(
        0 < len(label) <= 63 and all(c.isascii() and (c.isalnum() or c == "-") for c in label)
        for label in labels)


def _parse_txt(text: str, path: str, csv: bool, entities: bool = False) -> list[str]:
    out: list[str] = []
    for n, raw in enumerate(text.splitlines(), 1):
        line = raw.strip()
        if not line or line.startswith(("#", ";", "//")):
            continue
        cell = line.split(",", 1)[0].strip().strip('"') if csv else line.split()[0]
        if csv and n == 1 and not any(c.isdigit() for c in cell):
            continue  # a CSV header row
        if entities and _hostname(cell):
            continue  # an entity set's domain: requests reach the proxy from addresses
        out.append(_cidr(cell, path, n))
        if len(out) > MAX_ENTRIES:
            raise IntelError(path, n, f"more than {MAX_ENTRIES} entries")
    return out


def _stix_values(pattern: str) -> list[str]:
    """The values of ``ipv4-addr:value = '…'`` / ``ipv6-addr:value = '…'`` comparisons."""
    out = []
    for marker in ("ipv4-addr:value", "ipv6-addr:value"):
        start = 0
        while (at := pattern.find(marker, start)) >= 0:
            rest = pattern[at + len(marker):].lstrip()
            start = at + len(marker)
            if not rest.startswith("="):
                continue
            rest = rest[1:].lstrip()
            if rest[:1] != "'":
                continue
            end = rest.find("'", 1)
            if end > 0:
                out.append(rest[1:end])
    return out


def _parse_stix(text: str, path: str) -> list[str]:
    try:
        doc = json.loads(text)
    except ValueError as exc:
        line = getattr(exc, "lineno", 0)
        raise IntelError(path, line, f"not JSON: {exc}") from None
    objects = doc.get("objects") if isinstance(doc, dict) else doc
    if not isinstance(objects, list):
        raise IntelError(path, 1, "expected a STIX 2.1 bundle (an object with 'objects')")
    out = []
    for i, obj in enumerate(objects):
        if not isinstance(obj, dict) or obj.get("type") != "indicator":
            continue
        pattern = obj.get("pattern")
        if obj.get("pattern_type", "stix") != "stix" or not isinstance(pattern, str):
            continue
        for value in _stix_values(pattern):
            out.append(_cidr(value, f"{path} objects[{i}]", 0))
    return out


def detect_format(path: Path) -> str:
    name = path.name.lower()
    if name.endswith(".json"):
        return "STIX"
    if name.endswith(".csv"):
        return "CSV"
    return "TXT"


@dataclass(frozen=True, slots=True)
class IntelList:
    """One parsed list: its name (GuardDuty's ThreatListName), CIDRs and the file's SHA-256."""

    name: str
    cidrs: tuple[str, ...]
    sha256: str
    trie: IpTrie = field(repr=False, compare=False)


def read_bounded(p: Path) -> bytes:
    """The bytes of regular file ``p``, at most ``MAX_BYTES`` of them. Opened non-blocking and
    checked to be a regular file before reading, so a FIFO, a device (``/dev/zero``) or a
    ``/proc`` file cannot hang the API or fill memory; a bigger file is refused unread."""
    try:
        fd = os.open(p, os.O_RDONLY | os.O_NONBLOCK | os.O_CLOEXEC)
    except (OSError, ValueError) as exc:  # ValueError: a NUL byte in the name
        raise IntelError(str(p).replace("\0", "\\0"), 0,
                         f"cannot read: {getattr(exc, 'strerror', None) or 'bad file name'}") from None
    with os.fdopen(fd, "rb") as fh:
        st = os.fstat(fd)
        if not stat.S_ISREG(st.st_mode):
            raise IntelError(str(p), 0, "not a regular file")
        if st.st_size > MAX_BYTES:
            raise IntelError(str(p), 0, f"larger than {MAX_BYTES} bytes")
        data = fh.read(MAX_BYTES + 1)
    if len(data) > MAX_BYTES:  # grew while we read
        raise IntelError(str(p), 0, f"larger than {MAX_BYTES} bytes")
    return data


def load_list(path: str | Path, fmt: str | None = None, name: str | None = None,
              entities: bool = False) -> IntelList:
    """``entities``: a GuardDuty entity set, whose domain-name entries are skipped."""
    p = Path(path)
    data = read_bounded(p)
    text = data.decode("utf-8", "replace")
    kind = (fmt or detect_format(p)).upper()
    if kind == "STIX":
        cidrs = _parse_stix(text, str(p))
    elif kind in ("TXT", "CSV"):
        cidrs = _parse_txt(text, str(p), csv=kind == "CSV", entities=entities)
    else:
        raise IntelError(str(p), 0, f"format {kind} not supported (TXT, CSV, STIX)")
    return IntelList(name or p.name, tuple(cidrs), hashlib.sha256(data).hexdigest(), IpTrie(cidrs))


class IntelLists:
    """The active lists: threat lists, trusted lists, the Tor exit list. Swapped whole."""

    def __init__(self) -> None:
        self.threat: tuple[IntelList, ...] = ()
        self.trusted: tuple[IntelList, ...] = ()
        self.tor: IntelList | None = None

    def replace(self, threat: list[IntelList], trusted: list[IntelList], tor: IntelList | None) -> None:
        self.threat, self.trusted, self.tor = tuple(threat), tuple(trusted), tor

    def is_trusted(self, ip: str) -> bool:
        for lst in self.trusted:
            if lst.trie.contains(ip):
                return True
        return False

    def threat_match(self, ip: str) -> IntelList | None:
        for lst in self.threat:
            if lst.trie.contains(ip):
                return lst
        return None

    def is_tor(self, ip: str) -> bool:
        return self.tor is not None and self.tor.trie.contains(ip)

    @property
    def empty(self) -> bool:
        return not (self.threat or self.trusted or self.tor)
