"""The vocabulary of the managed rule sources: ``RuleClass`` and the pieces every regex shares.

Regexes run case-insensitively (``(?i)``) on values already decoded by the rule's chain (see
``generate.CHAINS``), in hyperscan or RE2: linear time, no backreferences or lookaround. Each
regex describes the *grammar* of an attack (a separator, then a command word, then an argument
shape), not a sample string, and each has a should-block and a should-pass case in
``tests/rules/cases_<family>.py``. The false-positive trade-offs are in ``docs/managed-rules.md``.
"""

from __future__ import annotations

from dataclasses import dataclass

ALL = ("URIPATH", "QUERYARGUMENTS", "BODY", "COOKIE", "HEADER")
NO_BODY = ("URIPATH", "QUERYARGUMENTS", "COOKIE", "HEADER")


@dataclass(frozen=True, slots=True)
class RuleClass:
    group: str
    name: str
    patterns: tuple[str, ...] = ()
    placements: tuple[str, ...] = ALL
    chains: tuple[str, ...] = ("DEC",)
    detector: str = ""  # "sqli" / "xss": libinjection through SqliMatchStatement / XssMatchStatement
    sensitivity: str = "LOW"
    size: int | None = None

I = "(?i)"
# Whitespace an attacker can use instead of a space: real whitespace, shell $IFS, SQL comments.
SP = r"(?:\s|\$\{?ifs\}?|\+)"
