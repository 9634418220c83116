"""IAM-style policy documents: parse once into frozen statements, evaluate per request.

Semantics follow AWS (https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_evaluation-logic.html):
an explicit ``Deny`` anywhere wins; otherwise a matching ``Allow`` is needed. ``Action`` matches
case-insensitively with ``*``/``?`` wildcards, ``Resource`` case-sensitively. Within ``Condition``
operators AND, keys AND, and a key's values OR. Unsupported elements or operators are a parse error
with the path to the offending field — never silently ignored.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from enum import Enum
from typing import Any

from wafproxy.awsapi.glob import wildcard_match


class PolicyError(ValueError):
    """A policy document we cannot enforce exactly; ``path`` points into the document."""

    def __init__(self, path: str, message: str) -> None:
        super().__init__(f"{path}: {message}")
        self.path = path
        self.message = message


class Effect(Enum):
    ALLOW = "Allow"
    DENY = "Deny"


_OpFn = Callable[[str, str], bool]
_OPERATORS: dict[str, tuple[_OpFn, bool]] = {  # name → (match one value, negated)
    "StringEquals": (lambda want, got: want == got, False),
    "StringNotEquals": (lambda want, got: want == got, True),
    "StringEqualsIgnoreCase": (lambda want, got: want.lower() == got.lower(), False),
    "StringNotEqualsIgnoreCase": (lambda want, got: want.lower() == got.lower(), True),
    "StringLike": (lambda want, got: wildcard_match(want, got), False),
    "StringNotLike": (lambda want, got: wildcard_match(want, got), True),
    "ArnEquals": (lambda want, got: want == got, False),
    "ArnLike": (lambda want, got: wildcard_match(want, got), False),
    "Bool": (lambda want, got: want.lower() == got.lower(), False),
}


@dataclass(frozen=True, slots=True)
class Condition:
    operator: str
    key: str  # lower-cased: IAM condition key names are case-insensitive
    values: tuple[str, ...]
    if_exists: bool = False
    set_op: str | None = None  # "ForAnyValue" | "ForAllValues" | None

    def holds(self, context: Mapping[str, tuple[str, ...]]) -> bool:
        got = context.get(self.key)
        if self.operator == "Null":
            want_absent = self.values[0].lower() == "true"
            return (got is None or len(got) == 0) == want_absent
        fn, negated = _OPERATORS[self.operator]

        def one(value: str) -> bool:
            hit = any(fn(w, value) for w in self.values)
            return not hit if negated else hit

        if got is None:
            if self.set_op == "ForAllValues":
                return True
            return self.if_exists or negated
        if self.set_op == "ForAllValues":
            return all(one(v) for v in got)
        if self.set_op == "ForAnyValue":
            return any(one(v) for v in got)
        if negated:
            return all(one(v) for v in got)
        return any(one(v) for v in got)


@dataclass(frozen=True, slots=True)
class Statement:
    effect: Effect
    actions: tuple[str, ...] = ()
    not_actions: tuple[str, ...] = ()
    resources: tuple[str, ...] = ()
    not_resources: tuple[str, ...] = ()
    principals: tuple[str, ...] | None = None  # None: identity policy statement (no Principal)
    conditions: tuple[Condition, ...] = ()
    sid: str = ""

    def matches_action(self, action: str) -> bool:
        if self.actions:
            return any(wildcard_match(p, action, ignore_case=True) for p in self.actions)
        return not any(wildcard_match(p, action, ignore_case=True) for p in self.not_actions)

    def matches_resource(self, resource: str) -> bool:
        if self.resources:
            return any(wildcard_match(p, resource) for p in self.resources)
        if self.not_resources:
            return not any(wildcard_match(p, resource) for p in self.not_resources)
        return True  # unreachable: parse_policy requires Resource or NotResource


@dataclass(frozen=True, slots=True)
class RequestContext:
    """Who asks to do what to which resource, and the condition keys of this request."""

    action: str  # "kms:Encrypt"
    resource: str  # full ARN
    principal_arn: str
    account: str
    condition_keys: Mapping[str, tuple[str, ...]] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class PolicyResult:
    denied: bool = False
    allowed: bool = False  # allowed for this principal directly (or "*")
    allowed_account: bool = False  # allowed to the account root: delegates to identity policies


@dataclass(frozen=True, slots=True)
class Policy:
    statements: tuple[Statement, ...]
    source: str = ""  # the original JSON text, returned verbatim by GetKeyPolicy-style APIs

    def refuses_outright(self, action: str, *, deny_only: bool = False) -> bool:
        """Whether no resource and no request could make ``action`` allowed: an unconditional Deny
        on ``*`` names it, or (unless ``deny_only``: KMS, where a key policy may allow what no
        identity policy does) no Allow statement does. A service asks this before looking the
        named resource up, so a caller denied the action learns nothing about what exists, as AWS
        evaluates IAM before the service's own lookups. Identity policies only."""
        allow = False
        for st in self.statements:
            if st.principals is not None or not st.matches_action(action):
                continue
            if st.effect is Effect.DENY and not st.conditions and "*" in st.resources:
                return True
            allow = allow or st.effect is Effect.ALLOW
        return not allow and not deny_only

    def evaluate(self, ctx: RequestContext) -> PolicyResult:
        denied = allowed = allowed_account = False
        keys = {k.lower(): v for k, v in ctx.condition_keys.items()}
        for st in self.statements:
            who = _principal_match(st.principals, ctx)
            if who is None or not st.matches_action(ctx.action) or not st.matches_resource(ctx.resource):
                continue
            if not all(c.holds(keys) for c in st.conditions):
                continue
            if st.effect is Effect.DENY:
                denied = True
            elif who == "account":
                allowed_account = True
            else:
                allowed = True
        return PolicyResult(denied, allowed, allowed_account)


