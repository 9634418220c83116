"""Correlation: an exposed route (assessor) that is also being probed (detector) is one CRITICAL
finding naming both — the thing to look at first.

Both converters give such findings a ``route:<path>`` resource; this hook runs after each import,
and for each ACTIVE assessor or detector finding with a route looks up ACTIVE findings of the other
product on the same route (an indexed ``ResourceId`` query). The correlated finding's ``Id`` is the
route's, so it is updated in place, and it lists both in ``RelatedFindings``.
"""

from __future__ import annotations

from typing import Any

from wafproxy.sidecars.hub import convert_guardduty, convert_inspector
from wafproxy.sidecars.hub.builder import new_finding, remediation
from wafproxy.sidecars.hub.convert_common import ROUTE_PREFIX, route_resource
from wafproxy.sidecars.hub.core import Hub
from wafproxy.sidecars.hub.filters import compile_filters

PRODUCT = "hub"
PRODUCT_NAME = "Hub"
GENERATOR = "wafproxy/hub/correlation/exposed-and-probed"
_OTHER = {
    convert_inspector.PRODUCT_NAME: convert_guardduty.PRODUCT_NAME,
    convert_guardduty.PRODUCT_NAME: convert_inspector.PRODUCT_NAME,
}


def _routes(finding: dict[str, Any]) -> list[str]:
    return [r["Id"] for r in finding["Resources"] if r["Id"].startswith(ROUTE_PREFIX)]


class Correlator:
    """``hub.on_import.append(Correlator(hub))``."""

    def __init__(self, hub: Hub) -> None:
        self.hub = hub

    def __call__(self, imported: list[dict[str, Any]]) -> None:
        out = []
        for f in imported:
            other = _OTHER.get(f["ProductName"])
            if other is None or f["RecordState"] != "ACTIVE":
                continue
            for route in _routes(f):
                where = compile_filters(
                    {
                        "ResourceId": [{"Value": route, "Comparison": "EQUALS"}],
                        "ProductName": [{"Value": other, "Comparison": "EQUALS"}],
                        "RecordState": [{"Value": "ACTIVE", "Comparison": "EQUALS"}],
                    },
                    self.hub.clock.now(),
                )
                match = self.hub.store.query(where, limit=1)
                if match:
                    out.append(self._correlated(route, f, match[0]))
        if out:
            self.hub.import_findings(out)

    def _correlated(self, route: str, a: dict[str, Any], b: dict[str, Any]) -> dict[str, Any]:
        exposed, probing = (a, b) if a["ProductName"] == convert_inspector.PRODUCT_NAME else (b, a)
        path = route[len(ROUTE_PREFIX) :]
        return new_finding(
            region=self.hub.region,
            account=self.hub.account,
            product=PRODUCT,
            product_name=PRODUCT_NAME,
            finding_id=f"{GENERATOR}/{route}",
            generator=GENERATOR,
            types=["TTPs/Initial Access/Exposed route being probed"],
            label="CRITICAL",
            title=f"Exposed route {path} is being probed",
            description=(
                f"The assessor found {path} exposed ({exposed['Title']}; {exposed['Id']}) and the "
                f"detector sees it probed ({probing['Title']}; {probing['Id']})."
            ),
            resources=[route_resource(route)],
            now=self.hub.clock.now(),
            RelatedFindings=[
                {"ProductArn": exposed["ProductArn"], "Id": exposed["Id"]},
                {"ProductArn": probing["ProductArn"], "Id": probing["Id"]},
            ],
            ProductFields={
                "wafproxy/route": route,
                "wafproxy/exposedBy": exposed["Id"][:2048],
                "wafproxy/probedBy": probing["Id"][:2048],
            },
            Remediation=remediation(
                f"Take {path} off the public listener or block it in the web ACL, "
                "and block the probing addresses (detector finding)."
            ),
        )
