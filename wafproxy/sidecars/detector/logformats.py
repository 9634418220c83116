"""Access-log lines → ``Observation``: nginx/Apache combined, AWS WAF JSON log records, ALB logs.

Parsed with plain string operations (split on quotes and spaces), never a regex: log lines are
attacker-influenced (request line, user agent). A line that does not parse returns None — the
caller counts it and goes on. ``sniff`` picks the format from the first non-empty line.
"""

from __future__ import annotations

import calendar
import json
import math
from collections.abc import Callable

from wafproxy.sidecars.detector.observation import Observation

_MONTHS = {m: i for i, m in enumerate(("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct",
                                       "Nov", "Dec"), 1)}
_ts_cache: dict[str, float] = {}


def _clf_time(text: str) -> float:
    """``10/Oct/2000:13:55:36 -0700`` → epoch seconds (memoized per second: logs repeat them)."""
    cached = _ts_cache.get(text)
    if cached is not None:
        return cached
    day, mon, year = text[0:2], text[3:6], text[7:11]
    hh, mm, ss = text[12:14], text[15:17], text[18:20]
    ts = float(calendar.timegm((int(year), _MONTHS[mon], int(day), int(hh), int(mm), int(ss), 0, 0, 0)))
    tz = text[21:26]
    if len(tz) == 5 and tz[0] in "+-":
        offset = (int(tz[1:3]) * 3600 + int(tz[3:5]) * 60) * (1 if tz[0] == "+" else -1)
        ts -= offset
    if len(_ts_cache) > 4096:
        _ts_cache.clear()
    _ts_cache[text] = ts
    return ts


def parse_nginx(line: str) -> Observation | None:
    """``IP - user [time] "METHOD PATH PROTO" STATUS BYTES "referer" "user agent"``."""
    try:
        ip, _, rest = line.partition(" ")
        lb = rest.index("[")
        rb = rest.index("]", lb)
        ts = _clf_time(rest[lb + 1:rb])
        parts = rest[rb + 1:].split('"')
        request = parts[1].split(" ")
        status = int(parts[2].split()[0])
        ua = parts[5] if len(parts) > 5 else ""
        method = request[0]
        path = request[1] if len(request) > 1 else "/"
    except (ValueError, IndexError, KeyError):
        return None
    return Observation(ts, ip, method, path, status, ua.lower())


def parse_waf(line: str) -> Observation | None:
    """One AWS WAF log record (JSON): ``httpRequest``, ``labels``, ``responseCodeSent``."""
    try:
        rec = json.loads(line)
        req = rec["httpRequest"]
        ua = next((h.get("value", "") for h in req.get("headers", [])
                   if h.get("name", "").lower() == "user-agent"), "")
        status = rec.get("responseCodeSent") or (403 if rec.get("action") == "BLOCK" else 200)
        labels = tuple(lb["name"] for lb in rec.get("labels") or []
                       if isinstance(lb, dict) and isinstance(lb.get("name"), str))
        ts, ip, method = rec["timestamp"] / 1000.0, req["clientIp"], req.get("httpMethod", "GET")
        uri = req.get("uri", "/")
        args = req.get("args") or ""
        # JSON types are the sender's: a null address or an Infinity time is a malformed record, not
        # an Observation the scenarios would trip over (``wafproxy detect --log`` crashed on one).
        if not (isinstance(ip, str) and isinstance(method, str) and isinstance(uri, str)
                and isinstance(args, str) and math.isfinite(ts)):
            return None
        return Observation(ts, ip, method, uri + ("?" + args if args else ""), int(status), str(ua).lower(),
                           labels)
    except (ValueError, KeyError, TypeError, AttributeError, OverflowError, RecursionError):
        return None


def _alb_time(text: str) -> float:
    """``2024-05-01T12:00:00.123456Z``."""
    ts = calendar.timegm((int(text[0:4]), int(text[5:7]), int(text[8:10]), int(text[11:13]), int(text[14:16]),
                          int(text[17:19]), 0, 0, 0))
    return ts + (float("0" + text[19:].rstrip("Z")) if text[19:20] == "." else 0.0)


def parse_alb(line: str) -> Observation | None:
    """ALB access log: ``type time elb client:port target:port t1 t2 t3 elb_status target_status
    rbytes sbytes "METHOD URL PROTO" "user agent" …``."""
    try:
        head, q1, rest = line.partition('"')
        fields = head.split()
        request, _, rest = rest.partition('"')
        ua = rest.split('"')[1]
        ts = _alb_time(fields[1])
        if not math.isfinite(ts):  # "…12:00:00.1e999Z": float() reads the exponent
            return None
        client = fields[3].rpartition(":")[0].strip("[]")
        status = int(fields[8])
        method, url = request.split(" ")[0:2]
        scheme_end = url.find("://")
        path = url[url.find("/", scheme_end + 3):] if scheme_end >= 0 else url
        return Observation(ts, client, method, path or "/", status, ua.lower())
    except (ValueError, IndexError):
        return None


PARSERS: dict[str, Callable[[str], Observation | None]] = {"nginx": parse_nginx, "waf": parse_waf,
                                                            "alb": parse_alb}


def sniff(line: str) -> str:
    text = line.lstrip()
    if text.startswith("{"):
        return "waf"
    first = text.split(" ", 1)[0]
    if first in ("http", "https", "h2", "grpcs", "ws", "wss"):
        return "alb"
    return "nginx"
