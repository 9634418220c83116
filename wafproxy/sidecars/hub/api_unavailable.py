"""The Security Hub operations that cannot apply to a single-machine hub, answered with the error
each operation's model declares for that situation (never an unknown-operation 404):

* Security Hub V2 (the OCSF-based service: ``GetFindingsV2``, ``…StatisticsV2``, resources,
  aggregators, automation rules, connectors and tickets V2, exports…): this hub serves Security Hub
  CSPM's API only, so V2 is not enabled and cannot be — ``AccessDeniedException``, and
  ``DescribeSecurityHubV2`` ``ResourceNotFoundException`` (no V2 hub resource exists).
* Central configuration (configuration policies and their associations): only an organization's
  delegated administrator has it; this hub is a standalone account — ``AccessDeniedException``.
* AWS Organizations (admin accounts, organization configuration): no organization —
  ``InvalidAccessException``, as Security Hub answers an account that is not an administrator.
* Connectors (Jira Cloud, ServiceNow…): the hub opens no connection to a ticketing system. There
  are none (``ListConnectors`` is empty, a named one ``ResourceNotFoundException``) and none can be
  made (``CreateConnector``: ``AccessDeniedException``).

Each still requires the caller's policy to allow the action and Security Hub to be enabled
(``HubApi.authorize``), so a denied caller learns nothing more than from any other operation.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any

from wafproxy.awsapi.errors import AwsError
from wafproxy.awsapi.jsonproto import CallContext
from wafproxy.awsapi.params import Params

if TYPE_CHECKING:
    from wafproxy.sidecars.hub.api import HubApi

V2 = (
    "Security Hub V2 is not enabled in this account, and this hub cannot enable it: it serves Security "
    "Hub CSPM's API (GetFindings, automation rules, insights…)"
)
CENTRAL = (
    "Central configuration needs the delegated administrator of an organization; this hub is a "
    "standalone account"
)
ORGANIZATION = "This account is not the administrator of an organization: the hub is a standalone account"
CONNECTOR = "This hub opens no connection to a ticketing system: connectors are not available"

# operation → (method, URI as in the model, error code, HTTP status, message)
UNAVAILABLE: dict[str, tuple[str, str, str, int, str]] = {
    **{
        op: (method, uri, "AccessDeniedException", 403, V2)
        for op, (method, uri) in {
            "BatchUpdateFindingsV2": ("PATCH", "/findingsv2/batchupdatev2"),
            "CancelExportJobV2": ("POST", "/exportjobsv2/{ExportJobId}/cancel"),
            "CreateAggregatorV2": ("POST", "/aggregatorv2/create"),
            "CreateAutomationRuleV2": ("POST", "/automationrulesv2/create"),
            "CreateConnectorV2": ("POST", "/connectorsv2"),
            "CreateTicketV2": ("POST", "/ticketsv2"),
            "DeleteAggregatorV2": ("DELETE", "/aggregatorv2/delete/{AggregatorV2Arn+}"),
            "DeleteAutomationRuleV2": ("DELETE", "/automationrulesv2/{Identifier}"),
            "DeleteConnectorV2": ("DELETE", "/connectorsv2/{ConnectorId+}"),
            "DescribeProductsV2": ("GET", "/productsV2"),
            "DisableSecurityHubFeatureV2": ("DELETE", "/hubv2/feature/{FeatureName}"),
            "DisableSecurityHubV2": ("DELETE", "/hubv2"),
            "EnableSecurityHubFeatureV2": ("POST", "/hubv2/feature/{FeatureName}"),
            "EnableSecurityHubV2": ("POST", "/hubv2"),
            "GenerateRecommendedPolicyV2": ("POST", "/recommendedPolicyV2/{MetadataUid}"),
            "GetAggregatorV2": ("GET", "/aggregatorv2/get/{AggregatorV2Arn+}"),
            "GetAutomationRuleV2": ("GET", "/automationrulesv2/{Identifier}"),
            "GetConnectorV2": ("GET", "/connectorsv2/{ConnectorId+}"),
            "GetExportJobV2": ("GET", "/exportjobsv2/{ExportJobId}"),
            "GetFindingStatisticsV2": ("POST", "/findingsv2/statistics"),
            "GetFindingsTrendsV2": ("POST", "/findingsTrendsv2"),
            "GetFindingsV2": ("POST", "/findingsv2"),
            "GetRecommendedPolicyV2": ("GET", "/recommendedPolicyV2/{MetadataUid}"),
            "GetRemediationsV2": ("POST", "/GetRemediationsV2"),
            "GetResourcesStatisticsV2": ("POST", "/resourcesv2/statistics"),
            "GetResourcesTrendsV2": ("POST", "/resourcesTrendsv2"),
            "GetResourcesV2": ("POST", "/resourcesv2"),
            "GetSoftwareResourcesV2": ("POST", "/softwarev2/resources"),
            "GetSoftwareStatisticsV2": ("POST", "/softwarev2/statistics"),
            "GetSoftwareV2": ("POST", "/softwarev2"),
            "ListAggregatorsV2": ("GET", "/aggregatorv2/list"),
            "ListAutomationRulesV2": ("GET", "/automationrulesv2/list"),
            "ListConnectorsV2": ("GET", "/connectorsv2"),
            "ListExportJobsV2": ("GET", "/exportjobsv2"),
            "ListExposuresByRemediationV2": ("POST", "/ListExposuresByRemediationV2"),
            "ListFreeTrialStatusesV2": ("POST", "/freetrial/statusv2/list"),
            "RegisterConnectorV2": ("POST", "/connectorsv2/register"),
            "StartExportJobV2": ("POST", "/exportjobsv2"),
            "UpdateAggregatorV2": ("PATCH", "/aggregatorv2/update/{AggregatorV2Arn+}"),
            "UpdateAutomationRuleV2": ("PATCH", "/automationrulesv2/{Identifier}"),
            "UpdateConnectorV2": ("PATCH", "/connectorsv2/{ConnectorId+}"),
        }.items()
    },
    "DescribeSecurityHubV2": ("GET", "/hubv2", "ResourceNotFoundException", 404, V2),
    **{
        op: (method, uri, "AccessDeniedException", 403, CENTRAL)
        for op, (method, uri) in {
            "BatchGetConfigurationPolicyAssociations": ("POST", "/configurationPolicyAssociation/batchget"),
            "CreateConfigurationPolicy": ("POST", "/configurationPolicy/create"),
            "DeleteConfigurationPolicy": ("DELETE", "/configurationPolicy/{Identifier}"),
            "GetConfigurationPolicy": ("GET", "/configurationPolicy/get/{Identifier}"),
            "GetConfigurationPolicyAssociation": ("POST", "/configurationPolicyAssociation/get"),
            "ListConfigurationPolicies": ("GET", "/configurationPolicy/list"),
            "ListConfigurationPolicyAssociations": ("POST", "/configurationPolicyAssociation/list"),
            "StartConfigurationPolicyAssociation": ("POST", "/configurationPolicyAssociation/associate"),
            "StartConfigurationPolicyDisassociation": (
                "POST",
                "/configurationPolicyAssociation/disassociate",
            ),
            "UpdateConfigurationPolicy": ("PATCH", "/configurationPolicy/{Identifier}"),
        }.items()
    },
    **{
        op: (method, uri, "InvalidAccessException", 401, ORGANIZATION)
        for op, (method, uri) in {
            "DescribeOrganizationConfiguration": ("GET", "/organization/configuration"),
            "UpdateOrganizationConfiguration": ("POST", "/organization/configuration"),
            "EnableOrganizationAdminAccount": ("POST", "/organization/admin/enable"),
            "DisableOrganizationAdminAccount": ("POST", "/organization/admin/disable"),
            "ListOrganizationAdminAccounts": ("GET", "/organization/admin"),
        }.items()
    },
    "CreateConnector": ("POST", "/connectors", "AccessDeniedException", 403, CONNECTOR),
    "GetConnector": ("GET", "/connectors/{ConnectorId+}", "ResourceNotFoundException", 404, CONNECTOR),
    "UpdateConnector": ("PATCH", "/connectors/{ConnectorId+}", "ResourceNotFoundException", 404, CONNECTOR),
    "DeleteConnector": ("DELETE", "/connectors/{ConnectorId+}", "ResourceNotFoundException", 404, CONNECTOR),
}


def routes(api: HubApi) -> dict[str, tuple[str, str, Callable[..., Any]]]:
    def refuse(code: str, status: int, message: str) -> Callable[[CallContext, Params], Mapping[str, Any]]:
        def handler(ctx: CallContext, p: Params) -> Mapping[str, Any]:
            api.authorize(ctx, api.hub.arn)
            raise AwsError(code, message, status=status)

        return handler

    def no_connectors(ctx: CallContext, p: Params) -> Mapping[str, Any]:
        api.authorize(ctx, api.hub.arn)
        return api.paged(ctx, p, "Connectors", [])

    out: dict[str, tuple[str, str, Callable[..., Any]]] = {
        op: (method, uri, refuse(code, status, message))
        for op, (method, uri, code, status, message) in UNAVAILABLE.items()
    }
    out["ListConnectors"] = ("GET", "/connectors", no_connectors)
    return out
