"""Every operation of botocore's ``securityhub`` model answers as AWS would: served with a body
that fits its output shape, or an error the operation's model declares — never an unknown
operation, a 500, an undeclared error or a body boto3 cannot parse (``sweep.py``)."""

from __future__ import annotations

from pathlib import Path

from tests.sidecars.hub.stack import running_hub
from tests.sidecars.hub.sweep import sweep
from wafproxy.sidecars.hub.api_unavailable import UNAVAILABLE


def test_every_operation_is_served_or_a_modeled_error(tmp_path: Path) -> None:
    with running_hub(tmp_path) as stack:
        client = stack.client()
        outcomes = sweep(client)
    names = client.meta.service_model.operation_names
    assert sorted(o.operation for o in outcomes) == sorted(names)
    broken = [f"{o.operation}: {o.detail}" for o in outcomes if o.kind == "broken"]
    assert broken == []
    by_kind = {o.operation: o for o in outcomes}
    # What cannot apply here answers the error its table names; everything else is served, except
    # the calls whose sweep parameters are refused on purpose (a control without parameters).
    for op, (_, _, code, status, _) in UNAVAILABLE.items():
        assert by_kind[op].kind == "modeled" and by_kind[op].detail.startswith(f"{code} ({status})"), op
    refused = {o.operation for o in outcomes if o.kind == "modeled"} - set(UNAVAILABLE)
    assert refused == {
        "UpdateSecurityControl",
        "AcceptAdministratorInvitation",
        "AcceptInvitation",
        "DisassociateFromAdministratorAccount",
        "DisassociateFromMasterAccount",
        "DisassociateMembers",
    }
