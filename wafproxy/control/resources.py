"""What the control plane manages: a resource kind, its ARN and Id, and its lock token.

Resources loaded from files appear under ``Scope: REGIONAL`` exactly as AWS names them
(``arn:aws:wafv2:us-east-1:123456789012:regional/ipset/blocked-ips/<uuid>``). A file without an
``Id`` gets a deterministic UUID (uuid5 of kind and name) and a file without a stored ``LockToken``
gets one derived from its content, so every worker that reads the same files agrees on both.
"""

from __future__ import annotations

import hashlib
import json
import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Literal

Kind = Literal["webacl", "ipset", "regexpatternset", "rulegroup"]
KINDS: tuple[Kind, ...] = ("webacl", "ipset", "regexpatternset", "rulegroup")

# The document wrapper key (``aws wafv2 get-ip-set`` prints ``{"IPSet": …, "LockToken": …}``),
# the ParameterExceptionField of the kind, and the subdirectory new documents are written to.
WRAPPER: dict[Kind, str] = {
    "webacl": "WebACL",
    "ipset": "IPSet",
    "regexpatternset": "RegexPatternSet",
    "rulegroup": "RuleGroup",
}
KIND_OF_WRAPPER: dict[str, Kind] = {v: k for k, v in WRAPPER.items()}
FIELD: dict[Kind, str] = {
    "webacl": "WEB_ACL",
    "ipset": "IP_SET",
    "regexpatternset": "REGEX_PATTERN_SET",
    "rulegroup": "RULE_GROUP",
}
SUBDIR: dict[Kind, str] = {
    "webacl": ".",
    "ipset": "ipsets",
    "regexpatternset": "regexsets",
    "rulegroup": "rulegroups",
}
SCOPE = "REGIONAL"
_ID_NAMESPACE = uuid.UUID("6f1c2a52-9a7e-4f0e-9c52-8d1f0b6a7a11")


@dataclass(frozen=True, slots=True)
class Names:
    """How this deployment spells ARNs: one account, one region (from the settings)."""

    account: str = "123456789012"
    region: str = "us-east-1"

    def arn(self, kind: Kind, name: str, rid: str) -> str:
        return f"arn:aws:wafv2:{self.region}:{self.account}:regional/{kind}/{name}/{rid}"

    def arn_pattern(self, kind: Kind, name: str = "*") -> str:
        """The resource a Create/List call is authorized against (the Id is not known yet)."""
        return f"arn:aws:wafv2:{self.region}:{self.account}:regional/{kind}/{name}/*"


DEFAULT_NAMES = Names()


def default_id(kind: Kind, name: str) -> str:
    return str(uuid.uuid5(_ID_NAMESPACE, f"{kind}/{name}"))


def content_token(document: Mapping[str, Any]) -> str:
    """A lock token that changes whenever the content does (for files that store none)."""
    digest = hashlib.sha256(json.dumps(document, sort_keys=True).encode()).hexdigest()
    return str(uuid.uuid5(_ID_NAMESPACE, digest))


def new_token() -> str:
    return str(uuid.uuid4())


@dataclass(frozen=True, slots=True)
class Resource:
    """One managed document. ``document`` is the bare AWS shape (with ``Name``, ``Id``, ``ARN``);
    it is never mutated: every change builds a new ``Resource``."""

    kind: Kind
    name: str
    id: str
    arn: str
    lock_token: str
    document: Mapping[str, Any]
    path: str  # the file it lives in

    def wrapped(self) -> dict[str, Any]:
        """The on-disk form: what ``aws wafv2 get-…`` prints, which the file loader accepts."""
        return {WRAPPER[self.kind]: dict(self.document), "LockToken": self.lock_token}

    def summary(self) -> dict[str, Any]:
        """``WebACLSummary`` / ``IPSetSummary`` / ``RegexPatternSetSummary`` / ``RuleGroupSummary``."""
        out: dict[str, Any] = {"Name": self.name, "Id": self.id}
        if self.document.get("Description"):
            out["Description"] = self.document["Description"]
        out["LockToken"] = self.lock_token
        out["ARN"] = self.arn
        return out
