"""A real ``wafproxy demo`` process and what its banner says (URLs, the generated credentials)."""

from __future__ import annotations

import contextlib
import os
import re
from collections.abc import Iterator
from dataclasses import dataclass

from tests.support.servers import free_port, wafproxy_process


@dataclass(frozen=True)
class Demo:
    waf: str  # the proxy's listener
    upstream: str  # the demo app itself (unprotected)
    admin: str  # the admin listener (WAFv2 + Inspector2 APIs)
    credentials: str  # AWS shared-credentials file with the [demo] profile
    kms: str = ""  # the KMS sidecar's listener (AWS JSON API)

    @property
    def env(self) -> dict[str, str]:
        """The environment for ``wafproxy inspect --admin`` / the aws CLI against this demo."""
        return {
            **os.environ,
            "AWS_SHARED_CREDENTIALS_FILE": self.credentials,
            "AWS_PROFILE": "demo",
            "AWS_DEFAULT_REGION": "us-east-1",
        }

    def keys(self) -> dict[str, str]:
        text = open(self.credentials, encoding="utf-8").read()
        key = re.search(r"aws_access_key_id = (\S+)", text)
        secret = re.search(r"aws_secret_access_key = (\S+)", text)
        assert key and secret
        return {"aws_access_key_id": key.group(1), "aws_secret_access_key": secret.group(1)}


@contextlib.contextmanager
def running_demo(*extra: str) -> Iterator[Demo]:
    port, admin = free_port(), free_port()
    args = (
        "demo",
        "--listen",
        f"127.0.0.1:{port}",
        "--admin-listen",
        f"127.0.0.1:{admin}",
        "--log-level",
        "warning",
        *extra,
    )
    with wafproxy_process(*args, wait_ports=(port, admin)) as proc:
        assert proc.stdout is not None
        banner = ""
        while "KMS (AWS API)" not in banner:
            line = proc.stdout.readline().decode()
            assert line, "demo exited before printing its banner"
            banner += line
        creds = re.search(r"credentials \(demo\):\s+(\S+)", banner)
        upstream = re.search(r"unprotected:\s+(http://\S+)/", banner)
        kms = re.search(r"--endpoint-url (http://\S+) kms ", banner)
        assert creds and upstream and kms
        admin_url = f"http://127.0.0.1:{admin}"
        yield Demo(f"http://127.0.0.1:{port}", upstream.group(1), admin_url, creds.group(1), kms.group(1))
