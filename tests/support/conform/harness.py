"""Conformance probes riding on the operation sweeps: each operation, the first time a sweep calls
it, is also called with a rich input and with every invalid variation of the sweep's own (valid,
real-resource) parameters, and every success body is checked on the wire.

Why ride on the sweeps: they already know, per service, which real resources to make and which
member names them (a detector id, a lock token, a key ARN). A probe built from the same parameters
reaches past the lookup to the validation and the serializer — where the gaps are.

``with Conformance().installed() as probe: <run sweeps>`` then ``probe.findings``. The sweeps'
clients come from ``boto3.client``; the probe records each one's endpoint and keys and makes twins
from a separate botocore session (no hooks, so no recursion): a strict one for rich calls and one
with ``parameter_validation=False`` for the invalid ones (the refusal must be the server's).

A finding is one of:
- ``body``: a 2xx body departs from the output shape (``body.body_problems``), rich or minimal;
- ``error``: an error body departs from the error shape its code names (``body.error_problems``);
- ``rich``: the rich call answered 5xx, an error the model does not declare, or unparseable;
- ``invalid``: an invalid variation was accepted (2xx), answered 5xx, or answered something other
  than the service's validation error (``VALIDATION``) with 400;
- ``paging``: a listing's pages break a rule of ``paging.walk`` (``paging`` maps each listing
  walked to exercised / unexercised / failed).
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import boto3
import botocore.session
from botocore.config import Config
from botocore.exceptions import ClientError
from botocore.model import OperationModel

from tests.support.conform.body import body_problems, error_problems
from tests.support.conform.inputs import invalid, rich
from tests.support.conform.paging import pager_for, walk
from tests.support.opsweep import COMMON

# The error each service answers for input its model refuses (AWS's documented validation error).
VALIDATION: dict[str, frozenset[str]] = {
    "wafv2": frozenset({"WAFInvalidParameterException"}),
    "kms": frozenset({"ValidationException"}),
    "guardduty": frozenset({"BadRequestException"}),
    "inspector2": frozenset({"ValidationException"}),
    "securityhub": frozenset({"InvalidInputException"}),
}


def validation_codes(model: OperationModel) -> frozenset[str]:
    """The service's validation error, or ValidationException where the operation declares that
    and not the service's usual one (Security Hub's V2 operations)."""
    usual = VALIDATION[model.service_model.service_name]
    declared = {e.name for e in model.error_shapes}
    if not usual & declared and "ValidationException" in declared:
        return frozenset({"ValidationException"})
    return usual


@dataclass(frozen=True)
class Finding:
    service: str
    operation: str
    kind: str  # body | error | rich | invalid | paging
    detail: str

    def line(self) -> str:
        return f"{self.service:12} {self.operation:40} {self.kind:8} {self.detail}"


@dataclass
class Conformance:
    findings: list[Finding] = field(default_factory=list)
    probed: set[tuple[str, str]] = field(default_factory=set)
    calls: int = 0
    _twins: dict[int, tuple[Any, Any]] = field(default_factory=dict)
    _isolated: Any = None
    paging: dict[tuple[str, str], str] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)
    answers: dict[tuple[str, str], tuple[int, str]] = field(default_factory=dict)  # the rich calls'
    _last_message: str = ""
    _pending: dict[tuple[str, str], dict[str, Any]] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self._isolated = botocore.session.Session()
        self._isolated.register("after-call", self._after_call)

    @contextlib.contextmanager
    def installed(self) -> Iterator[Conformance]:
        session = boto3.DEFAULT_SESSION or boto3.setup_default_session() or boto3.DEFAULT_SESSION
        assert session is not None
        original = session.client

        def client(*args: Any, **kwargs: Any) -> Any:
            made = original(*args, **kwargs)
            self._twins[id(made.meta.events)] = (
                self._twin(args, kwargs, True),
                self._twin(args, kwargs, False),
            )
            made.meta.events.register("provide-client-params", self._provide)
            made.meta.events.register("after-call", self._after_sweep_call)
            return made

        session.client = client  # type: ignore[method-assign]
        try:
            yield self
        finally:
            session.client = original  # type: ignore[method-assign]

    def _twin(self, args: tuple[Any, ...], kwargs: dict[str, Any], validate: bool) -> Any:
        kw = dict(kwargs)
        service = kw.pop("service_name", None) or args[0]
        kw.pop("config", None)
        config = Config(retries={"max_attempts": 1}, parameter_validation=validate, read_timeout=30)
        return self._isolated.create_client(service, config=config, **kw)

    def _after_call(self, http_response: Any, model: OperationModel, **_: Any) -> None:
        if http_response.status_code >= 300:
            for problem in error_problems(model, http_response.content):
                self._add(model, "error", problem)
            return
        for problem in body_problems(model, http_response.content):
            self._add(model, "body", problem)

    def _add(self, model: OperationModel, kind: str, detail: str) -> None:
        finding = Finding(model.service_model.service_name, model.name, kind, detail)
        if finding not in self.findings:
            self.findings.append(finding)

    def _provide(self, params: dict[str, Any], model: OperationModel, **_: Any) -> None:
        self._pending[(model.service_model.service_name, model.name)] = dict(params)

    def _after_sweep_call(self, http_response: Any, model: OperationModel, **_: Any) -> None:
        """The sweep's own call is made (so set-up calls succeed as written); then the probes."""
        self._after_call(http_response, model)
        key = (model.service_model.service_name, model.name)
        params = self._pending.pop(key, None)
        if key in self.probed or params is None:
            return
        self.probed.add(key)
        twins = next(
            (t for t in reversed(self._twins.values()) if t[0].meta.service_model.service_name == key[0]),
            None,
        )
        if twins is None:
            return
        self.probe(*twins, model, params)

    def clients(self, service: str, **kwargs: Any) -> tuple[Any, Any]:
        """(strict, loose) clients of ``service`` (``endpoint_url``, keys, region as boto3 takes
        them) whose answers are checked on the wire; for ``probe`` without a sweep."""
        return self._twin((service,), kwargs, True), self._twin((service,), kwargs, False)

    def probe(self, strict: Any, loose: Any, model: OperationModel, params: dict[str, Any]) -> None:
        """Every invalid variation of ``params`` (through ``loose``), the rich input over them and
        the pagination walk (through ``strict``)."""
        self.probed.add((model.service_model.service_name, model.name))
        for variation in invalid(model, params):
            self._expect_refusal(loose, model, variation.what, variation.params)
        self._rich(strict, model, {**rich(model, {}), **params})
        self._page(strict, model, params)

    def _page(self, client: Any, model: OperationModel, params: dict[str, Any]) -> None:
        service = model.service_model.service_name
        try:
            config = self._isolated.get_paginator_model(service)._paginator_config.get(model.name)
        except Exception:  # noqa: BLE001 — no paginators-1.json for this service
            config = None
        if config is None and service != "wafv2":
            return  # only WAFv2 pages without a paginator model
        pager = pager_for(model, config)
        if pager is None:
            return
        method = getattr(client, {v: k for k, v in client.meta.method_to_api_mapping.items()}[model.name])
        self.calls += 1
        verdict, found = walk(lambda p: method(**p), model, pager, params)
        self.paging[(service, model.name)] = verdict
        for detail in found:
            self._add(model, "paging", detail)

    def _call(self, client: Any, model: OperationModel, params: dict[str, Any]) -> tuple[int, str]:
        """(HTTP status, error code or "") of one call; status 0 when the answer does not parse."""
        method = getattr(client, {v: k for k, v in client.meta.method_to_api_mapping.items()}[model.name])
        self.calls += 1
        try:
            answer = method(**params)
        except ClientError as exc:
            self._last_message = exc.response["Error"].get("Message", "")[:200]
            return exc.response["ResponseMetadata"]["HTTPStatusCode"], exc.response["Error"].get("Code", "")
        except Exception as exc:  # noqa: BLE001 — a client-side failure is a finding, named
            return 0, f"{type(exc).__name__}: {str(exc)[:100]}"
        return answer["ResponseMetadata"]["HTTPStatusCode"], ""

    def _rich(self, client: Any, model: OperationModel, params: dict[str, Any]) -> None:
        status, code = self._call(client, model, params)
        self.answers[(model.service_model.service_name, model.name)] = (status, code)
        if code in validation_codes(model):
            # Not a finding by itself (a rich value may name nothing real), but a handler's bound
            # tighter than the model's shows here: load_tests/api_conformance prints these.
            self.notes.append(f"{model.service_model.service_name} {model.name}: {self._last_message}")
        declared = (
            {e.name for e in model.error_shapes} | COMMON | VALIDATION[model.service_model.service_name]
        )
        if status >= 500 or status == 0 or (code and code not in declared):
            self._add(model, "rich", f"{status} {code}")

    def _expect_refusal(self, client: Any, model: OperationModel, what: str, params: dict[str, Any]) -> None:
        status, code = self._call(client, model, params)
        wanted = validation_codes(model)
        if status == 0:
            return  # botocore itself cannot put this on the wire (a dict as a blob): nothing reaches us
        if status < 300:
            self._add(model, "invalid", f"{what}: accepted ({status})")
        elif status >= 500:
            self._add(model, "invalid", f"{what}: {status} {code}")
        elif code not in wanted or status != 400:
            self._add(model, "invalid", f"{what}: {status} {code} (want 400 {'/'.join(sorted(wanted))})")
