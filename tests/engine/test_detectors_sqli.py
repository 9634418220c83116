"""``is_sqli``: form-shaped values (the leading ``name=`` is not part of the SQL libinjection reads) and
the prose veto (``sqli_veto._prose_veto``: sentences libinjection's fingerprints mistake for SQL)."""

from __future__ import annotations

import pytest

from wafproxy.engine.detectors import is_sqli


@pytest.mark.parametrize(
    "value",
    [
        "q='Select all' then save",
        "t='Select all' then save&page=2",
        "name=O'Brien&city=Dublin",
        "q=select the union of two sets",
    ],
)
def test_form_value_prose_is_not_sqli(value: str) -> None:
    assert is_sqli(value) is False


@pytest.mark.parametrize(
    "value",
    [
        "q=1' or '1'='1",
        "q=1' && '1'='1",
        "a=1&q=1' or 1=1--",
        "id=-1 union select password from users",
    ],
)
def test_form_value_injection_is_sqli(value: str) -> None:
    assert is_sqli(value) is True


# Prose that reaches a libinjection SQLi fingerprint (shown) and why the veto lets it pass.
PROSE = [
    "done; drop it off at the front desk",  # n;Tnn: DROP not followed by an object kind
    "done; insert into the slot",  # n;Tnn: INSERT INTO <name> needs ( / VALUES / SELECT / SET
    "hi; use the form below",  # n;Tnn: USE <database> ends its statement
    "yes; if you want",  # n;Tnn: IF needs a condition
    "fine; call me later",  # n;Tnn: CALL a routine-shaped name or name(...)
    "so; print it out",  # n;Tnn: PRINT an expression
    "ok; execute the plan",  # n;Tnn: EXEC a procedure
    "click 'Select all' and then 'Delete'",  # sEsTs: quoted UI labels
    "press 'Delete' or 'Update' to continue",
    "the '=' sign",  # sos: a quoted operator set apart by spaces
    "the '<' and '>' keys",
    "'=' is assignment",
    "the Smiths' or Joneses is fine",  # s&n: folded "<word> IS <word>", IS takes NULL/TRUE/...
    "the Smiths' or Joneses is not fine",
    "our values ('integrity', 'trust')",  # nk(s): <word> VALUES ( only as an INSERT's table name
    "q=done; drop it off&page=2",
]

# The same fingerprint prefixes, but SQL: the veto must leave them to libinjection.
ATTACKS = [
    "1; drop table users",
    "x'; drop table users--",
    "1;/**/DROP/**_**/TABLE/**_**/users--",
    "1;drop/**/table users",
    "1; delete from users",
    "1; insert into admins values('x','y')--",
    "1; exec xp_cmdshell 'dir'",
    "1;exec master..xp_cmdshell 'dir'",
    "1'; exec master..xp_cmdshell 'ping x'--",
    "1; if (1=1) waitfor delay '0:0:5'--",
    "1);declare @q varchar(99);set @q='x'",
    "1;begin declare @x int",
    "done; drop it off; drop table users--",  # a later statement is judged on its own
    "1' or '1'='1",
    "admin' or 1=1--",
    "' or username like '%",
    "1' or 'a'='a",
    "x' or a is null",
    "x' or a is not null--",
    "x' or a=a",
    "admin'or'1'='1",
    "1'='1",
    "kill '-'9",
    "x values ('a','b'); drop table users--",
]


@pytest.mark.parametrize("value", PROSE)
def test_prose_is_not_sqli(value: str) -> None:
    assert is_sqli(value) is False


@pytest.mark.parametrize("value", ATTACKS)
def test_injection_with_prose_fingerprint_is_sqli(value: str) -> None:
    assert is_sqli(value) is True
