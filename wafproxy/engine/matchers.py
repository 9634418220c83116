"""Multi-pattern matching: every pattern of one (field, transformation chain) group in one database.

One ``PatternSet`` answers "which of these N patterns match this value?" with one linear-time scan,
so the cost of a request does not grow with the number of ByteMatch / Regex rules on a field.

Engines (chosen once per set, ``engine="auto"`` prefers hyperscan):

* **hyperscan** — all patterns compiled into one block-mode database, ``HS_FLAG_SINGLEMATCH``
  (each id reported once) and ``HS_FLAG_ALLOWEMPTY``.
* **re2** — google-re2 ``Set`` (the portable fallback; also selectable for tests). Large sets are
  split into chunks so no RE2 DFA runs out of memory (RE2 then reports *no* match, silently).

Both are automata: no backtracking, linear in the value whatever the pattern or the input.

Bytes and text. A value is scanned as ``to_bytes(value)`` (the lossless mapping of
``transforms._bytes``). Attacker input may be invalid UTF-8, and hyperscan's UTF-8 mode is
undefined behaviour on invalid UTF-8, so every set has a *byte-mode* database (no UTF-8 flag; RE2
in Latin-1 mode) that is always safe. Literal patterns (the positional constraints) are matched
there, as bytes, as AWS matches them. Regexes are also compiled into a *UTF-8-mode* database
(``HS_FLAG_UTF8``; RE2 UTF-8), scanned instead when the value is valid non-ASCII UTF-8, so that
``.`` and classes see characters as PCRE in UTF mode would; on ASCII both modes agree, and on
invalid UTF-8 a regex sees bytes (``.`` matches one byte). A regex that only makes sense on
characters (``\\x{4e2d}``) is left out of the byte-mode database.

Positional constraints (AWS ByteMatchStatement) become anchored, escaped literals:
EXACTLY ``\\A lit \\z``, STARTS_WITH ``\\A lit``, ENDS_WITH ``lit \\z``, CONTAINS ``lit``, and
CONTAINS_WORD ``(\\A|[^A-Za-z0-9_]) lit ([^A-Za-z0-9_]|\\z)`` — AWS: the string must be preceded and
followed by a character other than an alphanumeric or underscore, or by the value's boundary.

Regex semantics: PCRE syntax without the constructs AWS WAF rejects and no automaton can run in
linear time (backreferences, lookaround, atomic groups, possessive quantifiers, recursion,
conditionals, ``\\C`` ``\\R`` ``\\K``, backtracking verbs) — ``validate_regex`` names the construct.
One known difference between the engines: hyperscan's ``$`` also matches before a final newline
(PCRE), RE2's only at the very end.
"""

from __future__ import annotations

import threading
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Literal, Protocol

import re2

from wafproxy.engine.transforms import to_bytes

try:  # hyperscan is a Linux/x86-64 wheel; everywhere else the RE2 fallback is used
    import hyperscan as _hs
except ImportError:  # pragma: no cover - depends on the platform
    _hs = None

HAVE_HYPERSCAN = _hs is not None
_COMPILE_ERRORS: tuple[type[Exception], ...] = (re2.error,) + ((_hs.error,) if _hs is not None else ())

Kind = Literal["regex", "exactly", "starts_with", "ends_with", "contains", "contains_word"]
Engine = Literal["auto", "hyperscan", "re2"]
KINDS: frozenset[str] = frozenset(
    ("regex", "exactly", "starts_with", "ends_with", "contains", "contains_word")
)

# RE2 DFA memory budget per Set, and patterns per Set (see module docstring).
_RE2_MAX_MEM = 64 << 20
_RE2_CHUNK = 200


@dataclass(frozen=True, slots=True)
class Pattern:
    """One pattern of a set; ``id`` is the caller's (e.g. the index of its rule); ids may repeat."""

    id: int
    kind: Kind
    text: str
    caseless: bool = False


class PatternError(ValueError):
    """A pattern that cannot be compiled, with the reason (and the pattern, for the message).

    The compiler re-raises it with the path of the offending field
    (``...RegexMatchStatement.RegexString``); ``path`` is empty until then.
    """

    def __init__(self, reason: str, pattern: str = "", path: str = "") -> None:
        self.reason = reason
        self.pattern = pattern
        self.path = path
        where = f"{path}: " if path else ""
        super().__init__(f"{where}{reason}" + (f" in regex {pattern!r}" if pattern else ""))


