"""A ``--workers`` follower that starts while the admin process writes must not miss that write.

The follower reads the files, compiles (a second or more under load), then remembers the files'
signature. Taken after the compile, a write landing in between was remembered as seen and the
worker served the old IP set until restarted: ``test_workers_follow_api_changes`` failed that way
on a loaded machine (hidden by ``--reruns`` until they were removed). Deterministic here: the
compiler itself makes the write, exactly inside that window.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from tests.control.stack import write_acl_dir
from wafproxy.control.compiling import Compiler
from wafproxy.control.reloader import Reloader


class AdminWritesDuringFirstCompile(Compiler):
    """A compiler that, on its first call, rewrites an IP-set file (what the admin's API does)."""

    def __init__(self, path: Path, addresses: list[str]) -> None:
        super().__init__()
        self.pending: tuple[Path, list[str]] | None = (path, addresses)

    def compile(self, *args: Any, **kwargs: Any) -> Any:
        if self.pending is not None:
            path, addresses = self.pending
            self.pending = None
            doc = {"Name": "blocked", "IPAddressVersion": "IPV4", "Addresses": addresses}
            path.write_text(json.dumps(doc))
        return super().compile(*args, **kwargs)


@pytest.mark.parametrize("state_dir", [False, True])
async def test_a_write_during_a_followers_start_is_reloaded(tmp_path: Path, state_dir: bool) -> None:
    acl = write_acl_dir(tmp_path / "acl")
    state = tmp_path / "state" if state_dir else None
    owner = Reloader(acl, state_dir=state)  # seeds --state-dir, as the admin process does first
    ipset = owner.store.path_for("ipset", "blocked")
    addresses = ["192.0.2.0/24", "203.0.113.9/32"]
    follower = Reloader(acl, state_dir=state, persist=False,
                        compiler=AdminWritesDuringFirstCompile(ipset, addresses))
    assert follower.current.ip_set_sizes()["blocked"] == 1  # it read the files before the write
    assert await follower.reload_from_disk("file")  # the watch sees the write as a change
    assert follower.current.ip_set_sizes()["blocked"] == 2
    assert not await follower.reload_from_disk("file")  # and, once seen, no longer
