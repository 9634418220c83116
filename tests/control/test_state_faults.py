"""The control plane's state files damaged: ``wafproxy serve --state-dir`` refuses to start and
names the file; a running process that sees a damaged file on reload keeps its last good state;
and a process killed while writing (SIGKILL mid ``atomic_write``) never leaves a torn file."""

from __future__ import annotations

import asyncio
import json
import signal
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

from tests.asgi.test_middleware import acl_document
from tests.control.stack import write_credentials
from tests.support.servers import REPO, free_port
from tests.support.wait import DEADLINE, until
from wafproxy.control.reloader import Reloader
from wafproxy.control.store import ResourceStore

IPSET = {"IPSet": {"Name": "blocked", "IPAddressVersion": "IPV4", "Addresses": ["192.0.2.0/24"]}}


def seeded(tmp_path: Path) -> tuple[Path, Path]:
    """An ACL directory with one IP set, and a state dir seeded from it (as a first start does)."""
    src = tmp_path / "acl"
    (src / "ipsets").mkdir(parents=True)
    (src / "acl.json").write_text(json.dumps(acl_document()))
    (src / "ipsets" / "blocked.json").write_text(json.dumps(IPSET))
    state = tmp_path / "state"
    store = ResourceStore.open(src / "acl.json", state_dir=state)
    arn = "arn:aws:wafv2:us-east-1:000000000000:regional/webacl/x/1"
    sink = "arn:aws:logs:us-east-1:000000000000:log-group:aws-waf-logs-x"
    store.set_logging({"ResourceArn": arn, "LogDestinationConfigs": [sink]})
    store.save_temp()
    return src / "acl.json", state


def cut(path: Path) -> None:
    data = path.read_bytes()
    path.write_bytes(data[: len(data) // 2])


DAMAGE: dict[str, tuple[str, Callable[[Path], None]]] = {
    "web-acl-truncated": ("web-acl.json", cut),
    "ipset-bad-json": ("ipsets/blocked.json", lambda p: p.write_text('{"IPSet": {"Name": "blocked",')),
    "ipset-wrong-schema": ("ipsets/blocked.json", lambda p: p.write_text('{"Description": "gone"}')),
    "ipset-emptied": ("ipsets/blocked.json", lambda p: p.write_text("")),
    "logging-truncated": (".wafproxy/logging.json", cut),
    "ttl-not-an-object": (".wafproxy/ip-ttl.json", lambda p: p.write_text("[1, 2]")),
    "ttl-bad-json": (".wafproxy/ip-ttl.json", lambda p: p.write_text("{")),
}


@pytest.mark.parametrize("case", DAMAGE, ids=list(DAMAGE))
def test_start_refuses_a_damaged_state_file_and_names_it(tmp_path: Path, case: str) -> None:
    acl, state = seeded(tmp_path)
    relative, damage = DAMAGE[case]
    damage(state / relative)
    write_credentials(tmp_path / "credentials")
    result = subprocess.run(
        [sys.executable, "-m", "wafproxy", "serve", "--upstream", "http://127.0.0.1:9", "--acl", str(acl),
         "--state-dir", str(state), "--credentials", str(tmp_path / "credentials"),
         "--listen", f"127.0.0.1:{free_port()}", "--admin-listen", f"127.0.0.1:{free_port()}"],
        cwd=REPO, capture_output=True, text=True, timeout=DEADLINE,
    )
    assert result.returncode == 2, result.stderr
    assert str(state / relative) in result.stderr and "Traceback" not in result.stderr


@pytest.mark.parametrize("case", ["ipset-wrong-schema", "ttl-bad-json", "logging-truncated"])
def test_a_running_process_keeps_its_last_good_state_when_a_file_turns_bad(tmp_path: Path, case: str) -> None:
    acl, state = seeded(tmp_path)

    async def run() -> None:
        reloader = Reloader(acl, state_dir=state)
        good = reloader.current
        before = reloader.store.get("ipset", "blocked")
        relative, damage = DAMAGE[case]
        damage(state / relative)
        assert not await reloader.reload_from_disk("file")
        assert reloader.current is good and reloader.store.get("ipset", "blocked") == before
        assert reloader.last_error is not None and relative.split("/")[-1] in reloader.last_error
        (state / relative).unlink()
        if relative.startswith("ipsets/"):
            (state / relative).write_text(json.dumps(IPSET))
        assert await reloader.reload_from_disk("file")  # repaired (or removed): reloads again

    asyncio.run(run())


_WRITER = """
import sys
from pathlib import Path
from wafproxy.control.persist import atomic_write
path = Path(sys.argv[1])
docs = [(b'{"n": %d, "pad": "' % i) + b"x" * 400_000 + b'"}' for i in range(2)]
i = 0
while True:
    atomic_write(path, docs[i % 2])
    i += 1
    if i == 3:
        print("writing", flush=True)
"""


def test_a_writer_killed_mid_write_never_leaves_a_torn_file(tmp_path: Path) -> None:
    """SIGKILL at arbitrary points of a stream of 400 KB atomic writes: the file always holds one
    whole document; what a killed write leaves behind is a hidden temporary file (the loader skips it)."""
    target = tmp_path / "state" / "web-acl.json"
    for _ in range(5):
        proc = subprocess.Popen([sys.executable, "-c", _WRITER, str(target)], cwd=REPO,
                                stdout=subprocess.PIPE, text=True)
        try:
            assert proc.stdout is not None and proc.stdout.readline() == "writing\n"
            until(lambda: any(p.name.endswith(".tmp") for p in target.parent.iterdir()),
                  what="a write in progress")
            proc.send_signal(signal.SIGKILL)
        finally:
            proc.kill()
            proc.wait(DEADLINE)
            assert proc.stdout is not None
            proc.stdout.close()
        assert json.loads(target.read_bytes())["n"] in (0, 1)
    assert all(p.name.startswith(".") for p in target.parent.iterdir() if p != target)
