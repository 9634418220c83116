"""Our Observatory grader: table-driven results, the score curve, and agreement with httpobs' own
grader on the same recorded responses (when a virtualenv with httpobs is at $HTTPOBS_VENV)."""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

import pytest

from load_tests.httpobs_agreement import ours
from load_tests.httpobs_cases import make_cases
from wafproxy.sidecars.assessor import observatory
from wafproxy.sidecars.assessor.obs_base import Retrieval
from wafproxy.sidecars.assessor.probe import Recorded

URL = "https://app.example.test/"


def page(*headers: tuple[str, str], body: str = "", ctype: str = "text/html") -> Retrieval:
    r = Recorded(URL, 200, (*headers, ("content-type", ctype)), body.encode())
    return Retrieval(r, None, r, r)


@pytest.mark.parametrize(
    ("header", "expected"),
    [
        (None, "csp-not-implemented"),
        ("default-src 'none'", "csp-implemented-with-no-unsafe-default-src-none"),
        ("default-src 'self'", "csp-implemented-with-no-unsafe"),
        ("script-src 'self' 'unsafe-inline'", "csp-implemented-with-unsafe-inline"),
        ("default-src 'self'; script-src 'self' 'unsafe-eval'", "csp-implemented-with-unsafe-eval"),
        (
            "default-src 'self'; style-src 'unsafe-inline'",
            "csp-implemented-with-unsafe-inline-in-style-src-only",
        ),
        ("default-src 'self'; img-src http:", "csp-implemented-with-insecure-scheme-in-passive-content-only"),
        ("default-src 'self'; default-src 'none'", "csp-header-invalid"),
        (
            "default-src 'self'; script-src 'nonce-abc' 'strict-dynamic' 'unsafe-inline'",
            "csp-implemented-with-no-unsafe",
        ),
    ],
)
def test_csp(header: str | None, expected: str) -> None:
    r = page(*([("content-security-policy", header)] if header else []))
    assert observatory.grade(r).results["content-security-policy"] == expected


@pytest.mark.parametrize(
    ("cookie", "expected"),
    [
        ("sessionid=1; Secure; HttpOnly; SameSite=Lax", "cookies-secure-with-httponly-sessions-and-samesite"),
        ("sessionid=1; Secure; HttpOnly", "cookies-secure-with-httponly-sessions"),
        ("sessionid=1; Secure", "cookies-session-without-httponly-flag"),
        ("sessionid=1; HttpOnly", "cookies-session-without-secure-flag"),
        ("foo=1", "cookies-without-secure-flag"),
        ("foo=1; Secure; SameSite=Bogus", "cookies-samesite-flag-invalid"),
        ("csrftoken=1; Secure", "cookies-anticsrf-without-samesite-flag"),
    ],
)
def test_cookies(cookie: str, expected: str) -> None:
    assert observatory.grade(page(("set-cookie", cookie))).results["cookies"] == expected


def test_perfect_page_and_the_extra_credit_curve() -> None:
    best = page(
        ("content-security-policy", "default-src 'none'; frame-ancestors 'none'"),
        ("strict-transport-security", "max-age=63072000"),
        ("x-content-type-options", "nosniff"),
        ("referrer-policy", "no-referrer"),
        ("x-xss-protection", "1; mode=block"),
    )
    g = observatory.grade(best)
    assert (g.score, g.grade) == (120, "A+")  # 100 + 10 (CSP) + 5 (frame-ancestors) + 5 (referrer)
    # One -20 penalty: 80 < 90, so the bonuses do not count.
    no_hsts = page(
        ("content-security-policy", "default-src 'none'; frame-ancestors 'none'"),
        ("x-content-type-options", "nosniff"),
        ("referrer-policy", "no-referrer"),
        ("x-xss-protection", "1; mode=block"),
    )
    g = observatory.grade(no_hsts)
    assert (g.score, g.grade) == (80, "B+")


@pytest.mark.parametrize(
    ("score", "grade"),
    [
        (0, "F"),
        (24, "F"),
        (25, "D-"),
        (44, "D+"),
        (45, "C-"),
        (89, "A-"),
        (90, "A"),
        (99, "A"),
        (100, "A+"),
        (135, "A+"),
    ],
)
def test_grade_bands(score: int, grade: str) -> None:
    assert observatory.grade_of(score) == grade


VENV = Path(os.environ.get("HTTPOBS_VENV", "/tmp/httpobs-venv"))


@pytest.mark.skipif(
    not (VENV / "bin" / "python").exists(), reason="no virtualenv with httpobs at $HTTPOBS_VENV"
)
def test_same_grade_as_httpobs_on_recorded_responses() -> None:
    cases = make_cases(300, seed=7)
    script = Path(__file__).resolve().parents[3] / "load_tests" / "httpobs_grade.py"
    done = subprocess.run(
        [str(VENV / "bin" / "python"), str(script)],
        input=json.dumps(cases),
        capture_output=True,
        text=True,
        check=True,
        timeout=300,
    )
    theirs = {g["id"]: g for g in json.loads(done.stdout)}
    same = sum(ours(c).grade == theirs[c["id"]]["grade"] for c in cases)
    assert same / len(cases) >= 0.95
