"""All attack classes of the wafproxy managed rule groups, and the groups they belong to.

Each family of attacks lives in its own ``attacks_*.py`` module (one owner, one concern); this
module only assembles them for ``generate.py``. Conventions: ``ruleclass.py``.
"""

from __future__ import annotations

import attacks_data
import attacks_injection
import attacks_mail
import attacks_php
import attacks_protocol
import attacks_shell
import attacks_shell_structure
import attacks_sql
import attacks_web
from ruleclass import RuleClass

GROUPS: dict[str, dict[str, str]] = {
    "core": {
        "Name": "WafproxyManagedRulesCommonRuleSet",
        "Description": "XSS, traversal/LFI/RFI, SSRF, scanners, size limits (like AWSManagedRulesCommonRuleSet).",
    },
    "sql-database": {
        "Name": "WafproxyManagedRulesSQLiRuleSet",
        "Description": "SQL injection: libinjection plus grammar rules, in every placement and decoding.",
    },
    "known-bad-inputs": {
        "Name": "WafproxyManagedRulesKnownBadInputsRuleSet",
        "Description": "Log4Shell lookups, template injection, CRLF injection, Java deserialization.",
    },
    "linux-posix": {
        "Name": "WafproxyManagedRulesLinuxRuleSet",
        "Description": "Unix shell command injection and Linux file disclosure.",
    },
    "windows": {
        "Name": "WafproxyManagedRulesWindowsRuleSet",
        "Description": "Windows command and PowerShell injection.",
    },
    "php": {
        "Name": "WafproxyManagedRulesPHPRuleSet",
        "Description": "PHP code injection, wrappers and object injection.",
    },
    "nosql": {
        "Name": "WafproxyManagedRulesNoSQLRuleSet",
        "Description": "MongoDB-style operator injection in JSON, query and form keys.",
    },
    "protocol": {
        "Name": "WafproxyManagedRulesProtocolRuleSet",
        "Description": "HTTP protocol abuse: smuggling, parser-splitting multipart and charsets.",
    },
    "xxe": {
        "Name": "WafproxyManagedRulesXXERuleSet",
        "Description": "XML external entities and DTD tricks.",
    },
}

CLASSES: tuple[RuleClass, ...] = (
    *attacks_web.CLASSES,
    *attacks_sql.CLASSES,
    *attacks_injection.CLASSES,
    *attacks_mail.CLASSES,
    *attacks_shell.CLASSES,
    *attacks_shell_structure.CLASSES,
    *attacks_php.CLASSES,
    *attacks_data.CLASSES,
    *attacks_protocol.CLASSES,
)