# --- regex validation ---------------------------------------------------------------------------

# (prefix after "(", reason) — checked in order, so "(?<=" wins over "(?<name>".
_GROUP_CONSTRUCTS: tuple[tuple[str, str], ...] = (
    ("?=", "lookahead (?=...) is not supported"),
    ("?!", "negative lookahead (?!...) is not supported"),
    ("?<=", "lookbehind (?<=...) is not supported"),
    ("?<!", "negative lookbehind (?<!...) is not supported"),
    ("?>", "atomic groups (?>...) are not supported"),
    ("?|", "branch reset groups (?|...) are not supported"),
    ("?(", "conditional patterns (?(...)...) are not supported"),
    ("?R", "recursive patterns (?R) are not supported"),
    ("?&", "subroutine references (?&name) are not supported"),
    ("?P>", "subroutine references (?P>name) are not supported"),
    ("?C", "callouts (?C) are not supported"),
    ("*", "backtracking control verbs (*...) are not supported"),
)
_ESCAPES = {
    "C": "the single-byte directive \\C is not supported",
    "R": "the newline directive \\R is not supported",
    "K": "the match reset directive \\K is not supported",
    "g": "backreferences (\\g) are not supported",
    "k": "backreferences (\\k) are not supported",
}


def _unsupported_construct(text: str) -> str | None:
    """Find the first construct no linear-time engine runs; skips escapes and character classes.

    ``after_quantifier`` tracks whether the previous token was a quantifier, so a following ``+``
    is possessive (``a++``) while ``\\p{L}+`` or ``\\++`` are not.
    """
    i, n, in_class, after_quantifier = 0, len(text), False, False
    while i < n:
        c = text[i]
        if c == "\\" and i + 1 < n:
            nxt = text[i + 1]
            i += 2
            if nxt in "pPxNo" and text.startswith("{", i):  # \p{L}, \x{41}: one token
                close = text.find("}", i)
                i = n if close < 0 else close + 1
            if not in_class:
                if nxt in "123456789":
                    return f"backreferences (\\{nxt}) are not supported"
                if nxt in _ESCAPES:
                    return _ESCAPES[nxt]
            after_quantifier = False
            continue
        if in_class:
            if c == "[" and text.startswith(":", i + 1):  # POSIX class [:alpha:] inside [...]
                close = text.find(":]", i + 2)
                i = i + 1 if close < 0 else close + 2
                continue
            in_class = c != "]"
            i += 1
            continue
        quantifier = False
        if c == "[":
            in_class = True
            if text.startswith("^", i + 1):
                i += 1
            if text.startswith("]", i + 1):
                i += 1  # a leading ']' is a literal member of the class
        elif c == "(":
            rest = text[i + 1 : i + 4]
            for prefix, reason in _GROUP_CONSTRUCTS:
                if rest.startswith(prefix):
                    return reason
            if rest[:1] == "?" and (rest[1:2].isdigit() or rest[1:2] in "+-" and rest[2:3].isdigit()):
                return "subroutine calls (?N) are not supported"
            if rest[:1] == "?":
                i += 1  # the '?' of a group modifier is not a quantifier
        elif c in "*?":
            quantifier = True
        elif c == "+":
            if after_quantifier:
                return "possessive quantifiers (x*+, x++, x?+) are not supported"
            quantifier = True
        elif c == "{":
            close = text.find("}", i)
            body = text[i + 1 : close] if close > 0 else ""
            if body and body.replace(",", "").isdigit():
                i, quantifier = close, True
        i += 1
        after_quantifier = quantifier
    return None


def _re2_options(utf8: bool) -> re2.Options:
    options = re2.Options()
    options.log_errors = False
    options.max_mem = _RE2_MAX_MEM
    options.encoding = re2.Options.Encoding.UTF8 if utf8 else re2.Options.Encoding.LATIN1
    return options


