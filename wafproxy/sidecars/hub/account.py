"""The hub's account-level settings: whether Security Hub is enabled, since when, how control
findings are generated, whether the standard is enabled, the hub's tags.

One JSON document in the store's ``meta`` table (an SQLite WAL transaction), read once at start
and written on each change, so a restart answers what the last call set. The flags it sets on the
``Hub`` are what the rest of the hub obeys: a disabled hub takes no findings from its producers
(``Hub.import_findings``), a disabled standard files no control findings (``ControlRunner``).
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field

from wafproxy.sidecars.hub import asff
from wafproxy.sidecars.hub.controls import PRODUCT
from wafproxy.sidecars.hub.core import Hub, public
from wafproxy.sidecars.hub.filters import compile_filters

META_KEY = "account"
GENERATORS = ("SECURITY_CONTROL", "STANDARD_CONTROL")
MAX_CONTROLS = 1000  # far above the controls there are; bounds one archive pass


@dataclass
class AccountSettings:
    enabled: bool = True
    subscribed_at: str = ""
    auto_enable_controls: bool = True
    control_finding_generator: str = "SECURITY_CONTROL"
    standard_enabled: bool = True
    tags: dict[str, str] = field(default_factory=dict)
    disabled_controls: dict[str, str] = field(default_factory=dict)  # control id → why
    control_changed_at: dict[str, str] = field(default_factory=dict)
    disabled_products: list[str] = field(default_factory=list)  # DisableImportFindingsForProduct


class HubAccount:
    """The settings of ``hub``'s account, kept in its store."""

    def __init__(self, hub: Hub) -> None:
        self.hub = hub
        raw = hub.store.meta(META_KEY)
        if raw is None:
            self.settings = AccountSettings(subscribed_at=hub.subscribed_at)
            self.save()
        else:
            self.settings = AccountSettings(**json.loads(raw))
        self._apply()

    def _apply(self) -> None:
        s = self.settings
        self.hub.enabled = s.enabled
        self.hub.standard_enabled = s.enabled and s.standard_enabled
        self.hub.subscribed_at = s.subscribed_at
        self.hub.disabled_controls = frozenset(s.disabled_controls)
        self.hub.disabled_products = frozenset(s.disabled_products)

    def save(self) -> None:
        self.hub.store.set_meta(META_KEY, json.dumps(asdict(self.settings)))

    def changed(self) -> None:
        self.save()
        self._apply()

    def enable(self, *, default_standards: bool, generator: str, tags: dict[str, str]) -> None:
        self.settings = AccountSettings(
            subscribed_at=asff.iso(self.hub.clock.now()),
            control_finding_generator=generator,
            standard_enabled=default_standards,
            tags=tags,
        )
        self.changed()

    def disable(self) -> None:
        """Security Hub disabled: standards go too; tags and custom insights stay (AWS keeps an
        account's configuration for 90 days, and re-enabling within them finds it)."""
        self.settings.enabled = False
        self.settings.standard_enabled = False
        self.changed()

    def disable_standard(self) -> int:
        """BatchDisableStandards: the standard's controls stop, and their findings are archived (as
        Security Hub archives a disabled standard's control findings); how many were archived. The
        next evaluation after BatchEnableStandards files them ACTIVE again."""
        self.settings.standard_enabled = False
        self.changed()
        return self.archive_controls(None)

    def set_control(self, control_id: str, enabled: bool, reason: str | None) -> None:
        """UpdateStandardsControl and friends: a disabled control files no findings and its finding
        is archived; enabled again, the next evaluation files it ACTIVE."""
        s = self.settings
        was_enabled = control_id not in s.disabled_controls
        if enabled:
            s.disabled_controls.pop(control_id, None)
        else:
            s.disabled_controls[control_id] = reason or ""
        if was_enabled != enabled:
            s.control_changed_at[control_id] = asff.iso(self.hub.clock.now())
        self.changed()
        if was_enabled and not enabled:
            self.archive_controls(control_id)

    def archive_controls(self, control_id: str | None) -> int:
        """Archive the ACTIVE findings of one control (or of all of them); how many."""
        hub = self.hub
        now = asff.iso(hub.clock.now())
        generator = f"security-control/{control_id}" if control_id else "security-control/"
        controls = {"ProductArn": [{"Value": hub.product_arn(PRODUCT), "Comparison": "EQUALS"}],
                    "GeneratorId": [{"Value": generator, "Comparison": "EQUALS" if control_id else "PREFIX"}],
                    "RecordState": [{"Value": "ACTIVE", "Comparison": "EQUALS"}]}
        found = hub.store.query(compile_filters(controls, hub.clock.now()), limit=MAX_CONTROLS)
        archived = [{**public(f), "RecordState": "ARCHIVED", "UpdatedAt": max(now, f["UpdatedAt"])}
                    for f in found]
        if archived:
            hub.import_findings(archived)
        return len(archived)
