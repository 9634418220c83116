"""Inspector2's operations over resources a proxy's assessor does not scan: CIS benchmark scans of
EC2 instances (and the SSM agent's CIS session calls), code security (repository integrations,
scan configurations, scans), cloud connectors, on-demand AMI scans, EKS/ECS clusters of an ECR
image.

Listings (and the per-scan result listings) are empty, as Inspector answers an account without
any; a call naming one (an ARN, a scan id) is ResourceNotFoundException — or ValidationException
where the operation models no ResourceNotFoundException; creating or starting one is refused with
ValidationException and the reason. wafproxy assesses its own endpoints, configuration and Python
dependencies (ListFindings, ListCoverage); it has no EC2 instance, AMI, code repository or cloud
connector to point these at.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from wafproxy.awsapi.errors import AwsError, validation
from wafproxy.awsapi.jsonproto import CallContext
from wafproxy.awsapi.params import Params

Routes = dict[str, tuple[str, str, Callable[[CallContext, Params], Any]]]
NO_EC2 = "wafproxy's Inspector scans no EC2 instance: CIS scans have no target"
NO_CODE = "wafproxy's Inspector scans no code repository: code security is not available"
NO_CONNECTOR = "wafproxy's Inspector has no cloud connector: it assesses its own endpoints"
NO_AMI = "wafproxy's Inspector scans no AMI: on-demand scans have no target"


def handlers(page: Callable[..., tuple[list[Any], str | None]]) -> Routes:
    def empty(member: str, hi: int = 100) -> Callable[[CallContext, Params], dict[str, Any]]:
        def handler(ctx: CallContext, p: Params) -> dict[str, Any]:
            chunk, token = page([], p, ctx, hi=hi)
            return {member: chunk, **({"nextToken": token} if token else {})}

        return handler

    def missing(what: str, member: str) -> Callable[[CallContext, Params], dict[str, Any]]:
        def handler(ctx: CallContext, p: Params) -> dict[str, Any]:
            name = p.str(member, max_len=2048)
            raise AwsError("ResourceNotFoundException", f"{what} {name[:256]} not found", status=404)

        return handler

    def refused(message: str, member: str) -> Callable[[CallContext, Params], dict[str, Any]]:
        def handler(ctx: CallContext, p: Params) -> dict[str, Any]:
            raise validation(message, path=member)

        return handler

    def batch_missing(member: str) -> Callable[[CallContext, Params], dict[str, Any]]:
        def handler(ctx: CallContext, p: Params) -> dict[str, Any]:
            raw = p.raw(member)
            if not isinstance(raw, list) or not raw:
                raise validation(f"{member} must list at least one request", path=member)
            raise AwsError(
                "ResourceNotFoundException", "scan configuration not found: " + NO_CODE, status=404
            )

        return handler

    def repository_missing(ctx: CallContext, p: Params) -> dict[str, Any]:
        if not isinstance(p.raw("resource"), dict):
            raise validation("resource must name a code repository", path="resource")
        raise AwsError("ResourceNotFoundException", "code repository not found: " + NO_CODE, status=404)

    cis, code = "/cis", "/codesecurity"
    return {
        "ListCisScanConfigurations": ("POST", f"{cis}/scan-configuration/list", empty("scanConfigurations")),
        "ListCisScans": ("POST", f"{cis}/scan/list", empty("scans")),
        "CreateCisScanConfiguration": (
            "POST",
            f"{cis}/scan-configuration/create",
            refused(NO_EC2, "targets"),
        ),
        "UpdateCisScanConfiguration": (
            "POST",
            f"{cis}/scan-configuration/update",
            missing("CIS scan configuration", "scanConfigurationArn"),
        ),
        "DeleteCisScanConfiguration": (
            "POST",
            f"{cis}/scan-configuration/delete",
            missing("CIS scan configuration", "scanConfigurationArn"),
        ),
        "GetCisScanReport": ("POST", f"{cis}/scan/report/get", missing("CIS scan", "scanArn")),
        "GetCisScanResultDetails": ("POST", f"{cis}/scan-result/details/get", empty("scanResultDetails")),
        "ListCisScanResultsAggregatedByChecks": (
            "POST",
            f"{cis}/scan-result/check/list",
            empty("checkAggregations"),
        ),
        "ListCisScanResultsAggregatedByTargetResource": (
            "POST",
            f"{cis}/scan-result/resource/list",
            empty("targetResourceAggregations"),
        ),
        "StartCisSession": ("PUT", "/cissession/start", refused(NO_EC2, "scanJobId")),
        "StopCisSession": ("PUT", "/cissession/stop", refused(NO_EC2, "scanJobId")),
        "SendCisSessionHealth": ("PUT", "/cissession/health/send", refused(NO_EC2, "scanJobId")),
        "SendCisSessionTelemetry": ("PUT", "/cissession/telemetry/send", refused(NO_EC2, "scanJobId")),
        "ListCodeSecurityIntegrations": ("POST", f"{code}/integration/list", empty("integrations")),
        "CreateCodeSecurityIntegration": ("POST", f"{code}/integration/create", refused(NO_CODE, "type")),
        "GetCodeSecurityIntegration": (
            "POST",
            f"{code}/integration/get",
            missing("code security integration", "integrationArn"),
        ),
        "UpdateCodeSecurityIntegration": (
            "POST",
            f"{code}/integration/update",
            missing("code security integration", "integrationArn"),
        ),
        "DeleteCodeSecurityIntegration": (
            "POST",
            f"{code}/integration/delete",
            missing("code security integration", "integrationArn"),
        ),
        "ListCodeSecurityScanConfigurations": (
            "POST",
            f"{code}/scan-configuration/list",
            empty("configurations"),
        ),
        "CreateCodeSecurityScanConfiguration": (
            "POST",
            f"{code}/scan-configuration/create",
            refused(NO_CODE, "configuration"),
        ),
        "GetCodeSecurityScanConfiguration": (
            "POST",
            f"{code}/scan-configuration/get",
            missing("code security scan configuration", "scanConfigurationArn"),
        ),
        "UpdateCodeSecurityScanConfiguration": (
            "POST",
            f"{code}/scan-configuration/update",
            missing("code security scan configuration", "scanConfigurationArn"),
        ),
        "DeleteCodeSecurityScanConfiguration": (
            "POST",
            f"{code}/scan-configuration/delete",
            missing("code security scan configuration", "scanConfigurationArn"),
        ),
        "ListCodeSecurityScanConfigurationAssociations": (
            "POST",
            f"{code}/scan-configuration/associations/list",
            missing("code security scan configuration", "scanConfigurationArn"),
        ),
        "BatchAssociateCodeSecurityScanConfiguration": (
            "POST",
            f"{code}/scan-configuration/batch/associate",
            batch_missing("associateConfigurationRequests"),
        ),
        "BatchDisassociateCodeSecurityScanConfiguration": (
            "POST",
            f"{code}/scan-configuration/batch/disassociate",
            batch_missing("disassociateConfigurationRequests"),
        ),
        "StartCodeSecurityScan": ("POST", f"{code}/scan/start", repository_missing),
        "GetCodeSecurityScan": ("POST", f"{code}/scan/get", missing("code security scan", "scanId")),
        "ListConnectors": ("POST", "/connector/list", empty("items")),
        "CreateConnector": ("POST", "/connector/create", refused(NO_CONNECTOR, "provider")),
        "UpdateConnector": ("POST", "/connector/update", missing("connector", "connectorArn")),
        "DeleteConnector": ("POST", "/connector/delete", missing("connector", "connectorArn")),
        "ListConnectorScanConfigurations": (
            "POST",
            "/connectorscanconfigurations/list",
            empty("scanConfigurations"),
        ),
        "UpdateConnectorScanConfiguration": (
            "POST",
            "/connectorscanconfiguration/update",
            missing("connector", "awsConfigConnectorArn"),
        ),
        "StartOnDemandScan": ("POST", "/ondemand/scan", refused(NO_AMI, "resourceType")),
        "ListOnDemandScans": ("POST", "/ondemand/scans", empty("items")),
        "GetOnDemandScanStatus": ("POST", "/ondemand/scan/status", missing("on-demand scan", "scanId")),
        "GetClustersForImage": ("POST", "/cluster/get", empty("cluster")),
    }
