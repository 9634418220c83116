"""A small network of test hosts on one machine: Linux network namespaces, each with its own
address on one bridge, so several wafproxy "hosts", a Redis host, an upstream host and a client
host talk over real (virtual) Ethernet, as separate machines would.

The bridge lives in a namespace of its own and every host is a namespace joined to it by a veth
pair: nothing is added to the machine's own network namespace, and ``close()`` deletes every
namespace (their interfaces go with them). Addresses are in 10.213.7.0/24, used only inside these
namespaces. Creating namespaces needs root (CAP_SYS_ADMIN); ``Lab.available()`` says why not.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

SUBNET = "10.213.7"
CLIENT_SCRIPT = Path(__file__).with_name("lab_client.py")


def _ip(*args: str) -> None:
    subprocess.run(["ip", *args], check=True, capture_output=True, text=True)


@dataclass
class Host:
    """One namespace with one address; ``spawn`` runs a process inside it."""

    name: str
    namespace: str
    address: str
    logs: Path
    procs: list[subprocess.Popen[bytes]] = field(default_factory=list)

    def spawn(self, argv: list[str], *, log_name: str,
              env: dict[str, str] | None = None) -> subprocess.Popen[bytes]:
        log = (self.logs / f"{self.name}-{log_name}.log").open("ab")
        proc = subprocess.Popen(["ip", "netns", "exec", self.namespace, *argv], stdout=log,
                                stderr=subprocess.STDOUT, env={**os.environ, **(env or {})})
        log.close()
        self.procs.append(proc)
        return proc

    def reachable(self, port: int, timeout: float = 30.0,
                  proc: subprocess.Popen[bytes] | None = None) -> None:
        """Wait until ``address:port`` accepts TCP connections from inside this host."""
        probe = ("import socket,sys\ntry:\n"
                 " socket.create_connection((sys.argv[1], int(sys.argv[2])), 1).close()\n"
                 "except OSError: sys.exit(1)")
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if proc is not None and proc.poll() is not None:
                raise RuntimeError(f"{self.name}: process exited with {proc.returncode} before listening")
            done = subprocess.run(["ip", "netns", "exec", self.namespace, sys.executable, "-c", probe,
                                   self.address, str(port)], capture_output=True)
            if done.returncode == 0:
                return
            time.sleep(0.1)
        raise TimeoutError(f"{self.name}: nothing listens on {self.address}:{port}")

    def stop(self, proc: subprocess.Popen[bytes], *, kill: bool = False) -> None:
        if proc.poll() is None:
            proc.kill() if kill else proc.terminate()
            try:
                proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()


class Lab:
    """The namespaces of one test; a context manager that always cleans up."""

    def __init__(self, logs: Path) -> None:
        self.tag = f"wl{os.getpid() % 100000}"
        self.switch = f"{self.tag}sw"
        self.logs = logs
        self.hosts: dict[str, Host] = {}
        self._created: list[str] = []

    @staticmethod
    def available() -> str | None:
        """None when namespaces can be made here, else the reason (for ``pytest.skip``)."""
        if os.geteuid() != 0:
            return "network namespaces need root"
        probe = f"wlprobe{os.getpid() % 100000}"
        try:
            _ip("netns", "add", probe)
        except (OSError, subprocess.CalledProcessError) as exc:
            detail = exc.stderr.strip() if isinstance(exc, subprocess.CalledProcessError) else str(exc)
            return f"cannot create a network namespace: {detail}"
        _ip("netns", "del", probe)
        return None

    def __enter__(self) -> Lab:
        _ip("netns", "add", self.switch)
        self._created.append(self.switch)
        _ip("-n", self.switch, "link", "add", "br0", "type", "bridge")
        _ip("-n", self.switch, "link", "set", "br0", "up")
        return self

    def add(self, name: str, octet: int) -> Host:
        namespace = f"{self.tag}{name}"
        _ip("netns", "add", namespace)
        self._created.append(namespace)
        inside, outside = f"{self.tag}{octet}a", f"{self.tag}{octet}b"
        _ip("link", "add", inside, "type", "veth", "peer", "name", outside)
        _ip("link", "set", inside, "netns", namespace)
        _ip("link", "set", outside, "netns", self.switch)
        _ip("-n", self.switch, "link", "set", outside, "master", "br0", "up")
        _ip("-n", namespace, "link", "set", inside, "name", "eth0")
        _ip("-n", namespace, "addr", "add", f"{SUBNET}.{octet}/24", "dev", "eth0")
        _ip("-n", namespace, "link", "set", "eth0", "up")
        _ip("-n", namespace, "link", "set", "lo", "up")
        host = Host(name, namespace, f"{SUBNET}.{octet}", self.logs)
        self.hosts[name] = host
        return host

    def __exit__(self, *exc: object) -> None:
        for host in self.hosts.values():
            for proc in host.procs:
                host.stop(proc, kill=True)
        for namespace in reversed(self._created):
            subprocess.run(["ip", "netns", "del", namespace], capture_output=True)


class LabClient:
    """A long-lived Python process in the client host that runs requests for the test: one JSON
    command a line on stdin, one JSON answer a line on stdout (``lab_client.py``)."""

    def __init__(self, host: Host) -> None:
        self.proc = subprocess.Popen(
            ["ip", "netns", "exec", host.namespace, sys.executable, str(CLIENT_SCRIPT)],
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=(host.logs / "client.log").open("ab"),
            text=True, env={**os.environ, "PYTHONUNBUFFERED": "1"},
        )
        host.procs.append(self.proc)  # type: ignore[arg-type]

    def call(self, op: str, **args: Any) -> Any:
        stdin: IO[str] = self.proc.stdin  # type: ignore[assignment]
        stdout: IO[str] = self.proc.stdout  # type: ignore[assignment]
        stdin.write(json.dumps({"op": op, **args}) + "\n")
        stdin.flush()
        line = stdout.readline()
        if not line:
            raise RuntimeError(f"lab client exited ({self.proc.poll()}); see client.log")
        answer = json.loads(line)
        if "error" in answer:
            raise RuntimeError(f"lab client {op}: {answer['error']}")
        return answer["result"]
