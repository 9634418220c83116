"""``awsapi.inputcheck``: the model's input shapes, shipped and applied as AWS applies them.

The shipped ``models/*.json.gz`` are what ``genmodels`` makes from the installed botocore (so a
botocore upgrade that changes a shape shows here); the checks refuse what the model refuses — the
JSON types botocore cannot even send (a string for a structure, a list or a map), required members,
lengths, ranges, enums, base64 — with ``ValidationException`` naming the member and never its value.
"""

from __future__ import annotations

import gzip
import json

import botocore
import pytest

from tests.support.conform import genmodels
from wafproxy.awsapi.errors import AwsError
from wafproxy.awsapi.inputcheck import InputModel


@pytest.mark.parametrize("service", genmodels.SERVICES)
def test_shipped_models_are_what_botocore_says(service: str) -> None:
    shipped = json.loads(gzip.decompress(genmodels.OUT.joinpath(f"{service}.json.gz").read_bytes()))
    if shipped["botocore"] != botocore.__version__:
        pytest.skip(f"shipped from botocore {shipped['botocore']}: python -m tests.support.conform.genmodels")
    assert shipped == genmodels.compact(service), "regenerate: python -m tests.support.conform.genmodels"
    assert InputModel.shipped(service) is not None


def _refused(check: object) -> str:
    with pytest.raises(AwsError) as exc:
        check()  # type: ignore[operator]
    assert exc.value.code == "ValidationException" and exc.value.status == 400
    return exc.value.message


KMS = InputModel.shipped("kms")
GD = InputModel.shipped("guardduty")
HUB = InputModel.shipped("securityhub")
WAF = InputModel.shipped("wafv2")
assert KMS and GD and HUB and WAF


@pytest.mark.parametrize(
    ("body", "why"),
    [
        ({}, "Value at 'keyId' failed to satisfy constraint: Member must not be null"),
        ({"KeyId": "k", "Plaintext": 12}, "base64"),
        ({"KeyId": "k", "Plaintext": "not base64!"}, "base64"),
        ({"KeyId": "k", "Plaintext": ""}, "length greater than or equal to 1"),
        ({"KeyId": "k" * 2049, "Plaintext": "eA=="}, "length less than or equal to 2048"),
        ({"KeyId": {"a": 1}, "Plaintext": "eA=="}, "must be a string"),
        ({"KeyId": "k", "Plaintext": "eA==", "EncryptionAlgorithm": "ROT13"}, "enum value set"),
        ({"KeyId": "k", "Plaintext": "eA==", "GrantTokens": "t"}, "must be a list"),
        ({"KeyId": "k", "Plaintext": "eA==", "GrantTokens": ["t"] * 11}, "length less than or equal to 10"),
        ({"KeyId": "k", "Plaintext": "eA==", "EncryptionContext": ["a"]}, "must be a map"),
        ({"KeyId": "k", "Plaintext": "eA==", "DryRun": "yes"}, "must be a boolean"),
    ],
)
def test_kms_encrypt_refuses_what_the_model_refuses(body: dict[str, object], why: str) -> None:
    assert KMS is not None
    message = _refused(lambda: KMS.check_json("Encrypt", body))
    assert why in message
    assert "not base64!" not in message and "kkkk" not in message  # values are never echoed


def test_valid_input_passes_and_unknown_members_are_ignored() -> None:
    assert KMS is not None
    KMS.check_json("Encrypt", {"KeyId": "alias/x", "Plaintext": "eA==", "Extra": {"any": 1}})
    KMS.check_json("ListKeys", {"Limit": 1000})
    assert "value less than or equal to 1000" in _refused(lambda: KMS.check_json("ListKeys", {"Limit": 1001}))
    assert "must be an integer" in _refused(lambda: KMS.check_json("ListKeys", {"Limit": True}))


