"""The detector's policy: YAML → frozen, validated dataclasses (errors name the key).

``load_policy(path)`` merges a user file over the shipped ``default-policy.yaml`` key by key, so a
user policy only says what it changes (``scenarios: {path_probe: {dry_run: true}}``). Every key is
checked against the dataclass it fills: an unknown key or a wrong type is a ``PolicyError`` naming
``scenarios.path_probe.error_threshold`` — never an option silently ignored (STYLE principle 4).
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Any, Literal, get_type_hints

import yaml  # type: ignore[import-untyped]

DEFAULT_POLICY_FILE = Path(__file__).with_name("default-policy.yaml")
Remedy = Literal["block", "rate_limit", "none"]
_REMEDIES = ("block", "rate_limit", "none")


class PolicyError(ValueError):
    """A policy that cannot be used; ``key`` is the dotted path of the offending entry."""

    def __init__(self, key: str, message: str, source: str = "policy") -> None:
        super().__init__(f"{source}: {key}: {message}")
        self.key = key


@dataclass(frozen=True, slots=True)
class ScenarioBase:
    enabled: bool = True
    dry_run: bool = False
    action: str = "block"
    severity: float = 5.0


@dataclass(frozen=True, slots=True)
class PathProbePolicy(ScenarioBase):
    sensitive_threshold: int = 2
    sensitive_window: float = 600.0
    error_threshold: int = 25
    error_window: float = 60.0
    error_statuses: tuple[int, ...] = (403, 404)
    ignore_extensions: tuple[str, ...] = ()
    sensitive_contains: tuple[str, ...] = ()
    sensitive_suffixes: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class ScannerPolicy(ScenarioBase):
    tokens: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class WebAttackPolicy(ScenarioBase):
    capacity: float = 4.0
    leak_per_second: float = 1 / 120
    label_prefixes: tuple[str, ...] = ("wafproxy:managed:", "awswaf:managed:")
    ignore_labels_containing: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class LoginPolicy(ScenarioBase):
    paths: tuple[str, ...] = ("/login",)
    failure_statuses: tuple[int, ...] = (401, 403)
    capacity: float = 20.0
    leak_per_second: float = 0.05


@dataclass(frozen=True, slots=True)
class StuffingPolicy(ScenarioBase):
    username_fields: tuple[str, ...] = ("username",)
    per_actor_usernames: int = 10
    per_actor_window: float = 900.0
    per_username_actors: int = 20
    per_username_window: float = 3600.0
    max_usernames: int = 50000


@dataclass(frozen=True, slots=True)
class IntelPolicy(ScenarioBase):
    lists: tuple[str, ...] = ()
    trusted: tuple[str, ...] = ()
    tor_exits: str | None = None
    tor_action: str = "none"


@dataclass(frozen=True, slots=True)
class FloodPolicy(ScenarioBase):
    capacity: float = 3000.0
    leak_per_second: float = 100.0


@dataclass(frozen=True, slots=True)
class VolumePolicy(ScenarioBase):
    period: float = 60.0
    alpha: float = 0.2
    factor: float = 10.0
    min_requests: int = 3000
    warmup_periods: int = 5
    max_routes: int = 1000


@dataclass(frozen=True, slots=True)
class DistributedPolicy(ScenarioBase):
    window: float = 900.0
    actors_threshold: int = 20
    max_paths: int = 10000


@dataclass(frozen=True, slots=True)
class Scenarios:
    path_probe: PathProbePolicy = field(default_factory=PathProbePolicy)
    scanner_user_agent: ScannerPolicy = field(default_factory=ScannerPolicy)
    web_attack_probe: WebAttackPolicy = field(default_factory=WebAttackPolicy)
    login_brute_force: LoginPolicy = field(default_factory=LoginPolicy)
    credential_stuffing: StuffingPolicy = field(default_factory=StuffingPolicy)
    threat_intel: IntelPolicy = field(default_factory=IntelPolicy)
    http_flood: FloodPolicy = field(default_factory=FloodPolicy)
    traffic_volume: VolumePolicy = field(default_factory=VolumePolicy)
    distributed_scan: DistributedPolicy = field(default_factory=DistributedPolicy)


@dataclass(frozen=True, slots=True)
class ActorPolicy:
    max_actors: int = 200000
    session_cookie: str | None = None
    api_key_header: str | None = None


@dataclass(frozen=True, slots=True)
class RemediationPolicy:
    ip_set_v4: str = "blocked-ips"
    ip_set_v6: str = "blocked-ips-v6"
    write_ip_set: bool = True
    ban_seconds: float = 600.0
    recidive_factor: float = 4.0
    recidive_window: float = 86400.0
    max_ban_seconds: float = 86400.0
    max_bans: int = 100000
    rate_limit_seconds: float = 60.0
    # Never banned, whatever they do (findings are still raised): the proxy's own host. Banning it
    # would cut off health checks, the assessor's probes, operators' tools and a local load
    # balancer that does not send X-Forwarded-For from a --trusted-proxy.
    never_ban: tuple[str, ...] = ("127.0.0.0/8", "::1/128")


@dataclass(frozen=True, slots=True)
class DetectorPolicy:
    actors: ActorPolicy = field(default_factory=ActorPolicy)
    remediation: RemediationPolicy = field(default_factory=RemediationPolicy)
    scenarios: Scenarios = field(default_factory=Scenarios)

    def with_dry_run(self) -> DetectorPolicy:
        """Every scenario in dry run (``--detector-dry-run``): findings, no remediation."""
        changed = {f.name: dataclasses.replace(getattr(self.scenarios, f.name), dry_run=True)
                   for f in fields(Scenarios)}
        return dataclasses.replace(self, scenarios=Scenarios(**changed))


def _coerce(value: Any, hint: Any, key: str, source: str) -> Any:
    text = str(hint)
    if text in ("bool", "<class 'bool'>"):
        if not isinstance(value, bool):
            raise PolicyError(key, f"expected true/false, got {value!r}", source)
        return value
    if text in ("int", "<class 'int'>"):
        if isinstance(value, bool) or not isinstance(value, int) or value < 0:
            raise PolicyError(key, f"expected a non-negative integer, got {value!r}", source)
        return value
    if text in ("float", "<class 'float'>"):
        if isinstance(value, bool) or not isinstance(value, int | float) or value < 0:
            raise PolicyError(key, f"expected a non-negative number, got {value!r}", source)
        return float(value)
    if text.startswith("tuple["):
        if not isinstance(value, list):
            raise PolicyError(key, f"expected a list, got {value!r}", source)
        inner = int if "int" in text else str
        if not all(isinstance(v, inner) and not isinstance(v, bool) for v in value):
            raise PolicyError(key, f"expected a list of {inner.__name__}s", source)
        return tuple(v.lower() if inner is str and key.endswith(("tokens", "contains", "suffixes",
                                                                   "extensions")) else v for v in value)
    if "None" in text:
        if value is not None and not isinstance(value, str):
            raise PolicyError(key, f"expected a string or null, got {value!r}", source)
        return value
    if not isinstance(value, str):
        raise PolicyError(key, f"expected a string, got {value!r}", source)
    return value


def _build(cls: type, raw: Any, key: str, source: str) -> Any:
    if raw is None:
        raw = {}
    if not isinstance(raw, dict):
        raise PolicyError(key or "(top)", "expected a mapping", source)
    hints = get_type_hints(cls)
    known = {f.name for f in fields(cls)}
    values: dict[str, Any] = {}
    for name, value in raw.items():
        path = f"{key}.{name}" if key else str(name)
        if name not in known:
            raise PolicyError(path, "unknown key", source)
        hint = hints[name]
        if isinstance(hint, type) and dataclasses.is_dataclass(hint):
            values[name] = _build(hint, value, path, source)
        else:
            values[name] = _coerce(value, hint, path, source)
        if name in ("action", "tor_action") and values[name] not in _REMEDIES:
            raise PolicyError(path, f"expected one of {', '.join(_REMEDIES)}", source)
        if name == "severity" and not 1.0 <= values[name] <= 8.9:
            raise PolicyError(path, "GuardDuty severities are 1.0-8.9", source)
    return cls(**values)


def _merge(base: dict[str, Any], over: dict[str, Any]) -> dict[str, Any]:
    out = dict(base)
    for k, v in over.items():
        out[k] = _merge(out[k], v) if isinstance(v, dict) and isinstance(out.get(k), dict) else v
    return out


def _read(path: Path) -> dict[str, Any]:
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise PolicyError("(file)", f"cannot read: {exc.strerror}", str(path)) from None
    except yaml.YAMLError as exc:
        raise PolicyError("(file)", f"not valid YAML: {exc}", str(path)) from None
    if data is None:
        return {}
    if not isinstance(data, dict):
        raise PolicyError("(top)", "expected a mapping", str(path))
    return data


def load_policy(path: Path | None = None, overrides: dict[str, Any] | None = None) -> DetectorPolicy:
    """The default policy, with ``path`` (YAML) and then ``overrides`` merged over it."""
    raw = _read(DEFAULT_POLICY_FILE)
    source = str(DEFAULT_POLICY_FILE)
    if path is not None:
        raw = _merge(raw, _read(path))
        source = str(path)
    if overrides:
        raw = _merge(raw, overrides)
    policy: DetectorPolicy = _build(DetectorPolicy, raw, "", source)
    if policy.actors.max_actors < 1:
        raise PolicyError("actors.max_actors", "must be >= 1", source)
    return policy
