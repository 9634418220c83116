"""One attack class's should-block and should-pass payloads."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Case:
    rule_class: str
    block: tuple[str, ...]
    allow: tuple[str, ...]
