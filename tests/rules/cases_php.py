"""Should-block / should-pass payloads of the ``rules/managed/attacks_php.py`` classes (see ``cases.py``)."""

from __future__ import annotations

from tests.rules.case import Case

CASES: tuple[Case, ...] = (
    Case(
        "PHPHighRiskMethods",
        ("<?php system($_GET['c']); ?>", "php://filter/convert.base64-encode/resource=index.php", "$a(1)", "allow_url_include=1"),
        ("PHP developer wanted", "the system works", "$100 (approx)"),
    ),
)
