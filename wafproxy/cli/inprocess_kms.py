"""``--kms-listen``: the KMS sidecar in this process, on a listener of its own.

The WAF log, the hub and the detector's findings file take their data keys from it (the demo
brings its own); it authenticates every call with the same credentials file as the admin API.
"""

from __future__ import annotations

import socket
from pathlib import Path
from typing import Any

import uvicorn

from wafproxy.cli.listeners import QuietServer, listen_socket
from wafproxy.cli.logs import log_config
from wafproxy.settings import Settings, SettingsError

# The principals this process itself calls the in-process KMS as (hub, detector findings, WAF log
# data keys): they hold no access key, so no API caller can be them. With a --policy-file they
# get data-key operations only, unless the file names them (then its policy is theirs).
IN_PROCESS_PRINCIPALS = ("wafproxy-hub", "wafproxy-detector", "wafproxy-waf-log")
_DATA_KEYS_ONLY = {"Statement": [{"Effect": "Allow", "Resource": "*", "Action": [
    "kms:GenerateDataKey", "kms:Decrypt", "kms:DescribeKey"]}]}


def kms_identity_policies(policy_file: Path | None) -> dict[str, Any] | None:
    """``--policy-file`` for the in-process KMS, as for every other API of this process (without
    it, allow-all: issue 6); plus the data-key policy of the in-process principals."""
    if policy_file is None:
        return None
    from wafproxy.awsapi.policy import load_principal_policies, parse_policy

    policies: dict[str, Any] = load_principal_policies(policy_file.read_text(encoding="utf-8"),
                                                       source=str(policy_file))
    for name in IN_PROCESS_PRINCIPALS:
        policies.setdefault(name, parse_policy(_DATA_KEYS_ONLY))
    return policies


def open_kms_service(settings: Settings) -> Any:
    """``--kms-listen``: the in-process ``KmsService`` (``None`` without the flag)."""
    if settings.kms_listen is None:
        return None
    from wafproxy.awsapi.credentials import CredentialStore
    from wafproxy.sidecars.kms.core import KmsConfig
    from wafproxy.sidecars.kms.rootkey import load_root_key
    from wafproxy.sidecars.kms.service import KmsService

    if settings.credentials is None:
        raise SettingsError("--kms-listen", "needs --credentials (the KMS API authenticates every call)")
    if settings.kms_data_dir is None:
        raise SettingsError("--kms-listen", "needs --kms-data-dir (the key store)")
    return KmsService.open(
        data_dir=settings.kms_data_dir, root_key=load_root_key(settings.kms_root_key_file),
        credentials=CredentialStore.load(settings.credentials, account=settings.account_id),
        config=KmsConfig(settings.region, settings.account_id),
        identity_policies=kms_identity_policies(settings.policy_file),
    )


def kms_servers(settings: Settings, service: Any = None) -> list[tuple[uvicorn.Server, socket.socket]]:
    """``--kms-listen``: the KMS API in this process, on its own listener (own credentials check)."""
    if settings.kms_listen is None:
        return []
    if service is None:
        service = open_kms_service(settings)
    app = service.app
    sock = listen_socket(settings.kms_listen, "--kms-listen")
    config = uvicorn.Config(app, loop="uvloop", http="httptools", access_log=False, lifespan="off",
                            log_config=log_config(settings.log_level), log_level=settings.log_level)
    return [(QuietServer(config), sock)]
