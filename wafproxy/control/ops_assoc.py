"""WAFv2 operations about the one web ACL's place in the deployment: which resource it protects,
creating and deleting web ACLs, deleting the logging configuration.

A wafproxy protects one resource, itself: the proxy (or the app it wraps as middleware), named
``arn:aws:wafproxy:<region>:<account>:proxy/<web ACL name>``, with the served web ACL always
associated with it. So:

- ``ListResourcesForWebACL`` lists the proxy for the served ACL, under the default resource type
  APPLICATION_LOAD_BALANCER (the role the proxy plays: a regional HTTP front end), none for the
  other types; ``GetWebACLForResource`` of the proxy is the served ACL.
- ``AssociateWebACL`` of the served ACL with the proxy succeeds (it is associated: AWS answers a
  repeated association the same way); any other pair names something that does not exist here.
  ``DisassociateWebACL`` of the proxy is WAFInvalidOperationException: a proxy without a web ACL is
  not a state wafproxy has (empty the rules with UpdateWebACL instead).
- ``CreateWebACL``: a second web ACL would never be served, so it is AWS's answer to an account at
  its web ACL quota, WAFLimitsExceededException (WAFDuplicateItemException for the served ACL's
  own name, as AWS checks the name first). ``DeleteWebACL`` of the served ACL, with its current
  lock token, is WAFAssociatedItemException: AWS refuses to delete an ACL still associated.
- ``DeleteLoggingConfiguration`` removes what PutLoggingConfiguration stored (file and all); the
  log writer goes back to its defaults (no redaction, no filter).
"""

from __future__ import annotations

import asyncio
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from wafproxy.awsapi.jsonproto import CallContext
from wafproxy.awsapi.params import Params
from wafproxy.control import errors

if TYPE_CHECKING:
    from wafproxy.control.plane import ControlPlane
    from wafproxy.control.wire import AsyncHandler

DEFAULT_RESOURCE_TYPE = "APPLICATION_LOAD_BALANCER"
RESOURCE_TYPES = ("APPLICATION_LOAD_BALANCER", "API_GATEWAY", "APPSYNC", "COGNITO_USER_POOL",
                  "APP_RUNNER_SERVICE", "VERIFIED_ACCESS_INSTANCE", "AMPLIFY", "AMPLIFY_GEN_3", "ELB_PROXY",
                  "AGENTCORE_GATEWAY")


def proxy_arn(plane: ControlPlane) -> str:
    """The one resource this wafproxy's web ACL protects."""
    names = plane.reloader.names
    return f"arn:aws:wafproxy:{names.region}:{names.account}:proxy/{plane.store.web_acl.name}"


def _invalid_operation(message: str) -> errors.WafError:
    return errors.WafError("WAFInvalidOperationException", message)


def operations(plane: ControlPlane) -> dict[str, AsyncHandler]:
    from wafproxy.control.ops_acl import acl_shape
    from wafproxy.control.plane import check_scope

    def served_acl(p: Params, member: str) -> str:
        arn = p.str(member, max_len=2048)
        if arn != plane.store.web_acl.arn:
            raise errors.nonexistent(f"WEB_ACL {arn[:256]}")
        return arn

    def the_proxy(p: Params) -> str:
        arn = p.str("ResourceArn", max_len=2048)
        if arn != proxy_arn(plane):
            raise errors.nonexistent(f"RESOURCE_ARN {arn[:256]} (this wafproxy protects {proxy_arn(plane)})")
        return arn

    async def list_resources(ctx: CallContext, p: Params) -> Mapping[str, Any]:
        arn = served_acl(p, "WebACLArn")
        kind = p.str("ResourceType", required=False, default=DEFAULT_RESOURCE_TYPE, max_len=64)
        if kind not in RESOURCE_TYPES:
            raise errors.invalid("RESOURCE_TYPE", "ResourceType",
                                 f"must be one of {', '.join(RESOURCE_TYPES)}")
        plane.authorize(ctx, arn)
        return {"ResourceArns": [proxy_arn(plane)] if kind == DEFAULT_RESOURCE_TYPE else []}

    async def acl_for_resource(ctx: CallContext, p: Params) -> Mapping[str, Any]:
        arn = the_proxy(p)
        plane.authorize(ctx, plane.store.web_acl.arn)
        ctx.resources.append(arn)
        return {"WebACL": acl_shape(plane)}

    async def associate(ctx: CallContext, p: Params) -> Mapping[str, Any]:
        acl = served_acl(p, "WebACLArn")
        the_proxy(p)
        plane.authorize(ctx, acl)
        return {}

    async def disassociate(ctx: CallContext, p: Params) -> Mapping[str, Any]:
        the_proxy(p)
        plane.authorize(ctx, plane.store.web_acl.arn)
        raise _invalid_operation("AWS WAF couldn't perform the operation because your request isn't valid: "
                                 "a wafproxy always serves its web ACL (empty its rules with UpdateWebACL)")

    async def create(ctx: CallContext, p: Params) -> Mapping[str, Any]:
        check_scope(p)
        name = p.str("Name", max_len=128)
        plane.authorize(ctx, plane.reloader.names.arn_pattern("webacl", name))
        if name == plane.store.web_acl.name:
            raise errors.duplicate(f"WEB_ACL {name}")
        raise errors.limits("AWS WAF couldn't perform the operation because you exceeded your resource "
                            "limit: this wafproxy serves one web ACL (change it with UpdateWebACL)")

    async def delete(ctx: CallContext, p: Params) -> Mapping[str, Any]:
        res = plane.lookup("webacl", p)
        plane.authorize(ctx, res.arn)
        plane.check_token(res, p)
        raise errors.associated(f"{res.arn} is associated with {proxy_arn(plane)}")

    async def delete_logging(ctx: CallContext, p: Params) -> Mapping[str, Any]:
        arn = p.str("ResourceArn", max_len=2048)
        plane.authorize(ctx, arn)
        if arn != plane.store.web_acl.arn or plane.store.logging_config is None:
            raise errors.nonexistent(f"logging configuration for {arn[:256]}")
        log_type = p.str("LogType", required=False, default="WAF_LOGS", max_len=32)
        scope = p.str("LogScope", required=False, default="CUSTOMER", max_len=64)
        stored = plane.store.logging_config
        if (log_type, scope) != (stored.get("LogType", "WAF_LOGS"), stored.get("LogScope", "CUSTOMER")):
            raise errors.nonexistent(f"{log_type} {scope} logging configuration for {arn[:256]}")
        async with plane.reloader.lock:
            await asyncio.to_thread(plane.store.set_logging, None)
            plane.reloader.apply_logging()
            plane.reloader.remember_files()
            await plane.reloader.publish()
        return {}

    return {
        "ListResourcesForWebACL": list_resources,
        "GetWebACLForResource": acl_for_resource,
        "AssociateWebACL": associate,
        "DisassociateWebACL": disassociate,
        "CreateWebACL": create,
        "DeleteWebACL": delete,
        "DeleteLoggingConfiguration": delete_logging,
    }
