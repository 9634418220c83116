"""``is_sqli`` on form-shaped values: the leading ``name=`` is not part of the SQL libinjection reads."""

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
