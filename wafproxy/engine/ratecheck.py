"""The seam between the pure engine and wherever rate counts live.

Evaluation is a generator (see ``engine.evaluate``): when it reaches a rate-based rule whose
scope-down statement matches, it yields a ``RateCheck`` and expects to be sent back whether that
key is over its limit. A synchronous driver answers from an in-memory store; the async adapter
awaits a shared one (Redis). The engine itself never counts, never reads a clock.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class RateCheck:
    """One hit against one rate-based rule, for one aggregate key.

    ``rule_id`` is stable across reloads that keep the rule (web ACL name + rule path), so
    counters survive a reload.
    """

    rule_id: str
    key: str
    limit: int
    window_seconds: int
