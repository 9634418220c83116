"""Splitting a large database so its costliest regex alternatives only run behind a cheap guard.

Why: the managed SQLi grammar has ~30 alternatives built around a boolean operator
(``['"`]\\s*\\)*\\s*(?:or|and|xor|&&|\\|\\|)…``, ``(?:^|[=&"])\\s*(?:and|or|xor)\\b…``). Hyperscan
triggers each of them on every ``or`` / ``and`` it finds, and English text is full of them
(``door``, ``for``, ``more``): in the pooled body database those alternatives cost ~40 % of a 2 KB
form body's scan (~250 k of ~620 k instructions, callgrind). Each of them, though, can only match
where the operator is a *token*: a word operator preceded by a non-word character or the start of
the value. Likewise ~140 alternatives (shell chaining, ``<script``, ``${…}``) cannot match
without one of a few characters benign text rarely holds (``$ ; | ` < > \\ ^ ~``) or ``&&``. So a database
is split (``split``):

* the main database: every other alternative, plus a guard expression per kind,
  ``\\b(?:and|or|xor|…)|&&|\\|\\|`` (a short-literal table and a one-byte look-behind) and the
  class ``[$;|`<>\\\\^~]`` or ``&&``;
* a guarded database per kind, scanned only when its guard matched.

Exactness. A regex is split only at its top-level ``|`` (the match set of ``A|B`` is the union of
those of ``A`` and ``B``, and a pattern's id is reported from either database), and an alternative
is guarded only when ``_token_operator`` *proves*, from its syntax, that any match of it contains
an operator token the guard finds: the alternative is a concatenation with an unquantified group
of plain operators (``or``, ``and``, ``&&`` …) and, reading backwards from that group through
elements that may match empty, every character that can precede the operator is a non-word
character, or a ``\\b`` / ``^`` comes first; for the punctuation kind, ``_needs_punctuation``
proves that an element the alternative must match matches only those characters (or that two
it must match in a row are each ``&``). Anything the
analysis does not understand keeps the alternative in the main database.
``tests/engine/test_guard.py`` checks the analysis and the split sets against unsplit ones.

Which databases: a kind needs at least ``MIN_GUARDED`` alternatives (the large pooled sets and
the ``CMD_LINE`` set); a small database keeps its compile-cache key and costs nothing new.
"""

from __future__ import annotations

from dataclasses import dataclass

from ._regexparts import alternatives as _alternatives
from ._regexparts import atom_end as _atom_end
from ._regexparts import elements as _elements
from ._regexparts import split_regex as _split_regex

#: A split is only worth a second database for this many guarded alternatives.
MIN_GUARDED = 8

#: The ids of the guard expressions in the main database (hyperscan ids are unsigned 32-bit).
GUARD_ID = 0xFFFFFFFE
PUNCTUATION_GUARD_ID = 0xFFFFFFFD
BRACE_GUARD_ID = 0xFFFFFFFC

#: Characters rare in benign text and data (not ``{}[]``: JSON, PHP-style form arrays; not
#: ``/'"()``: paths, prose). An alternative that cannot match without one of them, or without
#: ``&&`` (the shell grammar's ``(?:;|&&|\|\|)`` chaining: ``&&`` is no character of the class,
#: but a form or query string holds it only for an empty field), runs behind
#: ``_PUNCTUATION_GUARD``. Hyperscan cannot start those alternatives at their rare chaining
#: token (its literal factor is the command word after it: ``at``, ``time``, ``cat``, ``more``,
#: words of any English text), so in the main database they cost ~30 % of a 2 KB form body's
#: scan and ~60 % of a 2 KB paragraph's.
_PUNCTUATION = frozenset("$;|`<>\\^~")
_PUNCTUATION_GUARD = b"[$;|`<>\\\\^~]|&&"
#: ``{``: JSON and templates hold it, form and query values almost never. The brace-expansion
#: alternatives of the shell grammar (``\{,?\$?["']?[a-z]+["']?,[-/~$][^}]*\}``, ``[a-z]\{[a-z]+,``)
#: cost ~40 % of the main body database's scan of a 2 KB form body that holds no ``{``
#: (hyperscan runs them as engines, not behind the literal); behind this guard they run only
#: on values with a brace.
_BRACE = frozenset("{")
_BRACE_GUARD = b"\\{"

#: Only the boolean operators: other words (``from``, ``in``, ``ne``) would fire the guard on
#: most English text (``\bin`` is every word that starts with "in").
_WORDS = frozenset(("or", "and", "xor", "div", "having", "between"))
_SYMBOL_OPERATORS = {"&&": b"&&", "\\|\\|": b"\\|\\|"}
_OPERATORS = _WORDS | frozenset(_SYMBOL_OPERATORS)
_NONWORD_ESCAPES = frozenset("sWntrfv")
_WORD = frozenset("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_")


