"""Should-block / should-pass payloads of the ``rules/managed/attacks_data.py`` classes (see ``cases.py``)."""

from __future__ import annotations

from tests.rules.case import Case

CASES: tuple[Case, ...] = (
    Case(
        "NoSQLOperators",
        ('{"user": {"$ne": null}}', "user[$ne]=x", '{"$where": "sleep(100)"}', "{$regex: '.*'}",
         "', $or: [ {}, { 'a':'a", "'; return true; var a='", "1; return true", "' && this.password[0] == 'a"),
        ('{"price": "$100"}', "where is my order?", '{"status": "ne"}', "price {$10 off}",
         "Done; return the form by Friday", "this.value is shown", "1; 2; 3"),
    ),
    Case(
        "XMLExternalEntity",
        ('<?xml version="1.0"?><!DOCTYPE r [<!ENTITY x SYSTEM "file:///etc/passwd">]><r>&x;</r>',),
        ('<?xml version="1.0"?><order><id>42</id><note>&amp; more</note></order>',),
    ),
)
