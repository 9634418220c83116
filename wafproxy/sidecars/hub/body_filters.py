"""``AwsSecurityFindingFilters`` on attributes the store does not index: evaluated on the finding.

The indexed attributes (``filters.STRING_COLUMNS``…) become SQL; every other documented attribute
a finding can carry (``Title``, ``Description``, ``ProductFields``, ``NoteText``, ``Network*``,
``ThreatIntelIndicator*``, ``Compliance*``…) becomes one Python predicate over the decoded (and,
under KMS, decrypted) finding, which the store applies inside the same query, so paging and
counts stay exact. Semantics follow Security Hub: within one attribute the positive string
comparisons (EQUALS, PREFIX, CONTAINS) are OR-ed and the negative ones AND-ed; number and date
conditions all hold; across attributes everything holds. A value inside lists (``Resources``,
``Malware``, ``ThreatIntelIndicators``…) matches when any item does. Plain string operations only.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Callable, Mapping
from typing import Any

from wafproxy.awsapi.errors import validation
from wafproxy.sidecars.hub.asff import InvalidFinding, iso, parse_time

Predicate = Callable[[Mapping[str, Any]], bool]

_RES = "Resources"
_EC2 = (_RES, "Details", "AwsEc2Instance")
_KEY = (_RES, "Details", "AwsIamAccessKey")
_CONTAINER = (_RES, "Details", "Container")
_TI = "ThreatIntelIndicators"
_NET = "Network"
_PROC = "Process"
_CTRL = ("Compliance", "SecurityControlParameters")
_PF = "FindingProviderFields"

STRINGS: dict[str, tuple[str, ...]] = {
    "Title": ("Title",), "Description": ("Description",), "SourceUrl": ("SourceUrl",),
    "RecommendationText": ("Remediation", "Recommendation", "Text"), "CompanyName": ("CompanyName",),
    "MalwareName": ("Malware", "Name"), "MalwareType": ("Malware", "Type"),
    "MalwarePath": ("Malware", "Path"), "MalwareState": ("Malware", "State"),
    "NetworkDirection": (_NET, "Direction"), "NetworkProtocol": (_NET, "Protocol"),
    "NetworkSourceDomain": (_NET, "SourceDomain"), "NetworkSourceMac": (_NET, "SourceMac"),
    "NetworkDestinationDomain": (_NET, "DestinationDomain"),
    "ProcessName": (_PROC, "Name"), "ProcessPath": (_PROC, "Path"),
    "ThreatIntelIndicatorType": (_TI, "Type"), "ThreatIntelIndicatorValue": (_TI, "Value"),
    "ThreatIntelIndicatorCategory": (_TI, "Category"), "ThreatIntelIndicatorSource": (_TI, "Source"),
    "ThreatIntelIndicatorSourceUrl": (_TI, "SourceUrl"),
    "ResourcePartition": (_RES, "Partition"), "ResourceRegion": (_RES, "Region"),
    "ResourceAwsEc2InstanceType": (*_EC2, "Type"), "ResourceAwsEc2InstanceImageId": (*_EC2, "ImageId"),
    "ResourceAwsEc2InstanceKeyName": (*_EC2, "KeyName"),
    "ResourceAwsEc2InstanceIamInstanceProfileArn": (*_EC2, "IamInstanceProfileArn"),
    "ResourceAwsEc2InstanceVpcId": (*_EC2, "VpcId"), "ResourceAwsEc2InstanceSubnetId": (*_EC2, "SubnetId"),
    "ResourceAwsS3BucketOwnerId": (_RES, "Details", "AwsS3Bucket", "OwnerId"),
    "ResourceAwsS3BucketOwnerName": (_RES, "Details", "AwsS3Bucket", "OwnerName"),
    "ResourceAwsIamAccessKeyUserName": (*_KEY, "UserName"),
    "ResourceAwsIamAccessKeyPrincipalName": (*_KEY, "PrincipalName"),
    "ResourceAwsIamAccessKeyStatus": (*_KEY, "Status"),
    "ResourceAwsIamUserUserName": (_RES, "Details", "AwsIamUser", "UserName"),
    "ResourceContainerName": (*_CONTAINER, "Name"), "ResourceContainerImageId": (*_CONTAINER, "ImageId"),
    "ResourceContainerImageName": (*_CONTAINER, "ImageName"),
    "ResourceApplicationName": (_RES, "ApplicationName"), "ResourceApplicationArn": (_RES, "ApplicationArn"),
    "VerificationState": ("VerificationState",), "WorkflowState": ("WorkflowState",),
    "RelatedFindingsProductArn": ("RelatedFindings", "ProductArn"),
    "RelatedFindingsId": ("RelatedFindings", "Id"),
    "NoteText": ("Note", "Text"), "NoteUpdatedBy": ("Note", "UpdatedBy"),
    "FindingProviderFieldsRelatedFindingsId": (_PF, "RelatedFindings", "Id"),
    "FindingProviderFieldsRelatedFindingsProductArn": (_PF, "RelatedFindings", "ProductArn"),
    "FindingProviderFieldsSeverityLabel": (_PF, "Severity", "Label"),
    "FindingProviderFieldsSeverityOriginal": (_PF, "Severity", "Original"),
    "FindingProviderFieldsTypes": (_PF, "Types"),
    "ComplianceSecurityControlId": ("Compliance", "SecurityControlId"),
    "ComplianceAssociatedStandardsId": ("Compliance", "AssociatedStandards", "StandardsId"),
    "ComplianceSecurityControlParametersName": (*_CTRL, "Name"),
    "ComplianceSecurityControlParametersValue": (*_CTRL, "Value"),
    "VulnerabilitiesExploitAvailable": ("Vulnerabilities", "ExploitAvailable"),
    "VulnerabilitiesFixAvailable": ("Vulnerabilities", "FixAvailable"),
    "AwsAccountName": ("AwsAccountName",),
}
NUMBERS: dict[str, tuple[str, ...]] = {
    "SeverityProduct": ("Severity", "Product"), "Confidence": ("Confidence",),
    "Criticality": ("Criticality",), "NetworkSourcePort": (_NET, "SourcePort"),
    "NetworkDestinationPort": (_NET, "DestinationPort"), "ProcessPid": (_PROC, "Pid"),
    "ProcessParentPid": (_PROC, "ParentPid"), "FindingProviderFieldsConfidence": (_PF, "Confidence"),
    "FindingProviderFieldsCriticality": (_PF, "Criticality"),
}
DATES: dict[str, tuple[str, ...]] = {
    "ProcessLaunchedAt": (_PROC, "LaunchedAt"), "ProcessTerminatedAt": (_PROC, "TerminatedAt"),
    "ThreatIntelIndicatorLastObservedAt": (_TI, "LastObservedAt"),
    "ResourceAwsEc2InstanceLaunchedAt": (*_EC2, "LaunchedAt"),
    "ResourceAwsIamAccessKeyCreatedAt": (*_KEY, "CreatedAt"),
    "ResourceContainerLaunchedAt": (*_CONTAINER, "LaunchedAt"), "NoteUpdatedAt": ("Note", "UpdatedAt"),
}
MAPS: dict[str, tuple[str, ...]] = {
    "ProductFields": ("ProductFields",), "UserDefinedFields": ("UserDefinedFields",),
    "ResourceTags": (_RES, "Tags"), "ResourceDetailsOther": (_RES, "Details", "Other"),
}
IPS: dict[str, tuple[str, ...]] = {
    "NetworkSourceIpV4": (_NET, "SourceIpV4"), "NetworkSourceIpV6": (_NET, "SourceIpV6"),
    "NetworkDestinationIpV4": (_NET, "DestinationIpV4"), "NetworkDestinationIpV6": (_NET, "DestinationIpV6"),
    "ResourceAwsEc2InstanceIpV4Addresses": (*_EC2, "IpV4Addresses"),
    "ResourceAwsEc2InstanceIpV6Addresses": (*_EC2, "IpV6Addresses"),
}
BOOLEANS: dict[str, tuple[str, ...]] = {"Sample": ("Sample",)}
ATTRIBUTES = frozenset({*STRINGS, *NUMBERS, *DATES, *MAPS, *IPS, *BOOLEANS})
_STRING_OPS: dict[str, Callable[[str, str], bool]] = {
    "EQUALS": lambda v, x: v == x, "PREFIX": lambda v, x: v.startswith(x), "CONTAINS": lambda v, x: x in v,
    "NOT_EQUALS": lambda v, x: v == x, "PREFIX_NOT_EQUALS": lambda v, x: v.startswith(x),
    "NOT_CONTAINS": lambda v, x: x in v,
}
_NEGATIVE = ("NOT_EQUALS", "PREFIX_NOT_EQUALS", "NOT_CONTAINS")


def values_at(doc: Any, path: tuple[str, ...]) -> list[Any]:
    """Every value at ``path``, descending through lists."""
    if len(path) == 1 and isinstance(doc, dict):  # a top-level attribute (Title, Id…): the common case
        value = doc.get(path[0])
        return [] if value is None else value if isinstance(value, list) else [value]
    found = [doc]
    for key in path:
        nxt: list[Any] = []
        for item in found:
            items = item if isinstance(item, list) else [item]
            nxt.extend(i[key] for i in items if isinstance(i, dict) and i.get(key) is not None)
        found = nxt
    return [v for item in found for v in (item if isinstance(item, list) else [item])]


def _string_pred(name: str, path: tuple[str, ...], raw: list[dict[str, Any]]) -> Predicate:
    pos: list[tuple[Callable[[str, str], bool], str]] = []
    neg: list[tuple[Callable[[str, str], bool], str]] = []
    for f in raw:
        value, comparison = f.get("Value"), f.get("Comparison", "EQUALS")
        if not isinstance(value, str) or comparison not in _STRING_OPS:
            raise validation(f"Filters.{name} needs a string Value and a known Comparison", path=name)
        (neg if comparison in _NEGATIVE else pos).append((_STRING_OPS[comparison], value))

    def check(finding: Mapping[str, Any]) -> bool:
        have = [v if isinstance(v, str) else str(v) for v in values_at(finding, path)]
        if any(op(v, x) for op, x in neg for v in have):
            return False
        return not pos or any(op(v, x) for op, x in pos for v in have)

    return check


def _number_pred(name: str, path: tuple[str, ...], raw: list[dict[str, Any]]) -> Predicate:
    ops = {
        "Gte": float.__ge__, "Lte": float.__le__, "Eq": float.__eq__, "Gt": float.__gt__, "Lt": float.__lt__
    }
    conds = []
    for f in raw:
        used = [(ops[k], float(f[k])) for k in ops if isinstance(f.get(k), int | float) and f[k] is not True]
        if not used or any(f.get(k) is not None and not isinstance(f[k], int | float) for k in ops):
            raise validation(f"Filters.{name} needs numeric Gte, Lte, Eq, Gt or Lt", path=name)
        conds.extend(used)

    def check(finding: Mapping[str, Any]) -> bool:
        have = [float(v) for v in values_at(finding, path) if isinstance(v, int | float)]
        return any(all(op(v, bound) for op, bound in conds) for v in have)

    return check


def date_bounds(name: str, f: Mapping[str, Any], now: float) -> tuple[str | None, str | None]:
    """One DateFilter → (earliest, latest) canonical timestamps; ``DateRange`` (the last N days)
    is an earliest bound. Shared with the indexed attributes' SQL (``filters``)."""
    try:
        start = parse_time(f["Start"], f"Filters.{name}.Start") if f.get("Start") is not None else None
        end = parse_time(f["End"], f"Filters.{name}.End") if f.get("End") is not None else None
    except InvalidFinding as exc:
        raise validation(exc.message, path=name) from None
    rng = f.get("DateRange")
    if rng is not None:
        days = rng.get("Value") if isinstance(rng, dict) else None
        unit = rng.get("Unit", "DAYS") if isinstance(rng, dict) else None
        if not isinstance(days, int) or isinstance(days, bool) or days < 0 or unit != "DAYS":
            raise validation(f"Filters.{name}.DateRange needs an integer Value and Unit DAYS", path=name)
        cutoff = iso(now - days * 86400)
        start = max(start, cutoff) if start else cutoff
    if f.get("Start") is None and f.get("End") is None and rng is None:
        raise validation(f"Filters.{name} needs Start, End or DateRange", path=name)
    return start, end


