"""The Helm chart (deploy/helm/wafproxy) linted, rendered and validated against the Kubernetes
schemas, and the plain manifests (deploy/kubernetes) kept in step with it.

Rendering uses Helm's own Go SDK (``helm-python-sdk``), validation ``kubernetes-validate``'s
bundled OpenAPI schemas (strict: unknown fields are errors) for the oldest and newest Kubernetes
the chart claims. Both come from PyPI with the test extra; nothing here needs a cluster.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
import yaml

helm_python = pytest.importorskip("helm_python")
kubernetes_validate = pytest.importorskip("kubernetes_validate")

from deploy.kubernetes import render as manifests  # noqa: E402

REPO = Path(__file__).resolve().parents[2]
CHART = REPO / "deploy" / "helm" / "wafproxy"
KUBE_VERSIONS = ("1.25.0", "1.37.0")  # Chart.yaml's kubeVersion floor, and the newest schemas
EVERYTHING_ON: dict[str, Any] = {
    "webAcl": '{"Name": "mine"}',
    "ruleFiles": {"blocked.json": '{"Name": "blocked", "IPAddressVersion": "IPV4", "Addresses": []}'},
    "credentials": {"existingSecret": "wafproxy-credentials"},
    "kms": {"enabled": True, "rootKeySecret": "wafproxy-kms-root"},
    "serviceMonitor": {"enabled": True},
    "trustedProxies": ["10.0.0.0/8", "192.168.0.0/16"],
}
VARIANTS: dict[str, dict[str, Any]] = {
    "defaults": {},
    "everything-on": EVERYTHING_ON,
    "external-redis-fixed-replicas": {"redis": {"external": {"urlSecret": "redis-url"}},
                                      "autoscaling": {"enabled": False}, "replicaCount": 3,
                                      "podDisruptionBudget": {"enabled": False},
                                      "networkPolicy": {"enabled": False}},
}


def objects(values: dict[str, Any]) -> list[dict[str, Any]]:
    docs = []
    for name, text in sorted(manifests.render(values).items()):
        if name.endswith(".yaml"):
            docs.extend(d for d in yaml.safe_load_all(text) if d)
    return docs


def by_kind(docs: list[dict[str, Any]], kind: str) -> list[dict[str, Any]]:
    return [d for d in docs if d["kind"] == kind]


def proxy_container(docs: list[dict[str, Any]]) -> dict[str, Any]:
    (deployment,) = [d for d in by_kind(docs, "Deployment") if not d["metadata"]["name"].endswith("-redis")]
    (container,) = deployment["spec"]["template"]["spec"]["containers"]
    return container


def test_chart_lints_clean_in_strict_mode() -> None:
    for values in VARIANTS.values():
        report = helm_python.lint(str(CHART), values, strict=True, kube_version="v1.30.0")
        assert report["errors"] == []
        assert [m for m in report["messages"] if m["severity"] >= 2] == []


@pytest.mark.parametrize("variant", sorted(VARIANTS))
@pytest.mark.parametrize("kube", KUBE_VERSIONS)
def test_every_rendered_object_is_valid_kubernetes(variant: str, kube: str) -> None:
    docs = objects(VARIANTS[variant])
    assert docs
    for doc in docs:
        if doc["apiVersion"] == "monitoring.coreos.com/v1":  # a CRD: not in the core schemas
            endpoint = doc["spec"]["endpoints"][0]
            assert endpoint["port"] == "admin" and endpoint["path"] == "/metrics"
            continue
        kubernetes_validate.validate(doc, kube, strict=True)


def test_a_schema_violation_is_caught() -> None:
    """The validator really validates (so the test above can fail)."""
    deployment = by_kind(objects({}), "Deployment")[0]
    deployment["spec"]["template"]["spec"]["containers"][0]["livenessProbe"]["httpGet"]["port"] = {"x": 1}
    with pytest.raises(kubernetes_validate.ValidationError):
        kubernetes_validate.validate(deployment, KUBE_VERSIONS[0], strict=True)


def test_what_a_production_deployment_needs_is_rendered() -> None:
    docs = objects(EVERYTHING_ON)
    kinds = {d["kind"] for d in docs}
    assert {"Deployment", "Service", "ConfigMap", "PodDisruptionBudget", "HorizontalPodAutoscaler",
            "NetworkPolicy", "ServiceMonitor"} <= kinds
    container = proxy_container(docs)
    assert container["livenessProbe"]["httpGet"] == {"path": "/healthz", "port": "admin"}
    assert container["readinessProbe"]["httpGet"] == {"path": "/readyz", "port": "admin"}
    assert container["resources"]["limits"]["memory"]
    assert container["securityContext"]["readOnlyRootFilesystem"] is True
    assert container["securityContext"]["allowPrivilegeEscalation"] is False
    pod = by_kind(docs, "Deployment")[0]["spec"]["template"]["spec"]
    assert pod["securityContext"]["runAsNonRoot"] is True


def test_secrets_come_from_kubernetes_secrets_never_from_values() -> None:
    docs = objects(EVERYTHING_ON)
    assert by_kind(docs, "Secret") == []  # the chart never creates one from values
    volumes = {v["name"]: v for v in by_kind(docs, "Deployment")[0]["spec"]["template"]["spec"]["volumes"]}
    assert volumes["credentials"]["secret"]["secretName"] == "wafproxy-credentials"
    assert volumes["kms-root-key"]["secret"]["secretName"] == "wafproxy-kms-root"
    values = yaml.safe_load((CHART / "values.yaml").read_text())
    flat = json.dumps(values).lower()
    for word in ("secretaccesskey", "aws_secret", "password"):
        assert word not in flat


def test_the_admin_listener_is_not_exposed() -> None:
    docs = objects(EVERYTHING_ON)
    public = [s for s in by_kind(docs, "Service") if not s["metadata"]["name"].endswith(("-admin", "-redis"))]
    assert [p["targetPort"] for s in public for p in s["spec"]["ports"]] == ["http"]
    (policy,) = by_kind(docs, "NetworkPolicy")
    admin_rules = [r for r in policy["spec"]["ingress"] if any(p["port"] == 9090 for p in r["ports"])]
    assert admin_rules and all(r.get("from") for r in admin_rules)


def test_an_acl_change_rolls_the_pods() -> None:
    """The checksum annotation changes with the ACL, so the Deployment rolls (not a hot reload)."""

    def checksum(values: dict[str, Any]) -> str:
        deployment = by_kind(objects(values), "Deployment")[0]
        return deployment["spec"]["template"]["metadata"]["annotations"]["checksum/acl"]

    assert checksum({"webAcl": '{"Name": "a"}'}) != checksum({"webAcl": '{"Name": "b"}'})
    assert checksum({"webAcl": '{"Name": "a"}'}) == checksum({"webAcl": '{"Name": "a"}'})


def test_missing_upstream_is_a_clear_render_error() -> None:
    with pytest.raises(helm_python.HelmError, match="upstream is required"):
        manifests.render({"upstream": ""})


def test_plain_manifests_are_the_chart_rendered() -> None:
    assert manifests.OUTPUT.read_text() == manifests.manifest_text(), (
        "deploy/kubernetes/wafproxy.yaml is stale: run python deploy/kubernetes/render.py")


def test_the_shipped_example_acl_compiles(tmp_path: Path) -> None:
    from wafproxy.aclfiles import load_web_acl

    values = yaml.safe_load(manifests.VALUES.read_text())
    acl = tmp_path / "web-acl.yaml"
    acl.write_text(values["webAcl"])
    assert load_web_acl(acl).name == "my-acl"
