"""Identity-policy authorization for any of our AWS APIs (KMS, the WAFv2 control plane, …).

``--policy-file`` maps principal name → IAM identity policy. Without a policy file every
authenticated principal may do everything (issue 6); with one, a principal absent from it may do
nothing. Resource policies (KMS key policies) combine with this in the service itself.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from wafproxy.awsapi.credentials import Principal
from wafproxy.awsapi.errors import access_denied
from wafproxy.awsapi.policy import Policy, RequestContext, load_principal_policies


@dataclass(frozen=True, slots=True)
class IdentityDecision:
    denied: bool
    allowed: bool


@dataclass(frozen=True, slots=True)
class IdentityAuthorizer:
    """``policies=None``: allow-all (no policy file). Otherwise per-principal identity policies."""

    policies: Mapping[str, Policy] | None = None
    _allow_all: IdentityDecision = field(default=IdentityDecision(False, True), repr=False)

    @classmethod
    def from_file(cls, path: str | Path | None) -> IdentityAuthorizer:
        if path is None:
            return cls(None)
        return cls(load_principal_policies(Path(path).read_text(encoding="utf-8"), source=str(path)))

    def decide(self, principal: Principal, req: RequestContext) -> IdentityDecision:
        if self.policies is None:
            return self._allow_all
        policy = self.policies.get(principal.name)
        if policy is None:
            return IdentityDecision(False, False)
        r = policy.evaluate(req)
        return IdentityDecision(r.denied, r.allowed)

    def precheck(self, principal: Principal, actions: tuple[str, ...], *, deny_only: bool = False) -> None:
        """``AccessDeniedException`` when the identity policy can allow none of ``actions`` on any
        resource (``Policy.refuses_outright``): before the service looks anything up. ``deny_only``
        (KMS): only an explicit Deny refuses here, since a key policy may grant the principal."""
        if self.policies is None:
            return
        policy = self.policies.get(principal.name)
        for action in actions:
            if not deny_only if policy is None else policy.refuses_outright(action, deny_only=deny_only):
                raise access_denied(f"User: {principal.arn} is not authorized to perform: {action} "
                                    "because no identity-based policy allows it")

    def check(
        self,
        principal: Principal,
        action: str,
        resource: str = "*",
        condition_keys: Mapping[str, tuple[str, ...]] | None = None,
    ) -> None:
        """``AccessDeniedException`` unless the identity policy allows ``action`` on ``resource``."""
        req = RequestContext(action, resource, principal.arn, principal.account, condition_keys or {})
        d = self.decide(principal, req)
        if d.denied or not d.allowed:
            why = "with an explicit deny" if d.denied else "because no identity-based policy allows it"
            raise access_denied(
                f"User: {principal.arn} is not authorized to perform: {action} on resource: {resource} {why}"
            )
