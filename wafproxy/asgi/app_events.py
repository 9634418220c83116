"""Where the per-request events go: metrics and the WAF log (encrypted under KMS when asked)
behind one non-blocking ``EventDispatcher``, and the rate-limit / shield series beside them.

Built from settings once per process (each ``--workers`` worker builds its own, in its own
registry); the detector and the hub subscribe to the same dispatcher later.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from wafproxy.ports import EventSink
from wafproxy.settings import Settings, SettingsError

if TYPE_CHECKING:  # imported lazily: prometheus_client must see PROMETHEUS_MULTIPROC_DIR first
    from wafproxy.observability.limits_metrics import LimitsMetrics
    from wafproxy.observability.metrics import WafMetrics
    from wafproxy.observability.waflog_writer import WafLogWriter


def waf_log_framing(settings: Settings, kms_service: Any = None) -> Any:
    """``--waf-log-kms-key``: how the WAF log's files get their data keys (``None``: plaintext).

    ``--kms-endpoint`` → boto3 (credentials from the standard AWS env/profile; short timeouts, as
    a hung KMS would only delay the writer thread's next file); else the in-process KMS of
    ``--kms-listen`` (``kms_service``), called as the principal ``wafproxy-waf-log`` of the account."""
    if settings.waf_log_kms_key is None:
        return None
    from wafproxy.sidecars.kms.envelope import BotoKeyProvider, LocalKeyProvider
    from wafproxy.sidecars.kms.logcrypt import KmsFraming

    provider: Any
    if settings.kms_endpoint is not None:
        import boto3  # type: ignore[import-untyped]
        from botocore.config import Config  # type: ignore[import-untyped]

        session = boto3.session.Session()
        if session.get_credentials() is None:
            raise SettingsError("--kms-endpoint", "no AWS credentials (AWS_ACCESS_KEY_ID/… or AWS_PROFILE)")
        client = session.client("kms", endpoint_url=settings.kms_endpoint, region_name=settings.region,
                                config=Config(connect_timeout=2, read_timeout=5, retries={"max_attempts": 2}))
        provider = BotoKeyProvider(client)
    elif kms_service is not None:
        from wafproxy.awsapi.credentials import Principal

        provider = LocalKeyProvider(kms_service, Principal("wafproxy-waf-log", "(in-process)",
                                                           settings.account_id))
    else:
        raise SettingsError("--waf-log-kms-key", "needs --kms-listen (in-process KMS) or --kms-endpoint")
    return KmsFraming(provider, settings.waf_log_kms_key, {"wafproxy:purpose": "waf-log"})


def build_event_sink(
    settings: Settings, *, with_metrics: bool = True, kms_service: Any = None
) -> tuple[EventSink | None, WafMetrics | None, list[WafLogWriter]]:
    """Metrics and the WAF log behind one non-blocking dispatcher: (sink, metrics, closeables)."""
    from wafproxy import __version__
    from wafproxy.observability.dispatch import EventDispatcher

    sinks: list[EventSink] = []
    closeables: list[WafLogWriter] = []
    metrics = None
    if with_metrics:
        from wafproxy.observability.metrics import WafMetrics

        metrics = WafMetrics()
        metrics.build_info(__version__)
        sinks.append(metrics)
    if settings.waf_log:
        from wafproxy.observability.waflog_writer import WafLogWriter

        writer = WafLogWriter(settings.waf_log, on_drop=metrics.waf_log_dropped if metrics else None,
                              framing=waf_log_framing(settings, kms_service))
        sinks.append(writer)
        closeables.append(writer)
    if not sinks:
        return None, metrics, closeables
    dispatcher = EventDispatcher(sinks, on_error=metrics.sink_error if metrics else None)
    return dispatcher, metrics, closeables


def limits_for(metrics: WafMetrics | None) -> LimitsMetrics | None:
    """The rate-limit / shield series, in ``metrics``' registry (one per process, like it)."""
    if metrics is None:
        return None
    from wafproxy.observability.limits_metrics import LimitsMetrics

    return LimitsMetrics(metrics.registry)
