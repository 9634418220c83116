"""Should-block / should-pass payloads of the ``rules/managed/attacks_sql.py`` classes (see ``cases.py``)."""

from __future__ import annotations

from tests.rules.case import Case

CASES: tuple[Case, ...] = (
    Case(
        "SQLi",
        ("1' OR '1'='1", "-1' UNION SELECT password FROM users--"),
        ("O'Brien", "select the union of two sets", "drop me a line"),
    ),
    Case(
        "SQLiGrammar",
        (
            "1'/**/UNION/**/SELECT/**/1,2--",
            "1) /*!50000UNION*/ /*!50000SELECT*/ 1,2#",
            "1 AND SLEEP(5)",
            "'::jsonb @> '{}'",
            "1 or true",
            "MSysObjects",
            "x' union select name from master..sysdatabases",
            "current_database()",
        ),
        ("Back up the database (nightly)", "Microsoft Access sample databases", "our sys admins",
         "She said \"it's fine\" -- but it wasn't.", "We need a 1=1 mapping", "Cancel the union dues", "Size 10 or true to size?"),
    ),
)
