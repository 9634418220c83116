"""Rule actions, custom request handling and custom responses, compiled to values.

AWS semantics (WAF developer guide, "Rule action" and "Custom requests and responses"):
inserted headers are prefixed ``x-amzn-waf-``; they apply on Allow and Count (and on Captcha /
Challenge when the token is valid); a custom response is only valid on Block and names a body from
``CustomResponseBodies`` of the web ACL (or of the rule group that holds the rule).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import re2 as _re  # type: ignore[import-untyped]

from wafproxy.engine.decision import Action, CustomResponse
from wafproxy.engine.doc import Node

INSERTED_HEADER_PREFIX = "x-amzn-waf-"
_HEADER_NAME = _re.compile(r"^[a-zA-Z0-9._$-]+$")
_ACTION_KEYS = {
    "Allow": Action.ALLOW,
    "Block": Action.BLOCK,
    "Count": Action.COUNT,
    "Captcha": Action.CAPTCHA,
    "Challenge": Action.CHALLENGE,
}
_CONTENT_TYPES = {
    "TEXT_PLAIN": "text/plain",
    "TEXT_HTML": "text/html",
    "APPLICATION_JSON": "application/json",
}


@dataclass(frozen=True, slots=True)
class ResponseBody:
    content_type: str
    content: bytes


@dataclass(frozen=True, slots=True)
class RuleAction:
    """A compiled action: what to do and what to send or insert."""

    action: Action
    inserted_headers: tuple[tuple[str, str], ...] = ()
    custom_response: CustomResponse | None = None

    @property
    def terminates(self) -> bool:
        return self.action is not Action.COUNT


ALLOW = RuleAction(Action.ALLOW)
BLOCK = RuleAction(Action.BLOCK)
COUNT = RuleAction(Action.COUNT)


def parse_bodies(node: Node | None) -> dict[str, ResponseBody]:
    """``CustomResponseBodies``: key -> {ContentType, Content}."""
    if node is None:
        return {}
    if not isinstance(node.value, dict):
        node.fail("expected an object of named response bodies")
    table = node.value
    bodies: dict[str, ResponseBody] = {}
    for key in table:
        key_node = Node(key, f"{node.path}.{key}")
        key_node.name()
        body = node.at(key)
        body.obj(required=("ContentType", "Content"))
        ctype = body.at("ContentType").enum(tuple(_CONTENT_TYPES))
        content = body.at("Content").str_(1, 10240)
        bodies[key] = ResponseBody(_CONTENT_TYPES[ctype], content.encode("utf-8"))
    return bodies


def parse_action(node: Node, bodies: Mapping[str, ResponseBody], *, default: bool = False) -> RuleAction:
    """A ``RuleAction`` (``{"Block": {…}}``) or a ``DefaultAction`` (Allow or Block only)."""
    choices = ("Allow", "Block") if default else tuple(_ACTION_KEYS)
    key, inner = node.one_of(choices)
    action = _ACTION_KEYS[key]
    if action is Action.BLOCK:
        inner.obj(optional=("CustomResponse",))
        resp = inner.opt("CustomResponse")
        return RuleAction(action, custom_response=_custom_response(resp, bodies) if resp else None)
    inner.obj(optional=("CustomRequestHandling",))
    handling = inner.opt("CustomRequestHandling")
    headers: tuple[tuple[str, str], ...] = ()
    if handling is not None:
        handling.obj(required=("InsertHeaders",))
        headers = tuple(
            (INSERTED_HEADER_PREFIX + name.lower(), value)
            for name, value in _headers(handling.at("InsertHeaders"))
        )
    return RuleAction(action, inserted_headers=headers)


def parse_override(node: Node) -> bool:
    """``OverrideAction`` of a group reference: True for Count, False for None."""
    key, inner = node.one_of(("Count", "None"))
    if key == "Count":
        inner.obj(optional=("CustomRequestHandling",))
        if inner.opt("CustomRequestHandling") is not None:
            inner.at("CustomRequestHandling").fail("not supported in an OverrideAction")
    else:
        inner.empty_obj()
    return key == "Count"


def _custom_response(node: Node, bodies: Mapping[str, ResponseBody]) -> CustomResponse:
    node.obj(required=("ResponseCode",), optional=("CustomResponseBodyKey", "ResponseHeaders"))
    status = node.at("ResponseCode").int_(200, 599)
    body = ResponseBody("text/plain", b"")
    key_node = node.opt("CustomResponseBodyKey")
    if key_node is not None:
        key = key_node.name()
        if key not in bodies:
            key_node.fail(f"no CustomResponseBodies entry named {key!r}")
        body = bodies[key]
    headers_node = node.opt("ResponseHeaders")
    headers = _headers(headers_node) if headers_node else ()
    return CustomResponse(status, headers, body.content, body.content_type)


def _headers(node: Node) -> tuple[tuple[str, str], ...]:
    out = []
    for item in node.items(min_len=1):
        item.obj(required=("Name", "Value"))
        name = item.at("Name").str_(1, 64)
        if not _HEADER_NAME.match(name):
            item.at("Name").fail(f"{name!r} is not a valid header name")
        out.append((name, item.at("Value").str_(1, 255)))
    return tuple(out)


DEFAULT_IMMUNITY_SECONDS = 300  # AWS default for CAPTCHA and challenge tokens


def parse_immunity(node: Node | None) -> int:
    """``CaptchaConfig`` / ``ChallengeConfig``: how long a solved token is honoured (60 s - 3 days)."""
    if node is None:
        return DEFAULT_IMMUNITY_SECONDS
    node.obj(optional=("ImmunityTimeProperty",))
    prop = node.opt("ImmunityTimeProperty")
    if prop is None:
        return DEFAULT_IMMUNITY_SECONDS
    prop.obj(required=("ImmunityTime",))
    return prop.at("ImmunityTime").int_(60, 259200)