def validate_regex(text: str) -> None:
    """Raise ``PatternError`` unless ``text`` runs on every engine we may use, in linear time."""
    if not text:
        raise PatternError("an empty regex matches everything", text)
    reason = _unsupported_construct(text)
    if reason is not None:
        raise PatternError(reason, text)
    try:
        re2.compile(_encode_regex(text), _re2_options(utf8=True))
    except re2.error as exc:
        raise PatternError(f"invalid regex ({_message(exc)})", text) from None
    if _hs is not None:
        try:
            _hs_compile([_encode_regex(text)], [_HS_BASE | _hs.HS_FLAG_UTF8])
        except _hs.error as exc:
            raise PatternError(f"not supported by hyperscan ({_message(exc)})", text) from None


def _message(exc: BaseException) -> str:
    msg = exc.args[0] if exc.args else str(exc)
    return msg.decode("utf-8", "replace") if isinstance(msg, bytes) else str(msg)


# --- expressions --------------------------------------------------------------------------------

_WORD_BEFORE = rb"(?:\A|[^A-Za-z0-9_])"
_WORD_AFTER = rb"(?:[^A-Za-z0-9_]|\z)"


def _encode_regex(text: str) -> bytes:
    return to_bytes(text)


def _escape_literal(text: str) -> bytes:
    """Escape the UTF-8 bytes of ``text`` (``\\xHH`` for all but ASCII alphanumerics)."""
    out = bytearray()
    for byte in to_bytes(text):
        out += bytes((byte,)) if byte < 0x80 and chr(byte).isalnum() else b"\\x%02x" % byte
    return bytes(out)


def _expression(pattern: Pattern, utf8: bool) -> bytes | None:
    if pattern.kind == "regex":
        return _encode_regex(pattern.text)
    if utf8:
        return None  # literals live in the byte-mode database only
    lit = b"(?:" + _escape_literal(pattern.text) + b")"
    if pattern.kind == "exactly":
        return rb"\A" + lit + rb"\z"
    if pattern.kind == "starts_with":
        return rb"\A" + lit
    if pattern.kind == "ends_with":
        return lit + rb"\z"
    if pattern.kind == "contains_word":
        return _WORD_BEFORE + lit + _WORD_AFTER
    return lit


# --- engines ------------------------------------------------------------------------------------

_HS_BASE = (_hs.HS_FLAG_SINGLEMATCH | _hs.HS_FLAG_ALLOWEMPTY) if _hs is not None else 0


def _hs_compile(expressions: list[bytes], flags: list[int], ids: list[int] | None = None) -> object:
    assert _hs is not None
    db = _hs.Database(mode=_hs.HS_MODE_BLOCK)
    db.compile(
        expressions=expressions,
        ids=ids if ids is not None else list(range(len(expressions))),
        elements=len(expressions),
        flags=flags,
    )
    return db


class _Backend(Protocol):
    def scan(self, data: bytes) -> set[int]: ...


class _HyperscanBackend:
    """One database; a scratch space per thread (hyperscan scratch must not be shared)."""

    __slots__ = ("_db", "_local", "_prototype")

    def __init__(self, entries: list[tuple[int, bytes, bool]], utf8: bool) -> None:
        assert _hs is not None
        extra = _hs.HS_FLAG_UTF8 if utf8 else 0
        flags = [_HS_BASE | extra | (_hs.HS_FLAG_CASELESS if caseless else 0) for _, _, caseless in entries]
        self._db = _hs_compile([expr for _, expr, _ in entries], flags, [index for index, _, _ in entries])
        self._prototype = _hs.Scratch(self._db)
        self._local = threading.local()

    def scan(self, data: bytes) -> set[int]:
        scratch = getattr(self._local, "scratch", None)
        if scratch is None:
            scratch = self._local.scratch = self._prototype.clone()
        hits: set[int] = set()
        self._db.scan(data, match_event_handler=_collect, context=hits, scratch=scratch)
        return hits


def _collect(index: int, _start: int, _end: int, _flags: int, hits: set[int]) -> None:
    hits.add(index)


