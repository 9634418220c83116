"""Generated traffic for the threat detector, as nginx combined log lines (time-ordered).

Benign mix (must give 0 bans): an office of 200 users behind one NAT address browsing a
single-page app and its API (with the occasional mistyped password), SPA bursts of 404s for stale
hashed assets after a deploy, well-behaved crawlers (5% dead links), API clients retrying on 503.
Attackers (each must be found; the bench says after how many of its requests): a nikto-like scan,
a directory brute-forcer, credential stuffing from 50 addresses, a slow scan from 200 addresses.
``python -m load_tests.traffic --benign 1000000 --out FILE`` writes a log; ``lines()`` yields them.
"""

from __future__ import annotations

import argparse
import random
import time
from collections.abc import Iterator

START = 1_700_000_000.0
BROWSER = ("Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0 "
           "Safari/537.36")
CRAWLER = "Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)"
API = "okhttp/4.12.0"
NIKTO_PATHS = ["/", "/.env", "/.git/config", "/admin/config.php", "/phpmyadmin/", "/server-status",
               "/backup.zip",
               "/wp-config.php.bak", "/.aws/credentials", "/cgi-bin/test.cgi", "/.DS_Store", "/web.config"]


def _line(ts: float, ip: str, method: str, path: str, status: int, ua: str) -> str:
    stamp = time.strftime("%d/%b/%Y:%H:%M:%S +0000", time.gmtime(ts))
    return f'{ip} - - [{stamp}] "{method} {path} HTTP/1.1" {status} 512 "-" "{ua}"\n'


def benign(n: int, rng: random.Random) -> Iterator[tuple[float, str, str]]:
    """(ts, actor label, line): ~n requests over n/60 seconds (60 requests/s)."""
    ts = START
    office = "203.0.113.10"
    crawlers = [f"66.249.66.{i}" for i in range(1, 6)]
    api_clients = [f"198.51.100.{i}" for i in range(1, 41)]
    deploy_every = 20000
    for i in range(n):
        ts += rng.expovariate(60.0)
        r = rng.random()
        if i % deploy_every < 400 and r < 0.5:  # after a deploy: stale assets from office browsers
            stale = f"/static/js/chunk.{rng.randrange(12):02x}ab.js"
            yield ts, "spa", _line(ts, office, "GET", stale, 404, BROWSER)
        elif r < 0.55:
            path = rng.choice(["/", "/search?q=teapot", "/api/items", f"/api/items/{rng.randrange(500)}",
                               "/static/app.js", "/static/style.css"])
            yield ts, "office", _line(ts, office, "GET", path, 200, BROWSER)
        elif r < 0.5505:  # a login (~2 a minute for the office): sometimes mistyped first
            if rng.random() < 0.2:
                yield ts, "office", _line(ts, office, "POST", "/login", 401, BROWSER)
            yield ts, "office", _line(ts, office, "POST", "/login", 200, BROWSER)
        elif r < 0.70:
            dead = rng.random() < 0.05
            path = f"/blog/post-{rng.randrange(5000)}" if not dead else f"/old/{rng.randrange(100)}"
            yield ts, "crawler", _line(ts, rng.choice(crawlers), "GET", path, 404 if dead else 200, CRAWLER)
        else:
            client = rng.choice(api_clients)
            status = 503 if rng.random() < 0.03 else 200
            path = f"/api/v1/orders/{rng.randrange(50)}"
            yield ts, "api", _line(ts, client, "GET", path, status, API)
            if status == 503:
                for k in range(3):  # retries with backoff
                    yield ts + 0.5 * 2 ** k, "api", _line(ts + 0.5 * 2 ** k, client, "GET", path,
                                                          200 if k == 2 else 503, API)


def attackers(rng: random.Random, at: float) -> dict[str, list[tuple[float, str, str]]]:
    """Each attacker's requests (ts, ip, line), starting at ``at``."""
    out: dict[str, list[tuple[float, str, str]]] = {}
    ip = "192.0.2.10"
    out["nikto-like scan"] = [(at + i * 0.05, ip, _line(at + i * 0.05, ip, "GET", p, 404,
                                                        "Mozilla/5.00 (Nikto/2.5.0) (Evasions:None)"))
                              for i, p in enumerate(NIKTO_PATHS * 5)]
    ip = "192.0.2.11"
    brute = [(at + i / 50, f"/word{i}") for i in range(500)]
    out["directory brute-forcer"] = [(ts, ip, _line(ts, ip, "GET", path, 404, BROWSER)) for ts, path in brute]
    rows = []
    for k in range(50):
        ip = f"198.18.0.{k + 1}"
        for j in range(30):
            ts = at + j * 2 + k * 0.01
            rows.append((ts, ip, _line(ts, ip, "POST", "/login", 401, BROWSER)))
    out["credential stuffing, 50 addresses"] = sorted(rows)
    rows = []
    for k in range(200):
        ip = f"198.18.{1 + k // 200}.{k % 200 + 1}"
        ts = at + k * 15.0
        rows.append((ts, ip, _line(ts, ip, "GET", NIKTO_PATHS[1 + k % 3], 404, "curl/7.88.1")))
    out["slow scan, 200 addresses"] = rows
    return out


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--benign", type=int, default=200000)
    ap.add_argument("--out", required=True)
    ap.add_argument("--attackers", action="store_true")
    args = ap.parse_args()
    rng = random.Random(12)
    rows = [(ts, line) for ts, _, line in benign(args.benign, rng)]
    if args.attackers:
        for reqs in attackers(rng, START + 600).values():
            rows += [(ts, line) for ts, _, line in reqs]
        rows.sort()
    with open(args.out, "w", encoding="utf-8") as fh:
        fh.writelines(line for _, line in rows)


if __name__ == "__main__":
    main()