def _principal_match(principals: tuple[str, ...] | None, ctx: RequestContext) -> str | None:
    if principals is None:
        return "direct"
    result: str | None = None
    for p in principals:
        if p == "*" or p == ctx.principal_arn:
            return "direct"
        if p in (ctx.account, f"arn:aws:iam::{ctx.account}:root"):
            result = "account"
    return result


def _strings(value: Any, path: str) -> tuple[str, ...]:
    if isinstance(value, str):
        return (value,)
    if isinstance(value, list) and value and all(isinstance(v, str) for v in value):
        return tuple(value)
    if isinstance(value, bool):
        return ("true" if value else "false",)
    raise PolicyError(path, "must be a string or a non-empty list of strings")


def _principals(value: Any, path: str) -> tuple[str, ...]:
    if value == "*":
        return ("*",)
    if not isinstance(value, dict):
        raise PolicyError(path, 'must be "*" or {"AWS": ...}')
    unknown = set(value) - {"AWS"}
    if unknown:
        raise PolicyError(path, f"unsupported principal types {sorted(unknown)}")
    return _strings(value["AWS"], f"{path}.AWS")


def _conditions(value: Any, path: str) -> tuple[Condition, ...]:
    if not isinstance(value, dict):
        raise PolicyError(path, "must be an object")
    out: list[Condition] = []
    for raw_op, block in value.items():
        set_op, _, op = raw_op.rpartition(":")
        if set_op not in ("", "ForAnyValue", "ForAllValues"):
            raise PolicyError(f"{path}.{raw_op}", f"unsupported set operator {set_op!r}")
        if_exists = op.endswith("IfExists")
        base = op[: -len("IfExists")] if if_exists else op
        if base not in _OPERATORS and base != "Null":
            raise PolicyError(f"{path}.{raw_op}", f"unsupported condition operator {base!r}")
        if not isinstance(block, dict) or not block:
            raise PolicyError(f"{path}.{raw_op}", "must be an object of condition keys")
        for key, vals in block.items():
            out.append(
                Condition(
                    base, key.lower(), _strings(vals, f"{path}.{raw_op}.{key}"), if_exists, set_op or None
                )
            )
    return tuple(out)


