"""The full stack the control-plane tests drive: a real uvicorn upstream behind ``WafMiddleware``
(data listener) and the admin app with the WAFv2 API mounted (admin listener), both real uvicorn
servers on ephemeral loopback ports, and boto3 as the client."""

from __future__ import annotations

import contextlib
import json
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import boto3
from botocore.config import Config

from tests.support.servers import uvicorn_in_thread
from wafproxy.asgi.admin import Readiness, create_admin_app
from wafproxy.asgi.middleware import WafMiddleware
from wafproxy.control.plane import ControlPlane, mount
from wafproxy.control.reloader import Reloader
from wafproxy.control.resources import Names
from wafproxy.control.sampler import RequestSampler
from wafproxy.observability.dispatch import EventDispatcher
from wafproxy.observability.metrics import WafMetrics
from wafproxy.stores.memory import MemoryRateStore

KEYS = {
    "admin": ("AKIAADMIN0000000001", "admin-secret-key-000000000000000000000001"),
    "reader": ("AKIAREADER000000001", "reader-secret-key-00000000000000000000001"),
    "ops": ("AKIAOPS000000000001", "ops-secret-key-0000000000000000000000001"),
    "nobody": ("AKIANOBODY000000001", "nobody-secret-key-00000000000000000000001"),
}
POLICIES = {
    "admin": {"Statement": [{"Effect": "Allow", "Action": "wafv2:*", "Resource": "*"}]},
    "reader": {"Statement": [{"Effect": "Allow", "Action": ["wafv2:Get*", "wafv2:List*"], "Resource": "*"}]},
    "ops": {
        "Statement": [
            {"Effect": "Allow", "Action": "wafv2:*", "Resource": "*"},
            {"Effect": "Deny", "Action": "wafv2:Delete*", "Resource": "arn:aws:wafv2:*:*:regional/ipset/*"},
        ]
    },
}
VIS = {"SampledRequestsEnabled": True, "CloudWatchMetricsEnabled": True}


def rule(name: str, priority: int, statement: dict[str, Any], action: str = "Block") -> dict[str, Any]:
    return {
        "Name": name,
        "Priority": priority,
        "Statement": statement,
        "Action": {action: {}},
        "VisibilityConfig": {**VIS, "MetricName": f"{name}Metric"},
    }


def web_acl_doc() -> dict[str, Any]:
    return {
        "Name": "test-acl",
        "DefaultAction": {"Allow": {}},
        "VisibilityConfig": {**VIS, "MetricName": "test-acl"},
        "Rules": [
            rule("BlockedIPs", 0, {"IPSetReferenceStatement": {"ARN": "blocked"}}),
            rule(
                "BadWords",
                1,
                {
                    "RegexPatternSetReferenceStatement": {
                        "ARN": "bad-words",
                        "FieldToMatch": {"UriPath": {}},
                        "TextTransformations": [{"Priority": 0, "Type": "LOWERCASE"}],
                    }
                },
            ),
            rule(
                "Admin",
                2,
                {
                    "ByteMatchStatement": {
                        "SearchString": "/admin",
                        "FieldToMatch": {"UriPath": {}},
                        "PositionalConstraint": "STARTS_WITH",
                        "TextTransformations": [{"Priority": 0, "Type": "NONE"}],
                    }
                },
            ),
            rule(
                "RateLimit",
                3,
                {"RateBasedStatement": {"Limit": 10, "AggregateKeyType": "IP", "EvaluationWindowSec": 60}},
            ),
        ],
    }


def write_acl_dir(root: Path) -> Path:
    (root / "ipsets").mkdir(parents=True)
    (root / "regexsets").mkdir()
    (root / "ipsets" / "blocked.json").write_text(
        json.dumps({"Name": "blocked", "IPAddressVersion": "IPV4", "Addresses": ["192.0.2.0/24"]})
    )
    (root / "regexsets" / "bad-words.json").write_text(
        json.dumps({"Name": "bad-words", "RegularExpressionList": [{"RegexString": "forbidden[0-9]+"}]})
    )
    (root / "notes.json").write_text(json.dumps({"cases": [1, 2, 3]}))  # not a WAF document
    acl = root / "web-acl.json"
    acl.write_text(json.dumps(web_acl_doc(), indent=1))
    return acl


