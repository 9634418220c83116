"""Pagination checked from the model: every paginator of ``paginators-1.json`` (and, for services
that ship none — WAFv2 — every operation with a ``NextMarker``/``NextToken`` member in and out and
a ``Limit``/``MaxResults`` member) walked one item per page.

What is checked, per listing: a page never holds more than the limit asked for; each page's token is
new; the walk ends (no token on the last page; KMS's ``Truncated`` agrees); no item appears twice;
the pages together hold what one unpaged call holds; a token the server never issued is refused
with a 4xx (not a 5xx, not a silent restart from the first page). A listing with fewer than two
items cannot show its paging and is reported as ``unexercised`` (a count, not a finding).
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from botocore.exceptions import ClientError
from botocore.model import OperationModel

_TOKENS = ("NextToken", "NextMarker", "nextToken", "Marker")
_LIMITS = ("MaxResults", "Limit", "maxResults", "MaxItems")
MAX_PAGES = 60


@dataclass(frozen=True)
class Pager:
    input_token: str
    output_token: str
    limit_key: str
    result_key: str
    more_results: str | None = None


def pager_for(model: OperationModel, config: Mapping[str, Any] | None) -> Pager | None:
    """The paginator's settings for ``model`` (botocore's config, or derived from the shapes)."""
    if config:
        if "limit_key" not in config:
            return None
        first = lambda v: v[0] if isinstance(v, list) else v  # noqa: E731
        return Pager(
            first(config["input_token"]),
            first(config["output_token"]),
            config["limit_key"],
            first(config["result_key"]),
            config.get("more_results"),
        )
    inp, out = model.input_shape, model.output_shape
    if inp is None or out is None:
        return None
    token = next((t for t in _TOKENS if t in inp.members and t in out.members), None)
    limit = next((lim for lim in _LIMITS if lim in inp.members), None)
    lists = [n for n, s in out.members.items() if s.type_name == "list"]
    if token is None or limit is None or len(lists) != 1:
        return None
    return Pager(token, token, limit, lists[0])


def _items(answer: Mapping[str, Any], key: str) -> list[Any]:
    value: Any = answer
    for part in key.split("."):
        value = value.get(part, []) if isinstance(value, dict) else []
    return list(value) if isinstance(value, list) else []


def _key(item: Any) -> str:
    return json.dumps(item, sort_keys=True, default=str)


def walk(
    call: Callable[[dict[str, Any]], Mapping[str, Any]],
    model: OperationModel,
    pager: Pager,
    base: Mapping[str, Any],
) -> tuple[str, list[str]]:
    """(``exercised`` | ``unexercised`` | ``refused`` | ``failed``, findings) for one listing."""
    params = {k: v for k, v in base.items() if k not in (pager.input_token, pager.limit_key)}
    limit_shape = model.input_shape.members[pager.limit_key]  # type: ignore[union-attr]
    size = max(int(limit_shape.metadata.get("min", 1) or 1), 1)
    try:
        whole = _items(call(dict(params)), pager.result_key)
    except ClientError as exc:  # a listing this place cannot have (V2, organizations): its modeled error
        status = exc.response["ResponseMetadata"]["HTTPStatusCode"]
        return "refused", [] if 400 <= status < 500 else [f"unpaged call: {status}"]
    found: list[str] = []
    paged: list[Any] = []
    tokens: set[str] = set()
    token: str | None = None
    pages = 0
    for pages in range(1, MAX_PAGES + 1):
        ask = {**params, pager.limit_key: size, **({pager.input_token: token} if token else {})}
        try:
            answer = call(ask)
        except ClientError as exc:
            return "failed", [f"page {pages}: {exc.response['Error'].get('Code')}"]
        items = _items(answer, pager.result_key)
        if len(items) > size:
            found.append(f"page {pages} holds {len(items)} items, {pager.limit_key}={size}")
        paged += items
        token = answer.get(pager.output_token) or None
        if pager.more_results and bool(answer.get(pager.more_results)) != bool(token):
            more = answer.get(pager.more_results)
            found.append(f"page {pages}: {pager.more_results}={more} with token {bool(token)}")
        if token is None:
            break
        if token in tokens:
            found.append(f"page {pages}: token repeats")
            break
        tokens.add(token)
    else:
        found.append(f"no end after {MAX_PAGES} pages of {size}")
    keys = [_key(i) for i in paged]
    if len(set(keys)) != len(keys):
        found.append(f"{len(keys) - len(set(keys))} items appear twice across pages")
    if len(paged) != len(whole) and len(whole) <= MAX_PAGES * size:
        found.append(f"pages hold {len(paged)} items, one unpaged call {len(whole)}")
    found += _forged(call, params, pager)
    if len(whole) < 2:
        return "unexercised", found
    if pages < 2:
        found.append(f"{len(whole)} items came in one page of {size}")
    return "exercised", found


def _forged(
    call: Callable[[dict[str, Any]], Mapping[str, Any]], params: Mapping[str, Any], pager: Pager
) -> list[str]:
    forged = {**params, pager.input_token: "eyJvZmZzZXQiOjF9AAAAforged"}
    try:
        call(forged)
    except ClientError as exc:
        status = exc.response["ResponseMetadata"]["HTTPStatusCode"]
        return [] if 400 <= status < 500 else [f"forged token: {status} {exc.response['Error'].get('Code')}"]
    return ["forged token accepted"]
