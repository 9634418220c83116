"""Should-block / should-pass payloads of the ``rules/managed/attacks_data.py`` classes (see ``cases.py``)."""

from __future__ import annotations

from tests.rules.case import Case

CASES: tuple[Case, ...] = (
    Case(
        "NoSQLOperators",
        ('{"user": {"$ne": null}}', "user[$ne]=x", '{"$where": "sleep(100)"}', "{$regex: '.*'}",
         "', $or: [ {}, { 'a':'a", "'; return true; var a='", "1; return true",
         "' && this.password[0] == 'a", "' } ], $comment:'x'"),
        ('{"price": "$100"}', "where is my order?", '{"status": "ne"}', "price {$10 off}",
         "Done; return the form by Friday", "this.value is shown", "1; 2; 3"),
    ),
    Case(
        "ORMLookupInjection",
        ("password__startswith=a", '{"password__isnull": true}', "user__password__regex=^pbkdf2",
         '{"created_by__departments__employees__user__username__startswith": "p"}',
         "user__profile__city__startswith=p",
         "data__has_key=is_admin", '{"roles__contained_by": ["admin", "user"]}', "api_key__startswith=sk_"),
        ("price__gte=100", "name__icontains=shoe", "user__id__exact=3", "created__date__gte=2024-01-01",
         "username__istartswith=jo", "author__profile__country=DE", "The password field starts with a letter",
         '{"tags__contains": ["sale"]}'),
    ),
    Case(
        "XPathInjection",
        ("'] | //user/*[contains(*,'", "x' or name()='username' or 'x'='y", "' or true() or '",
         "//user[position()=1]/password", "admin' or count(/*)=1 or 'a'='b", "count(/child::node())"),
        ("She wrote 'and contains(' in the doc", '"quoted"] | pipe', "Select //table/tr[2] in the tester",
         'find_element(By.XPATH, "//div[@id=1]")', "rock 'n' roll or true love"),
    ),
    Case(
        "XMLExternalEntity",
        ('<?xml version="1.0"?><!DOCTYPE r [<!ENTITY x SYSTEM "file:///etc/passwd">]><r>&x;</r>',),
        ('<?xml version="1.0"?><order><id>42</id><note>&amp; more</note></order>',),
    ),
)