@dataclass(frozen=True, slots=True)
class Split:
    """One database's entries as a main one and guarded ones (entries: ``(index, expression,
    caseless)``); the main entries end with the guards, ``guarded[i]`` runs behind ``guard_ids[i]``."""

    main: list[tuple[int, bytes, bool]]
    guard_ids: tuple[int, ...]
    guarded: tuple[list[tuple[int, bytes, bool]], ...]


def split(entries: list[tuple[int, bytes, bool]], brace: bool = True) -> Split | None:
    """The guarded split of ``entries``, or None when no kind of guard has ``MIN_GUARDED``
    alternatives (then the database is built as it is). ``brace``: consider the brace kind (a set
    with too few brace alternatives is split as if it did not exist, so its databases keep the
    expressions, and the compile-cache keys, they had before that kind was added)."""
    main: list[tuple[int, bytes, bool]] = []
    # per kind (operator, punctuation, brace): the moved entries and how many alternatives
    moved: tuple[list[tuple[int, bytes, bool]], ...] = ([], [], [])
    count = [0, 0, 0]
    words: dict[str, None] = {}
    symbols: dict[bytes, None] = {}
    for index, expression, caseless in entries:
        parts = _split_regex(expression)
        if parts is None:
            main.append((index, expression, caseless))
            continue
        flags, alternatives = parts
        kinds: tuple[list[str], ...] = ([], [], [], [])  # operator, punctuation, brace, kept
        for alternative in alternatives:
            operators = _token_operator(alternative)
            if operators is not None:
                kinds[0].append(alternative)
                for op in operators:
                    if op in _SYMBOL_OPERATORS:
                        symbols[_SYMBOL_OPERATORS[op]] = None
                    else:
                        words[op] = None
            elif _needs_punctuation(alternative):
                kinds[1].append(alternative)
            else:
                kinds[2 if brace and _needs_punctuation(alternative, _BRACE) else 3].append(alternative)
        if not any(kinds[:3]):
            main.append((index, expression, caseless))
            continue
        for kind in _KINDS:
            if kinds[kind]:
                count[kind] += len(kinds[kind])
                moved[kind].append((index, _join(flags, kinds[kind]), caseless))
        if kinds[3]:
            main.append((index, _join(flags, kinds[3]), caseless))
    operator_guard = b"(?i)" + b"|".join(
        ([b"\\b(?:" + "|".join(words).encode() + b")"] if words else []) + list(symbols)
    )
    guards = (
        (GUARD_ID, operator_guard),
        (PUNCTUATION_GUARD_ID, _PUNCTUATION_GUARD),
        (BRACE_GUARD_ID, _BRACE_GUARD),
    )
    if brace and 0 < count[2] < MIN_GUARDED:
        return split(entries, brace=False)
    kept = [kind for kind in _KINDS if count[kind] >= MIN_GUARDED]
    if not kept:
        return None
    for kind in _KINDS:
        if kind not in kept:  # too few to be worth a database: back into the main one
            main.extend(moved[kind])
    main.extend((guards[kind][0], guards[kind][1], True) for kind in kept)
    return Split(main, tuple(guards[kind][0] for kind in kept), tuple(moved[kind] for kind in kept))


_KINDS = (0, 1, 2)


def _join(flags: str, alternatives: list[str]) -> bytes:
    return (flags + "|".join(alternatives)).encode("utf-8", "surrogateescape")


def _operators(atom: str) -> list[str] | None:
    """The operators of a group of plain operator alternatives (``(?:or|and|&&)``), else None."""
    if not atom.startswith("(?:") or not atom.endswith(")"):
        return None
    options = _alternatives(atom[3:-1])
    if not set(options) <= _OPERATORS:
        return None
    return options if not set(options) <= set(_SYMBOL_OPERATORS) else None


def _token_operator(alternative: str) -> list[str] | None:
    """The operators of an operator token every match of ``alternative`` holds (a word operator
    after a non-word character or at the start, or ``&&`` / ``||``); else None."""
    try:
        elements = _elements(alternative)
    except (IndexError, ValueError):
        return None
    for k, (atom, minimum) in enumerate(elements):
        operators = _operators(atom) if minimum >= 1 else None
        if operators is None:
            operators = _spelled(elements[k:])
        if operators is not None and _ends_nonword(elements[:k]) == _YES:
            return operators
    return None


