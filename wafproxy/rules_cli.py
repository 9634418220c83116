"""``wafproxy check | explain | test``: the rule author's tools (issue 3, "Tools for the user").

* ``check PATH…`` validates ACL, rule group, IP set and regex set files; prints each one's kind and
  capacity (WCU estimate) or the error with its file and JSON path; exit 0 when all are valid, 1
  otherwise.
* ``explain --acl PATH [REQUEST]`` reads one raw HTTP/1.1 request (a file, or stdin) and prints the
  decision and why: the rule, the field, the transformations and the pattern (``--json`` for JSON).
* ``test --acl PATH CASES.yaml`` runs a table of request → expected action/labels/rule cases so
  users can test their own rules in CI; exit 1 when any case fails.

Everything goes through the same ``load_web_acl`` and ``evaluate`` the proxy uses, so a decision
here is the decision in production (rate-based rules never count: one request is never over a
limit).
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml  # type: ignore[import-untyped]

from wafproxy.aclfiles import check_file, load_web_acl
from wafproxy.engine import CompiledWebACL, WafRequest, WebAclError, evaluate
from wafproxy.engine.explain import explain, explain_text

EXIT_OK, EXIT_FAILED, EXIT_USAGE = 0, 1, 2


class RequestFormatError(ValueError):
    """A raw request or a test case that cannot be read; the message says where."""


def register(subparsers: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    check = subparsers.add_parser("check", help="validate web ACL / rule group / IP set / regex set files")
    # No path: the shipped default ACL, which compiles (and caches) every pattern database it uses:
    # how a container image warms its hyperscan cache at build time.
    check.add_argument("paths", nargs="*", type=Path, metavar="PATH",
                       help="files to check (default: the shipped default web ACL)")
    check.set_defaults(func=_check)

    exp = subparsers.add_parser("explain", help="evaluate one raw HTTP request and say why")
    exp.add_argument("--acl", required=True, type=Path, help="web ACL file (JSON or YAML)")
    exp.add_argument("request", nargs="?", type=Path, help="raw HTTP/1.1 request file (default: stdin)")
    exp.add_argument("--client-ip", default="127.0.0.1", help="source address of the request")
    exp.add_argument("--json", action="store_true", help="print the explanation as JSON")
    exp.set_defaults(func=_explain)

    test = subparsers.add_parser("test", help="run a YAML table of request -> expected decision cases")
    test.add_argument("--acl", required=True, type=Path, help="web ACL file (JSON or YAML)")
    test.add_argument("cases", type=Path, help="YAML file: a list of cases (see docs/rule-tools.md)")
    test.set_defaults(func=_test)


# --- requests ---------------------------------------------------------------------------------


def parse_raw_request(raw: bytes, *, client_ip: str, body_limit: int) -> WafRequest:
    """A ``WafRequest`` from the bytes of one HTTP/1.1 request (LF or CRLF line ends accepted,
    since people write these files by hand)."""
    head, sep, body = raw.partition(b"\r\n\r\n")
    if not sep:
        head, _, body = raw.partition(b"\n\n")
    lines = head.decode("latin-1").replace("\r\n", "\n").split("\n")
    while lines and not lines[0].strip():
        lines.pop(0)
    while lines and not lines[-1].strip():  # a head-only request without its final blank line
        lines.pop()
    if not lines:
        raise RequestFormatError("empty request: expected a request line like 'GET /path HTTP/1.1'")
    parts = lines[0].split()
    if len(parts) not in (2, 3):
        raise RequestFormatError(f"line 1: expected 'METHOD TARGET [HTTP/x.y]', got {lines[0]!r}")
    method, target = parts[0], parts[1]
    version = parts[2].removeprefix("HTTP/") if len(parts) == 3 else "1.1"
    headers: list[tuple[str, str]] = []
    for number, line in enumerate(lines[1:], start=2):
        name, colon, value = line.partition(":")
        if not colon or not name.strip():
            raise RequestFormatError(f"line {number}: expected 'Name: value', got {line!r}")
        headers.append((name.strip(), value.strip()))
    return _request(method, target, headers, body, client_ip=client_ip, version=version,
                    body_limit=body_limit)


def _request(method: str, target: str, headers: Sequence[tuple[str, str]], body: bytes, *,
             client_ip: str, version: str = "1.1", body_limit: int) -> WafRequest:
    path, _, query = target.partition("?")
    path, _, fragment = path.partition("#")
    return WafRequest(
        client_ip=client_ip, peer_ip=client_ip, method=method.upper(), uri_path=path or "/",
        query_string=query, headers=tuple(headers), body=body[:body_limit], body_size=len(body),
        http_version=version, uri_fragment=fragment,
    )


def _case_request(case: Mapping[str, Any], where: str, body_limit: int) -> WafRequest:
    client_ip = str(case.get("client_ip", "127.0.0.1"))
    if "raw" in case:
        return parse_raw_request(str(case["raw"]).encode(), client_ip=client_ip, body_limit=body_limit)
    req = case.get("request")
    if not isinstance(req, Mapping):
        raise RequestFormatError(f"{where}: needs 'raw' (an HTTP request) or 'request' (a mapping)")
    headers_in = req.get("headers", {})
    if not isinstance(headers_in, Mapping):
        raise RequestFormatError(f"{where}.request.headers: expected a mapping of name: value")
    body = req.get("body", "")
    if not isinstance(body, (str, bytes)):
        body = json.dumps(body)
    return _request(str(req.get("method", "GET")), str(req.get("path", "/")),
                    [(str(k), str(v)) for k, v in headers_in.items()],
                    body.encode() if isinstance(body, str) else body,
                    client_ip=client_ip, body_limit=body_limit)


# --- commands ---------------------------------------------------------------------------------


def _load(path: Path) -> CompiledWebACL | None:
    try:
        return load_web_acl(path)
    except WebAclError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return None
    except OSError as exc:
        print(f"error: {path}: {exc.strerror or exc}", file=sys.stderr)
        return None


def _check(args: argparse.Namespace) -> int:
    failed = 0
    if not args.paths:
        from wafproxy.settings import DEFAULT_ACL

        args.paths = [DEFAULT_ACL]
    for path in args.paths:
        result = check_file(path)
        if result.ok:
            capacity = f", capacity {result.capacity} WCU" if result.capacity is not None else ""
            print(f"ok   {result.path}: {result.kind}{capacity}")
        else:
            failed += 1
            print(f"FAIL {result.error}")
    return EXIT_FAILED if failed else EXIT_OK


def _explain(args: argparse.Namespace) -> int:
    acl = _load(args.acl)
    if acl is None:
        return EXIT_USAGE
    raw = args.request.read_bytes() if args.request else sys.stdin.buffer.read()
    try:
        request = parse_raw_request(raw, client_ip=args.client_ip, body_limit=acl.body_inspection_limit)
    except RequestFormatError as exc:
        print(f"error: request: {exc}", file=sys.stderr)
        return EXIT_USAGE
    decision = evaluate(acl, request)
    print(json.dumps(explain(decision), indent=2) if args.json else explain_text(decision))
    return EXIT_OK


@dataclass(frozen=True, slots=True)
class CaseResult:
    name: str
    problems: tuple[str, ...]


def run_cases(acl: CompiledWebACL, cases: object) -> list[CaseResult]:
    """Evaluate each case and compare with its ``expect`` (action, labels included, rule)."""
    if not isinstance(cases, list):
        raise RequestFormatError("cases file: expected a YAML list of cases")
    results = []
    for i, case in enumerate(cases):
        where = f"cases[{i}]"
        if not isinstance(case, Mapping) or not isinstance(case.get("expect"), Mapping):
            raise RequestFormatError(f"{where}: expected a mapping with 'expect'")
        name = str(case.get("name", where))
        decision = evaluate(acl, _case_request(case, where, acl.body_inspection_limit))
        expect = case["expect"]
        problems = []
        if "action" in expect and str(expect["action"]).upper() != decision.action.value:
            problems.append(f"action {decision.action.value}, expected {str(expect['action']).upper()}")
        for label in expect.get("labels", []) or []:
            if not any(got == label or got.endswith(":" + label) for got in decision.labels):
                problems.append(f"label {label!r} missing (got {list(decision.labels)})")
        for label in expect.get("not_labels", []) or []:
            if any(got == label or got.endswith(":" + label) for got in decision.labels):
                problems.append(f"label {label!r} present")
        if "rule" in expect:
            rules = {decision.terminating_rule_id, decision.terminating_group_rule_id}
            if expect["rule"] not in rules:
                problems.append(
                    f"terminating rule {decision.terminating_rule_id!r}, expected {expect['rule']!r}"
                )
        results.append(CaseResult(name, tuple(problems)))
    return results


def _test(args: argparse.Namespace) -> int:
    acl = _load(args.acl)
    if acl is None:
        return EXIT_USAGE
    try:
        cases = yaml.safe_load(args.cases.read_text())
        results = run_cases(acl, cases)
    except (OSError, yaml.YAMLError, RequestFormatError) as exc:
        print(f"error: {args.cases}: {exc}", file=sys.stderr)
        return EXIT_USAGE
    for result in results:
        status = "PASS" if not result.problems else "FAIL"
        print(f"{status} {result.name}" + "".join(f"\n     {p}" for p in result.problems))
    failed = sum(1 for r in results if r.problems)
    print(f"{len(results) - failed} cases passed, {failed} failed")
    return EXIT_FAILED if failed else EXIT_OK
