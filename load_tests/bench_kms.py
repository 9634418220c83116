"""Encrypt+Decrypt pairs per second from boto3: wafproxy KMS (own process) vs ``moto_server``, one run.

Run: ``.venv/bin/python -m load_tests.bench_kms [seconds] [threads...]`` (from the repo root).
Reports pairs/s and each server's CPU time per operation (from /proc). Not a pass/fail test; the
machine is shared, so only the ratio measured in the same run means anything.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import boto3
from botocore.config import Config

from tests.sidecars.kms.test_process import _client, kms_process
from tests.support.servers import free_port, wait_for_port


def _cpu_seconds(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


@contextmanager
def moto_process() -> Iterator[tuple[subprocess.Popen[bytes], str]]:
    exe = shutil.which("moto_server", path=str(Path(sys.executable).parent))
    if exe is None:
        raise SystemExit("moto_server not installed (pip install 'moto[server]')")
    port = free_port()
    proc = subprocess.Popen([exe, "-p", str(port)], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        wait_for_port("127.0.0.1", port, proc=proc)
        yield proc, f"http://127.0.0.1:{port}"
    finally:
        proc.terminate()
        proc.wait(timeout=10)


def _moto_client(url: str) -> Any:
    return boto3.client(
        "kms",
        endpoint_url=url,
        region_name="us-east-1",
        aws_access_key_id="x",
        aws_secret_access_key="y",
        config=Config(retries={"max_attempts": 1}),
    )


def measure(pid: int, make: Any, seconds: float, threads: int) -> tuple[float, float]:
    """(pairs per second, server CPU ms per operation)."""
    key = make().create_key()["KeyMetadata"]["KeyId"]
    clients = [make() for _ in range(threads)]  # created and warmed outside the timing
    for c in clients:
        c.decrypt(CiphertextBlob=c.encrypt(KeyId=key, Plaintext=b"warm")["CiphertextBlob"])
    counts = [0] * threads

    def run(i: int, until: float) -> None:
        c = clients[i]
        while time.monotonic() < until:
            blob = c.encrypt(KeyId=key, Plaintext=b"x" * 64, EncryptionContext={"a": "b"})["CiphertextBlob"]
            c.decrypt(CiphertextBlob=blob, EncryptionContext={"a": "b"})
            counts[i] += 1

    cpu0 = _cpu_seconds(pid)
    start = time.monotonic()
    workers = [threading.Thread(target=run, args=(i, start + seconds)) for i in range(threads)]
    for w in workers:
        w.start()
    for w in workers:
        w.join()
    elapsed = time.monotonic() - start
    pairs = sum(counts)
    return pairs / elapsed, 1000 * (_cpu_seconds(pid) - cpu0) / max(1, 2 * pairs)


def main() -> None:
    seconds = float(sys.argv[1]) if len(sys.argv) > 1 else 3.0
    thread_counts = [int(a) for a in sys.argv[2:]] or [1, 8]
    with (
        tempfile.TemporaryDirectory() as tmp,
        kms_process(Path(tmp)) as (ours, url),
        moto_process() as (moto, moto_url),
    ):
        for threads in thread_counts:
            w_rate, w_cpu = measure(ours.pid, lambda: _client(url), seconds, threads)
            m_rate, m_cpu = measure(moto.pid, lambda: _moto_client(moto_url), seconds, threads)
            print(
                f"threads={threads}: wafproxy {w_rate:.1f} pairs/s ({w_cpu:.3f} ms CPU/op) | "
                f"moto {m_rate:.1f} pairs/s ({m_cpu:.3f} ms CPU/op) | ratio {w_rate / m_rate:.2f}x"
            )


if __name__ == "__main__":
    main()
