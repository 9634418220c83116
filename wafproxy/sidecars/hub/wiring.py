"""``build_hub``: the hub, its producers, controls and console, over a running wafproxy's parts.

Called by ``cli.build_admin`` once the WAFv2 control plane exists (the hub shares its credentials,
policies, store root and sampler). Producers: the WAF (``TrafficStats`` + ``WafFindingProducer``
subscribed to the event dispatcher, drained every 5 s), the in-process KMS (its key records and
audit log, every 30 s), the controls (every 60 s). ``service.sink`` is the ``FindingSink`` the
detector and assessor are given.
"""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

from wafproxy.awsapi.credentials import Principal
from wafproxy.ports import KeyProvider
from wafproxy.settings import Settings
from wafproxy.sidecars.hub.console.app import create_console
from wafproxy.sidecars.hub.console.deps import ConsoleDeps
from wafproxy.sidecars.hub.controls import ControlInputs, ControlRunner
from wafproxy.sidecars.hub.correlate import Correlator
from wafproxy.sidecars.hub.kms_findings import KmsFindingProducer
from wafproxy.sidecars.hub.service import HubService, Periodic
from wafproxy.sidecars.hub.sink import HubFindingSink
from wafproxy.sidecars.hub.traffic import TrafficStats
from wafproxy.sidecars.hub.waf_findings import WafFindingProducer

HUB_PRINCIPAL = "wafproxy-hub"
WAF_DRAIN_SECONDS = 5.0
KMS_POLL_SECONDS = 30.0
CONTROLS_SECONDS = 60.0
PURGE_SECONDS = 3600.0


def key_provider(settings: Settings, kms_service: Any) -> KeyProvider | None:
    """Where ``--hub-kms-key`` data keys come from: ``--kms-endpoint`` (boto3) or the in-process KMS."""
    if settings.hub_kms_key is None:
        return None
    from wafproxy.sidecars.kms.envelope import BotoKeyProvider, LocalKeyProvider

    if settings.kms_endpoint is not None:
        import boto3  # type: ignore[import-untyped]
        from botocore.config import Config  # type: ignore[import-untyped]

        client = boto3.session.Session().client(
            "kms",
            endpoint_url=settings.kms_endpoint,
            region_name=settings.region,
            config=Config(connect_timeout=2, read_timeout=5, retries={"max_attempts": 2}),
        )
        return BotoKeyProvider(client)
    if kms_service is None:
        raise RuntimeError("--hub-kms-key needs --kms-listen or --kms-endpoint")
    return LocalKeyProvider(kms_service, Principal(HUB_PRINCIPAL, "(in-process)", settings.account_id))


def _inputs(settings: Settings, plane: Any, kms_service: Any, service: HubService, db: Path) -> ControlInputs:
    acl = plane.store.web_acl
    return ControlInputs(
        web_acl=acl.document,
        web_acl_arn=acl.arn,
        waf_log=settings.waf_log,
        waf_log_kms_key=settings.waf_log_kms_key,
        logging_config=plane.store.logging_config,
        admin_authenticated=settings.credentials is not None,
        admin_host=settings.admin_listen.host,
        data_tls=settings.tls_cert is not None,
        data_host=settings.listen.host,
        upstreams=tuple(u.url for u in settings.upstreams),
        upstream_verify=not settings.upstream_insecure_skip_verify,
        kms_keys=tuple(kms_service.core.records.values()) if kms_service is not None else None,
        hub_encrypted=service.hub.store.cipher is not None,
        hub_db=str(db),
    )


def build_hub(
    settings: Settings, plane: Any, *, dispatcher: Any = None, kms_service: Any = None
) -> HubService:
    from wafproxy.control.store import META_DIR

    db = settings.hub_db or plane.store.root / META_DIR / "hub.sqlite3"
    service = HubService.open(
        db_path=db,
        credentials=plane.credentials,
        account=settings.account_id,
        region=settings.region,
        policies=plane.policies,
        retention_days=settings.hub_retention_days,
        key_provider=key_provider(settings, kms_service),
        kms_key_id=settings.hub_kms_key,
    )
    hub = service.hub
    hub.on_import.append(Correlator(hub))
    service.sink = HubFindingSink(hub)
    traffic = None
    if dispatcher is not None and hasattr(dispatcher, "subscribe"):
        traffic = TrafficStats()
        waf = WafFindingProducer(account=settings.account_id, region=settings.region)
        dispatcher.subscribe(traffic)
        dispatcher.subscribe(waf)

        async def drain_waf() -> None:
            findings = waf.drain(hub.clock.now())
            if findings:
                await asyncio.to_thread(hub.import_findings, findings)

        service.periodic.append(Periodic("waf", WAF_DRAIN_SECONDS, drain_waf))
    if kms_service is not None:
        kms = KmsFindingProducer(
            account=settings.account_id,
            region=settings.region,
            audit_path=Path(kms_service.audit.path),
            records=lambda: list(kms_service.core.records.values()),
        )

        async def poll_kms() -> None:
            findings = await asyncio.to_thread(kms.poll, hub.clock.now())
            if findings:
                await asyncio.to_thread(hub.import_findings, findings)

        service.periodic.append(Periodic("kms", KMS_POLL_SECONDS, poll_kms))
    runner = ControlRunner(hub, lambda: _inputs(settings, plane, kms_service, service, Path(db)))

    async def run_controls() -> None:
        await asyncio.to_thread(runner.run)

    async def purge() -> None:
        await asyncio.to_thread(hub.store.purge, hub.clock.now())

    service.periodic.append(Periodic("controls", CONTROLS_SECONDS, run_controls))
    service.periodic.append(Periodic("purge", PURGE_SECONDS, purge))
    service.console = create_console(  # type: ignore[assignment]  # a Starlette app is an ASGI app
        ConsoleDeps(
            hub,
            plane.credentials,
            plane.policies,
            traffic=traffic,
            controls=runner,
            automation=service.api.automation,
            plane=plane,
            secure_cookies=False,
            audit=service.api.audit,
        )
    )
    return service
