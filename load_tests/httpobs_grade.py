"""Run httpobs 0.9.3's own analyzer and grader on recorded cases (stdin JSON -> stdout JSON).

Runs ONLY in a throwaway virtualenv holding httpobs (``/tmp/httpobs-venv``), never in the
project's: ``httpobs_agreement.py`` calls it. The recorded responses become ``requests``
objects the way httpobs' retriever leaves them (``verified``, ``http_equiv``, a session with the
cookies of the page and of the CORS fetch), then every test in ``httpobs.scanner.analyzer.tests``
runs, and the score is curved as ``httpobs.database.insert_test_results`` does.
"""

from __future__ import annotations

import json
import sys
from typing import Any

import requests
from httpobs.scanner.analyzer import tests
from httpobs.scanner.grader import MINIMUM_SCORE_FOR_EXTRA_CREDIT, get_grade_and_likelihood_for_score
from httpobs.scanner.retriever.retriever import HTML_TYPES
from httpobs.scanner.utils import parse_http_equiv_headers
from requests.structures import CaseInsensitiveDict


def response(rec: dict[str, Any] | None, request_headers: list[list[str]] = ()) -> Any:
    if rec is None:
        return None
    r = requests.Response()
    r.status_code = rec["status"]
    r.url = rec["url"]
    r.headers = CaseInsensitiveDict()
    for k, v in rec["headers"]:
        if k.lower() == "set-cookie":
            continue
        r.headers[k] = v
    r._content = rec["body"].encode()
    r.encoding = "utf-8"
    r.verified = True
    hist = []
    for url, status in rec["history"]:
        h = requests.Response()
        h.status_code, h.url = status, url
        h.request = requests.Request("GET", url).prepare()
        hist.append(h)
    r.history = hist
    r.request = requests.Request("GET", rec["url"], headers=dict(request_headers)).prepare()
    return r


def cookie_jar(*recs: dict[str, Any]) -> Any:
    session = requests.Session()
    for rec in recs:
        for k, v in rec["headers"]:
            if k.lower() != "set-cookie":
                continue
            first, *attrs = v.split(";")
            name, _, value = first.partition("=")
            rest, secure = {}, False
            for a in attrs:
                key, sep, val = a.strip().partition("=")
                if key.lower() == "secure":
                    secure = True
                elif key:
                    rest[key] = val if sep else None
            session.cookies.set_cookie(
                requests.cookies.create_cookie(
                    name.strip(), value, secure=secure, rest=rest, domain="app.example.test"
                )
            )
    return session


def grade(case: dict[str, Any]) -> dict[str, Any]:
    auto = response(case["auto"])
    reqs = {
        "hostname": "app.example.test",
        "resources": {
            "__path__": case["auto"]["body"],
            "/clientaccesspolicy.xml": None,
            "/contribute.json": None,
            "/crossdomain.xml": None,
            "/robots.txt": None,
        },
        "responses": {
            "auto": auto,
            "http": response(case["http"]),
            "https": response(case["https"]),
            "cors": response(case["cors"], case["cors"]["request_headers"]),
        },
        "session": cookie_jar(case["auto"], case["cors"]),
    }
    if auto.headers.get("Content-Type", "").split(";")[0] in HTML_TYPES and case["auto"]["body"]:
        auto.http_equiv = parse_http_equiv_headers(case["auto"]["body"])
    else:
        auto.http_equiv = {}
    results = {}
    with_credit = uncurved = 100
    for test in tests:
        out = test(reqs)
        results[out["name"]] = out["result"]
        with_credit += out["score_modifier"]
        if out["score_modifier"] < 0:
            uncurved += out["score_modifier"]
    score = with_credit if uncurved >= MINIMUM_SCORE_FOR_EXTRA_CREDIT else uncurved
    score, letter, _ = get_grade_and_likelihood_for_score(score)
    return {"id": case["id"], "score": score, "grade": letter, "tests": results}


if __name__ == "__main__":
    print(json.dumps([grade(c) for c in json.load(sys.stdin)]))