def test_nested_members_are_checked_with_their_path() -> None:
    assert KMS is not None
    body = {"KeyId": "k", "Tags": [{"TagKey": "a", "TagValue": "b"}, {"TagKey": "c"}]}
    message = _refused(lambda: KMS.check_json("TagResource", body))
    assert "Value at 'tags.2.member.tagValue'" in message and "must not be null" in message
    assert "must be a structure" in _refused(
        lambda: KMS.check_json("TagResource", {"KeyId": "k", "Tags": ["x"]})
    )


def test_rest_json_query_path_and_body_members() -> None:
    assert GD is not None
    GD.check_rest("ListDetectors", {}, {"maxResults": "50"}, {})
    assert "value less than or equal to 50" in _refused(
        lambda: GD.check_rest("ListDetectors", {}, {"maxResults": "51"}, {})
    )
    assert "must be an integer" in _refused(
        lambda: GD.check_rest("ListDetectors", {}, {"maxResults": "ten"}, {})
    )
    long_id = "d" * 301
    assert "detectorId" in _refused(lambda: GD.check_rest("GetDetector", {}, {}, {"DetectorId": long_id}))
    body = {"name": "n", "format": "TXT", "location": "l", "activate": "yes"}
    assert "must be a boolean" in _refused(
        lambda: GD.check_rest("CreateIPSet", body, {}, {"DetectorId": "d"})
    )


def test_union_with_two_members_is_refused() -> None:
    model = InputModel.shipped("inspector2")
    assert model is not None
    one = {"aggregationType": "ACCOUNT", "aggregationRequest": {"accountAggregation": {}}}
    model.check_rest("ListFindingAggregations", one, {}, {})
    two = {**one, "aggregationRequest": {"accountAggregation": {}, "amiAggregation": {}}}
    assert "exactly one member set" in _refused(
        lambda: model.check_rest("ListFindingAggregations", two, {}, {})
    )


def test_batch_import_findings_checks_the_list_not_each_finding() -> None:
    """A malformed finding is BatchImportFindings' FailedFindings entry, not a refused request."""
    assert HUB is not None
    HUB.check_rest("BatchImportFindings", {"Findings": [{"Severity": {"Label": "WHATEVER"}}]}, {}, {})
    assert "length greater than or equal to 1" in _refused(
        lambda: HUB.check_rest("BatchImportFindings", {"Findings": []}, {}, {})
    )


def test_wafv2_documents_are_left_to_the_engine_parser() -> None:
    """Below a request's own members, WAFv2 validates with Field and the JSON path (ops_*)."""
    assert WAF is not None
    rules = [{"Name": "r", "Priority": 0, "Statement": {"ByteMatchStatement": {"PositionalConstraint": "X"}}}]
    body = {
        "Name": "n",
        "Scope": "REGIONAL",
        "Id": "i",
        "LockToken": "t",
        "DefaultAction": {"Allow": {}},
        "VisibilityConfig": {},
        "Rules": rules,
    }
    WAF.check_json("UpdateWebACL", body)
    assert "enum value set" in _refused(lambda: WAF.check_json("UpdateWebACL", {**body, "Scope": "GLOBAL"}))
    assert "must be a list" in _refused(lambda: WAF.check_json("UpdateWebACL", {**body, "Rules": {}}))


def test_errors_stay_in_each_operation_vocabulary() -> None:
    """A boto3 user catches what the operation declares: Security Hub's V2 operations declare
    ValidationException (not the service's InvalidInputException); an operation without a not-found
    error answers a name that matches nothing as its invalid input."""
    assert HUB is not None
    raised = AwsError("ValidationException", "bad")
    renamed = raised.renamed("InvalidInputException")
    assert HUB.in_vocabulary("DisableSecurityHubV2", raised, renamed) is raised
    assert HUB.in_vocabulary("GetFindings", raised, renamed) is renamed
    missing = AwsError("ResourceNotFoundException", "no such control", status=404)
    got = HUB.not_found_declared("ListStandardsControlAssociations", missing)
    assert (got.code, got.status) == ("InvalidInputException", 400)
    assert HUB.not_found_declared("UntagResource", missing) is missing  # it declares not-found
