"""What the console pages read and act on, gathered once by the wiring."""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from wafproxy.awsapi.credentials import CredentialStore, Principal
from wafproxy.awsapi.jsonproto import CallContext
from wafproxy.awsapi.policy import Policy
from wafproxy.control.persist import AuditLog
from wafproxy.sidecars.hub.api import authorize
from wafproxy.sidecars.hub.automation import AutomationRules
from wafproxy.sidecars.hub.controls import ControlRunner
from wafproxy.sidecars.hub.core import Hub
from wafproxy.sidecars.hub.traffic import TrafficStats


@dataclass
class ConsoleDeps:
    hub: Hub
    credentials: CredentialStore
    policies: Mapping[str, Policy] | None = None
    traffic: TrafficStats | None = None
    controls: ControlRunner | None = None
    automation: AutomationRules | None = None  # the account's automation rules (listed, not edited)
    plane: Any = None  # the WAFv2 ControlPlane (web ACL, IP sets, sampled requests), when there is one
    secure_cookies: bool = False
    audit: AuditLog | None = None

    def context(self, principal: Principal, operation: str, source_ip: str) -> CallContext:
        return CallContext(principal, operation, str(uuid.uuid4()), source_ip, self.hub.region)

    def allow(self, principal: Principal, operation: str, source_ip: str) -> CallContext:
        """The console acts as the signed-in principal: the same ``securityhub:`` policy applies."""
        ctx = self.context(principal, operation, source_ip)
        authorize(self.policies, ctx, self.hub.arn)
        return ctx
