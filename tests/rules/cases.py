"""Should-block / should-pass payloads for every attack class of the managed rule groups.

Each class (``rules/managed/patterns.py``) becomes one rule per placement (``<Class>_<PLACEMENT>``);
``test_managed_rules`` puts each payload into every placement of its class and checks that the
rule of that placement labels the request (block) — or that no managed rule does (pass). Payloads
are URL-encoded where they are placed, so the decoding chains are exercised too. Pass payloads are
the innocent look-alikes real users send (issue 4: "False positives are a defect").
"""

from __future__ import annotations

from tests.rules import (
    cases_data,
    cases_injection,
    cases_php,
    cases_protocol,
    cases_shell,
    cases_sql,
    cases_web,
)
from tests.rules.case import Case

__all__ = ["CASES", "Case"]

CASES: tuple[Case, ...] = (
    *cases_data.CASES,
    *cases_injection.CASES,
    *cases_php.CASES,
    *cases_protocol.CASES,
    *cases_shell.CASES,
    *cases_sql.CASES,
    *cases_web.CASES,
)
