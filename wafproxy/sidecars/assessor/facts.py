"""Where ``ConfigFacts`` come from: the running proxy's settings and control-plane store
(periodic runs), a ``--config`` settings file with its ACL file, or a running wafproxy's WAFv2
API (``inspect --admin``), plus the KMS keys the settings reference (DescribeKey,
GetKeyRotationStatus through boto3, the same client users have).

Every failure becomes ``ConfigFacts.error`` or ``KmsKeyFacts.error``: reported, never a crash.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from wafproxy.sidecars.assessor.context import ConfigFacts, KmsKeyFacts


def boto_client(service: str, endpoint: str, region: str, credentials_file: Path | None = None) -> Any:
    """A boto3 client for one of our endpoints: keys from ``credentials_file``'s first profile
    (the server's own ``--credentials``), else the usual AWS environment/profile chain."""
    import boto3  # type: ignore[import-untyped]
    import botocore.config  # type: ignore[import-untyped]

    session = boto3.session.Session()
    kwargs: dict[str, Any] = {}
    if credentials_file is not None:
        from wafproxy.awsapi.credentials import CredentialStore

        principal = CredentialStore.load(credentials_file).principals[0]
        kwargs = {
            "aws_access_key_id": principal.access_key_id,
            "aws_secret_access_key": principal.secret_access_key,
        }
    config = botocore.config.Config(retries={"max_attempts": 1}, connect_timeout=3, read_timeout=10)
    return session.client(service, endpoint_url=endpoint, region_name=region, config=config, **kwargs)


def kms_facts(
    key_id: str, endpoint: str | None, region: str, credentials_file: Path | None, referenced_by: str
) -> KmsKeyFacts:
    if endpoint is None:
        return KmsKeyFacts(key_id, referenced_by, error="no KMS endpoint known (--kms-endpoint/--kms-listen)")
    try:
        kms = boto_client("kms", endpoint, region, credentials_file)
        meta = kms.describe_key(KeyId=key_id)["KeyMetadata"]
        rotation = kms.get_key_rotation_status(KeyId=meta["KeyId"]).get("KeyRotationEnabled")
        return KmsKeyFacts(meta["KeyId"], referenced_by, meta.get("KeyState"), bool(rotation))
    except Exception as exc:  # botocore's errors, connection refused, …: reported on the key
        return KmsKeyFacts(key_id, referenced_by, error=f"{type(exc).__name__}: {exc}"[:300])


def from_settings(
    settings: Any, web_acl: Mapping[str, Any] | None, logging: Mapping[str, Any] | None, source: str
) -> ConfigFacts:
    """``settings`` is ``wafproxy.settings.Settings``."""
    keys: tuple[KmsKeyFacts, ...] = ()
    if settings.waf_log_kms_key:
        endpoint = settings.kms_endpoint or (f"http://{settings.kms_listen}" if settings.kms_listen else None)
        keys = (
            kms_facts(
                settings.waf_log_kms_key,
                endpoint,
                settings.region,
                settings.credentials if not settings.kms_endpoint else None,
                "--waf-log-kms-key",
            ),
        )
    return ConfigFacts(
        source=source,
        web_acl=web_acl,
        logging=logging,
        waf_log=settings.waf_log,
        waf_log_kms_key=settings.waf_log_kms_key,
        upstream_insecure_skip_verify=settings.upstream_insecure_skip_verify,
        admin_host=settings.admin_listen.host,
        api_credentials=settings.credentials is not None,
        tls_cert=settings.tls_cert,
        kms_keys=keys,
    )


def from_config_file(path: Path) -> tuple[ConfigFacts, Any]:
    """``--config FILE``: wafproxy's settings YAML and the ACL it names. Returns (facts, settings)."""
    from wafproxy.settings import SettingsError, resolve

    try:
        import argparse

        settings = resolve(argparse.Namespace(config=str(path)), environ={})
        web_acl = (
            json.loads(Path(settings.acl).read_text(encoding="utf-8"))
            if str(settings.acl).endswith(".json")
            else _yaml(Path(settings.acl))
        )
    except (SettingsError, OSError, ValueError) as exc:
        return ConfigFacts(source=str(path), error=f"{path}: {exc}"), None
    return from_settings(settings, web_acl, None, str(path)), settings


def _yaml(path: Path) -> Any:
    import yaml  # type: ignore[import-untyped]

    return yaml.safe_load(path.read_text(encoding="utf-8"))


def from_admin(admin: str, region: str, base: ConfigFacts | None = None) -> ConfigFacts:
    """The serving web ACL and logging configuration through the WAFv2 API of a running wafproxy
    (boto3's wafv2 client, the usual AWS credentials); settings facts from ``base`` if given."""
    try:
        waf = boto_client("wafv2", admin, region)
        summary = waf.list_web_acls(Scope="REGIONAL")["WebACLs"][0]
        acl = waf.get_web_acl(Name=summary["Name"], Id=summary["Id"], Scope="REGIONAL")["WebACL"]
        try:
            logging = waf.get_logging_configuration(ResourceArn=acl["ARN"])["LoggingConfiguration"]
        except waf.exceptions.WAFNonexistentItemException:
            logging = None
    except Exception as exc:
        return ConfigFacts(source=admin, error=f"{admin}: {type(exc).__name__}: {exc}"[:300])
    if base is not None and base.error is None:
        from dataclasses import replace

        return replace(base, source=admin, web_acl=acl, logging=logging or base.logging)
    return ConfigFacts(source=admin, web_acl=acl, logging=logging, admin_host=None, settings_known=False)
