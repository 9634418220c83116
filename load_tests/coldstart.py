#!/usr/bin/env python3
"""A first start from an empty hyperscan cache, timed: ``wafproxy demo`` or ``serve`` (default ACL).

    .venv/bin/python load_tests/coldstart.py [--command demo|serve [--workers N]] [--until-answer]
        [--installed]

Starts the command with ``WAFPROXY_HS_CACHE`` set to a new empty directory and reports, in
seconds from the start of the process: its first output line, the first answered request (a
benign GET through the WAF, polled as soon as the listener is known), and the end of the
background hyperscan build when it logs one (``--until-answer`` stops at the first answer: the
build is minutes of CPU). Wall-clock on a shared machine: run it when the machine is quiet, and
read the CPU count and load average printed with the figures. Asserts nothing. ``--installed``: run
the wafproxy installed beside this interpreter (a wheel in a venv), from a temporary directory
rather than the checkout (``python -m`` imports from the working directory first).
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.request
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
FINISHED = ("matching now runs on hyperscan", "stay on RE2")


class _Upstream(BaseHTTPRequestHandler):
    def do_GET(self) -> None:  # noqa: N802 - the stdlib's name
        self.send_response(200)
        self.send_header("content-length", "8")
        self.end_headers()
        self.wfile.write(b"upstream")

    def log_message(self, *args: object) -> None:
        pass


def _free_port() -> int:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _get(url: str, proc: subprocess.Popen[str]) -> int:
    while True:
        try:
            return int(urllib.request.urlopen(url, timeout=600).status)
        except urllib.error.HTTPError as exc:
            return exc.code
        except OSError:
            if proc.poll() is not None:
                raise
            time.sleep(0.05)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--command", choices=("demo", "serve"), default="demo")
    parser.add_argument("--until-answer", action="store_true")
    parser.add_argument("--workers", type=int, default=1, help="serve --workers N")
    parser.add_argument("--installed", action="store_true",
                        help="run the installed package, not the checkout's")
    args = parser.parse_args()
    cache = tempfile.mkdtemp(prefix="wafproxy-hs-cold-")
    env = {**os.environ, "WAFPROXY_HS_CACHE": cache, "PYTHONUNBUFFERED": "1"}
    port = _free_port()
    argv = [sys.executable, "-m", "wafproxy", args.command, "--listen", f"127.0.0.1:{port}",
            "--admin-listen", f"127.0.0.1:{_free_port()}"]
    upstream = None
    if args.command == "serve":
        upstream = ThreadingHTTPServer(("127.0.0.1", 0), _Upstream)
        threading.Thread(target=upstream.serve_forever, daemon=True).start()
        argv += ["--upstream", f"http://127.0.0.1:{upstream.server_address[1]}",
                 "--workers", str(args.workers)]
    started = time.monotonic()
    cwd = tempfile.mkdtemp(prefix="wafproxy-cold-cwd-") if args.installed else REPO
    proc = subprocess.Popen(argv, cwd=cwd, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                            text=True, bufsize=1)
    answered = threading.Event()

    def first_request() -> None:
        code = _get(f"http://127.0.0.1:{port}/search?q=teapot", proc)
        print(f"{time.monotonic() - started:7.1f} s  first request answered: {code}", flush=True)
        answered.set()

    finished = threading.Event()

    def read_output() -> None:
        assert proc.stdout is not None
        for line in proc.stdout:
            text = line.rstrip()
            if text and not text.startswith(" "):
                print(f"{time.monotonic() - started:7.1f} s  {text[:150]}", flush=True)
            if any(f in text for f in FINISHED):
                finished.set()
        finished.set()  # the process ended

    threading.Thread(target=first_request, daemon=True).start()
    threading.Thread(target=read_output, daemon=True).start()
    try:
        answered.wait(900)
        if not args.until_answer:
            finished.wait(900)
    finally:
        proc.terminate()
        proc.wait(30)
        if upstream is not None:
            upstream.shutdown()
    print(f"cores {os.cpu_count()}, load average {os.getloadavg()[0]:.1f} (1 min)")


if __name__ == "__main__":
    main()