def _spelled(elements: list[tuple[str, int]]) -> list[str] | None:
    """A word operator spelled as single letters (``xor``, ``x?or``) at the start of
    ``elements``, and not followed by another letter (``org`` is not ``or``)."""
    letters = []
    for atom, minimum in elements:
        if len(atom) != 1 or not ("a" <= atom.lower() <= "z"):
            break
        letters.append((atom.lower(), minimum))
    word = "".join(c for c, m in letters)
    if letters[:1] == [("x", 0)] and word == "xor" and all(m >= 1 for _, m in letters[1:]):
        return ["xor", "or"]
    if word in _WORDS and all(m >= 1 for _, m in letters):
        return [word]
    return None


# Results of the backward analysis of a sequence: every match ends with a non-word character
# (or sits at the start of the value / after a \b): YES; may be empty, else as YES: EMPTY; NO.
_YES, _EMPTY, _NO = "yes", "empty", "no"


def _ends_nonword(elements: list[tuple[str, int]]) -> str:
    """Whether whatever precedes the operator in a match of ``elements`` is a non-word
    character, the start of the value or a ``\\b`` (before a word operator: the same)."""
    for atom, minimum in reversed(elements):
        kind = _atom_kind(atom)
        if kind == _NO:
            return _NO
        if kind == _YES and minimum >= 1:
            return _YES
    return _EMPTY


def _atom_kind(atom: str) -> str:
    if atom in ("\\b", "^", "\\A"):
        return _YES  # zero-width, but decisive: before a word character it means a non-word one
    if atom.startswith("(?:") and atom.endswith(")"):
        kinds = {_ends_nonword(_elements(a)) for a in _alternatives(atom[3:-1])}
        return _NO if _NO in kinds else _EMPTY if _EMPTY in kinds else _YES
    if atom.startswith("["):
        return _YES if _class_nonword(atom) else _NO
    return _YES if _char_nonword(atom) else _NO


def _char_nonword(atom: str, in_class: bool = False) -> bool:
    if len(atom) == 1:
        return atom not in _WORD and (in_class or atom not in ".$")
    if atom[0] != "\\" or len(atom) < 2:
        return False
    if atom[1] == "x":
        digits = atom[3:-1] if atom.startswith("\\x{") else atom[2:4]
        try:
            return chr(int(digits, 16)) not in _WORD
        except ValueError:
            return False
    if atom[1] in _NONWORD_ESCAPES:
        return True
    return len(atom) == 2 and not atom[1].isalnum()  # an escaped punctuation character


def _class_nonword(atom: str) -> bool:
    """A plain ``[...]`` class (no negation, no ranges) of non-word characters only."""
    inner = atom[1:-1]
    if inner.startswith("^") or not inner:
        return False
    i = 0
    while i < len(inner):
        if inner[i] == "\\":
            end = _atom_end(inner, i)
            member = inner[i:end]
        else:
            end, member = i + 1, inner[i]
        if inner.startswith("-", end) and end + 1 < len(inner):
            return False  # a range
        if not _char_nonword(member, in_class=True):
            return False
        i = end
    return True


def _needs_punctuation(alternative: str, chars: frozenset[str] = _PUNCTUATION) -> bool:
    """Whether every match of ``alternative`` holds a character of ``chars`` (``_PUNCTUATION``
    or ``_BRACE``): one of its elements that must match (at least once) matches only such
    characters. For ``_PUNCTUATION`` (whose guard also finds ``&&``), also when two elements it
    must match, one after the other, are each a plain ``&``."""
    try:
        elements = _elements(alternative)
        if any(minimum >= 1 and _punctuation_only(atom, chars) for atom, minimum in elements):
            return True
        return chars is _PUNCTUATION and any(
            first[0] == "&" and second[0] == "&" and first[1] >= 1 and second[1] >= 1
            for first, second in zip(elements, elements[1:], strict=False)
        )
    except (IndexError, ValueError):
        return False


#: Characters that, unescaped outside a class, are syntax (an anchor, a quantifier's brace),
#: not the character: only their escaped or in-class form counts.
_SYNTAX = frozenset("$^{")


def _punctuation_only(atom: str, chars: frozenset[str], in_class: bool = False) -> bool:
    if atom.startswith("(?:") and atom.endswith(")"):
        return all(_needs_punctuation(a, chars) for a in _alternatives(atom[3:-1]))
    if atom.startswith("[") and not atom.startswith("[^"):
        inner, i = atom[1:-1], 0
        while i < len(inner):
            end = _atom_end(inner, i) if inner[i] == "\\" else i + 1
            if inner.startswith("-", end) and end + 1 < len(inner):
                return False  # a range
            if not _punctuation_only(inner[i:end], chars, in_class=True):
                return False
            i = end
        return bool(inner)
    char = atom[1:] if len(atom) == 2 and atom[0] == "\\" and not atom[1].isalnum() else atom
    return len(char) == 1 and char in chars and (in_class or atom not in _SYNTAX)