def _date_pred(name: str, path: tuple[str, ...], raw: list[dict[str, Any]], now: float) -> Predicate:
    bounds = [date_bounds(name, f, now) for f in raw]
    lo = [b[0] for b in bounds if b[0] is not None]
    hi = [b[1] for b in bounds if b[1] is not None]

    def check(finding: Mapping[str, Any]) -> bool:
        for v in values_at(finding, path):
            try:
                at = parse_time(v, name)
            except InvalidFinding:
                continue
            if all(at >= x for x in lo) and all(at <= x for x in hi):
                return True
        return False

    return check


def _map_pred(name: str, path: tuple[str, ...], raw: list[dict[str, Any]]) -> Predicate:
    pos: list[tuple[str, Callable[[str, str], bool], str]] = []
    neg: list[tuple[str, Callable[[str, str], bool], str]] = []
    for f in raw:
        key, value, comparison = f.get("Key"), f.get("Value"), f.get("Comparison", "EQUALS")
        if not isinstance(key, str) or not isinstance(value, str) or comparison not in _STRING_OPS:
            raise validation(f"Filters.{name} needs Key, Value and a known Comparison", path=name)
        (neg if comparison in _NEGATIVE else pos).append((key, _STRING_OPS[comparison], value))

    def check(finding: Mapping[str, Any]) -> bool:
        maps = [m for m in values_at(finding, path) if isinstance(m, dict)]
        have = [(k, str(v)) for m in maps for k, v in m.items()]
        if any(k == key and op(v, x) for key, op, x in neg for k, v in have):
            return False
        return not pos or any(k == key and op(v, x) for key, op, x in pos for k, v in have)

    return check