class _Re2Backend:
    """RE2 ``Set``s of at most ``_RE2_CHUNK`` patterns each (DFA memory stays bounded)."""

    __slots__ = ("_sets",)

    def __init__(self, entries: list[tuple[int, bytes, bool]], utf8: bool) -> None:
        self._sets: list[tuple[re2.Set, list[int]]] = []
        for start in range(0, len(entries), _RE2_CHUNK):
            chunk = entries[start : start + _RE2_CHUNK]
            rset = re2.Set.SearchSet(_re2_options(utf8))
            for _, expr, caseless in chunk:
                rset.Add((b"(?i)" if caseless else b"") + expr)
            rset.Compile()
            self._sets.append((rset, [index for index, _, _ in chunk]))

    def scan(self, data: bytes) -> set[int]:
        hits: set[int] = set()
        for rset, indexes in self._sets:
            hits.update(indexes[i] for i in rset.Match(data) or ())  # None: no match
        return hits


# --- the set ------------------------------------------------------------------------------------


class PatternSet:
    """Immutable, compiled set of patterns; ``scan`` returns the ids of all that match."""

    __slots__ = ("_bytes", "_ids", "_literal", "_utf8", "engine", "patterns")

    def __init__(self, patterns: tuple[Pattern, ...], engine: Literal["hyperscan", "re2"]) -> None:
        self.patterns = patterns
        self.engine = engine
        self._ids = tuple(p.id for p in patterns)
        backend = _HyperscanBackend if engine == "hyperscan" else _Re2Backend
        # Byte mode holds everything; UTF-8 mode holds only the regexes (literals are bytes, as
        # AWS matches them) and is consulted for valid non-ASCII values.
        self._bytes: _Backend | None = _build(backend, patterns, utf8=False)
        self._literal = frozenset(i for i, p in enumerate(patterns) if p.kind != "regex")
        self._utf8: _Backend | None = _build(backend, patterns, utf8=True)

    @classmethod
    def build(cls, patterns: Sequence[Pattern], engine: Engine = "auto") -> PatternSet:
        """Validate and compile ``patterns``; raises ``PatternError`` naming the bad one."""
        for p in patterns:
            if p.kind not in KINDS:
                raise PatternError(f"unknown pattern kind {p.kind!r}")
            if p.kind == "regex":
                validate_regex(p.text)
        if engine == "auto":
            engine = "hyperscan" if _hs is not None else "re2"
        if engine == "hyperscan" and _hs is None:
            raise PatternError("hyperscan is not installed on this platform")
        return cls(tuple(patterns), engine)

    def __len__(self) -> int:
        return len(self.patterns)

    def scan(self, value: str) -> frozenset[int]:
        """Ids of every pattern matching ``value``; linear time, never raises on any ``str``."""
        if not self._ids:
            return frozenset()
        if value.isascii():
            hits = self._bytes.scan(value.encode("ascii")) if self._bytes is not None else set()
        elif self._utf8 is None or not _valid_utf8(value):
            hits = self._bytes.scan(to_bytes(value)) if self._bytes is not None else set()
        else:
            data = value.encode("utf-8")
            hits = self._utf8.scan(data)
            if self._literal and self._bytes is not None:
                hits |= self._bytes.scan(data) & self._literal
        return frozenset(self._ids[i] for i in hits)


def _valid_utf8(value: str) -> bool:
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def _build(backend: type, patterns: Iterable[Pattern], utf8: bool) -> _Backend | None:
    entries: list[tuple[int, bytes, bool]] = []
    for index, pattern in enumerate(patterns):
        expr = _expression(pattern, utf8)
        if expr is not None:
            entries.append((index, expr, pattern.caseless))
    if not entries:
        return None
    try:
        return backend(entries, utf8)
    except _COMPILE_ERRORS:
        if utf8:
            raise  # validate_regex compiled every regex in UTF-8 mode: this is a bug, not input
    # Byte mode: a regex valid in UTF-8 mode may still not compile on bytes (``\x{4e2d}``); such a
    # regex can only match characters, so it is left out of the byte-mode database and matches
    # valid-UTF-8 values only (the UTF-8-mode database has it).
    kept = [entry for entry in entries if _compiles(backend, entry)]
    return backend(kept, utf8) if kept else None


def _compiles(backend: type, entry: tuple[int, bytes, bool]) -> bool:
    try:
        backend([entry], False)
    except _COMPILE_ERRORS:
        return False
    return True