_STATEMENT_KEYS = {
    "Sid",
    "Effect",
    "Action",
    "NotAction",
    "Resource",
    "NotResource",
    "Principal",
    "Condition",
}


def _statement(raw: Any, path: str, *, resource_policy: bool) -> Statement:
    if not isinstance(raw, dict):
        raise PolicyError(path, "must be an object")
    unknown = set(raw) - _STATEMENT_KEYS
    if unknown:
        raise PolicyError(path, f"unsupported elements {sorted(unknown)}")
    try:
        effect = Effect(raw.get("Effect"))
    except ValueError:
        raise PolicyError(f"{path}.Effect", 'must be "Allow" or "Deny"') from None
    if ("Action" in raw) == ("NotAction" in raw):
        raise PolicyError(path, "needs exactly one of Action, NotAction")
    if ("Resource" in raw) == ("NotResource" in raw):
        raise PolicyError(path, "needs exactly one of Resource, NotResource")
    if resource_policy and "Principal" not in raw:
        raise PolicyError(path, "a resource policy statement needs Principal")
    if not resource_policy and "Principal" in raw:
        raise PolicyError(f"{path}.Principal", "not allowed in an identity policy")
    return Statement(
        effect=effect,
        actions=_strings(raw["Action"], f"{path}.Action") if "Action" in raw else (),
        not_actions=_strings(raw["NotAction"], f"{path}.NotAction") if "NotAction" in raw else (),
        resources=_strings(raw["Resource"], f"{path}.Resource") if "Resource" in raw else (),
        not_resources=_strings(raw["NotResource"], f"{path}.NotResource") if "NotResource" in raw else (),
        principals=_principals(raw["Principal"], f"{path}.Principal") if "Principal" in raw else None,
        conditions=_conditions(raw["Condition"], f"{path}.Condition") if "Condition" in raw else (),
        sid=str(raw.get("Sid", "")),
    )


def parse_policy(doc: str | Mapping[str, Any], *, path: str = "$", resource_policy: bool = False) -> Policy:
    """Parse a policy document (JSON text or object). ``resource_policy``: statements name a Principal."""
    source = doc if isinstance(doc, str) else json.dumps(doc)
    if isinstance(doc, str):
        try:
            doc = json.loads(doc)
        except json.JSONDecodeError as exc:
            raise PolicyError(path, f"not JSON: {exc.msg} at {exc.pos}") from None
    if not isinstance(doc, Mapping):
        raise PolicyError(path, "must be a JSON object")
    unknown = set(doc) - {"Version", "Id", "Statement"}
    if unknown:
        raise PolicyError(path, f"unsupported elements {sorted(unknown)}")
    raw = doc.get("Statement")
    if isinstance(raw, dict):
        raw = [raw]
    if not isinstance(raw, list) or not raw:
        raise PolicyError(f"{path}.Statement", "must be a non-empty list")
    statements = tuple(
        _statement(s, f"{path}.Statement[{i}]", resource_policy=resource_policy) for i, s in enumerate(raw)
    )
    return Policy(statements, source)


def load_principal_policies(text: str, *, source: str = "<policy-file>") -> dict[str, Policy]:
    """The ``--policy-file``: a JSON object mapping principal name → identity policy document."""
    try:
        doc = json.loads(text)
    except json.JSONDecodeError as exc:
        raise PolicyError(source, f"not JSON: {exc.msg} at {exc.pos}") from None
    if not isinstance(doc, dict):
        raise PolicyError(source, "must map principal names to policy documents")
    return {name: parse_policy(p, path=f"{source}[{name}]") for name, p in doc.items()}