def write_credentials(path: Path) -> Path:
    path.write_text(
        "".join(
            f"[{n}]\naws_access_key_id = {k}\naws_secret_access_key = {s}\n\n" for n, (k, s) in KEYS.items()
        )
    )
    return path


async def upstream(scope: dict[str, Any], receive: Any, send: Any) -> None:
    if scope["type"] != "http":
        return
    await send({"type": "http.response.start", "status": 200, "headers": [(b"content-type", b"text/plain")]})
    await send({"type": "http.response.body", "body": b"upstream ok"})


@dataclass
class Stack:
    data_url: str
    admin_url: str
    plane: ControlPlane
    reloader: Reloader
    middleware: WafMiddleware
    metrics: WafMetrics
    acl_path: Path

    def client(self, who: str = "admin") -> Any:
        key, secret = KEYS[who]
        return boto3.client(
            "wafv2",
            endpoint_url=self.admin_url,
            region_name="us-east-1",
            aws_access_key_id=key,
            aws_secret_access_key=secret,
            config=Config(retries={"max_attempts": 1}),
        )


@contextlib.contextmanager
def running_stack(
    tmp: Path,
    *,
    policies: bool = True,
    redis_url: str | None = None,
    state_dir: Path | None = None,
    acl_path: Path | None = None,
    poll_interval: float = 0.2,
) -> Iterator[Stack]:
    if acl_path is None:
        acl_path = write_acl_dir(tmp / "acl")
    creds = write_credentials(tmp / "credentials")
    policy_file = None
    if policies:
        policy_file = tmp / "policies.json"
        policy_file.write_text(json.dumps(POLICIES))
    metrics = WafMetrics()
    sampler = RequestSampler()
    rate_store = MemoryRateStore()
    reloader = Reloader(
        acl_path,
        state_dir=state_dir,
        names=Names(),
        metrics=metrics,
        redis_url=redis_url,
        poll_interval=poll_interval,
    )
    middleware = WafMiddleware(
        upstream,
        acl=reloader.current,
        trusted_proxies=["127.0.0.1/32"],
        event_sink=EventDispatcher([sampler, metrics]),
        rate_store=rate_store,
    )
    reloader.add_swap(middleware.swap_acl)
    plane = ControlPlane.from_files(
        reloader, credentials=creds, policy_file=policy_file, sampler=sampler, rate_store=rate_store
    )
    admin = mount(plane, create_admin_app(Readiness(acl_name=reloader.current.name), metrics.render))
    with uvicorn_in_thread(middleware) as data, uvicorn_in_thread(admin, lifespan="on") as adm:
        yield Stack(data.url, adm.url, plane, reloader, middleware, metrics, acl_path)


def signed_call(admin_url: str, operation: str, body: dict[str, Any], who: str = "admin") -> tuple[int, Any]:
    """A raw SigV4-signed JSON 1.1 call (our extension operations are not in botocore's model)."""
    import httpx
    from botocore.auth import SigV4Auth
    from botocore.awsrequest import AWSRequest
    from botocore.credentials import Credentials

    data = json.dumps(body).encode()
    req = AWSRequest(
        method="POST",
        url=admin_url + "/",
        data=data,
        headers={
            "X-Amz-Target": f"AWSWAF_20190729.{operation}",
            "Content-Type": "application/x-amz-json-1.1",
        },
    )
    SigV4Auth(Credentials(*KEYS[who]), "wafv2", "us-east-1").add_auth(req)
    resp = httpx.post(admin_url + "/", content=data, headers=dict(req.headers.items()))
    return resp.status_code, resp.json()