def _ip_pred(name: str, path: tuple[str, ...], raw: list[dict[str, Any]]) -> Predicate:
    try:
        nets = [ipaddress.ip_network(str(f.get("Cidr")), strict=False) for f in raw]
    except ValueError:
        raise validation(f"Filters.{name}.Cidr must be a CIDR block", path=name) from None

    def check(finding: Mapping[str, Any]) -> bool:
        for v in values_at(finding, path):
            try:
                addr = ipaddress.ip_address(str(v))
            except ValueError:
                continue
            if any(addr in n for n in nets):
                return True
        return False

    return check


def _bool_pred(name: str, path: tuple[str, ...], raw: list[dict[str, Any]]) -> Predicate:
    if not all(isinstance(f.get("Value"), bool) for f in raw):
        raise validation(f"Filters.{name}.Value must be a boolean", path=name)
    wanted = {f["Value"] for f in raw}
    return lambda finding: (values_at(finding, path) or [False])[0] in wanted


def predicate(name: str, raw: list[dict[str, Any]], now: float) -> Predicate:
    """The check for one attribute (``name`` in ``ATTRIBUTES``; ``raw`` its validated filter list)."""
    kinds = (("string", STRINGS), ("number", NUMBERS), ("date", DATES), ("map", MAPS), ("ip", IPS))
    for kind, table in kinds:
        if name in table:
            return predicate_at(kind, name, table[name], raw, now)
    return _bool_pred(name, BOOLEANS[name], raw)


def predicate_at(
    kind: str, name: str, path: tuple[str, ...], raw: list[dict[str, Any]], now: float
) -> Predicate:
    """The check for attribute ``name`` of ``kind`` (string, number, date, map, ip) found at ``path``
    in the finding — also for the indexed attributes, when a finding in hand is matched
    (``filters.finding_predicate``)."""
    if kind == "string":
        return _string_pred(name, path, raw)
    if kind == "number":
        return _number_pred(name, path, raw)
    if kind == "date":
        return _date_pred(name, path, raw, now)
    if kind == "map":
        return _map_pred(name, path, raw)
    return _ip_pred(name, path, raw)
