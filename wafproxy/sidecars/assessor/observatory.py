"""Mozilla HTTP Observatory's grader (httpobs 0.9.3), re-implemented over recorded responses.

Same tests, same result names, same modifiers (``httpobs/scanner/grader/grade.py``'s SCORE_TABLE),
same curve (``database.insert_test_results``): start at 100, add every penalty; bonuses count only
when the penalised score is still >= 90; the grade is the band of the score rounded down to a
multiple of 5. Not reproduced: the HSTS/HPKP preload lists (offline; loopback and private names are
never on them) and contribute.json (required on Mozilla properties only: modifier 0 elsewhere).
The tests themselves live in ``obs_headers`` and ``obs_content``.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass

from wafproxy.sidecars.assessor import obs_content, obs_headers
from wafproxy.sidecars.assessor.obs_base import Retrieval

MODIFIERS: Mapping[str, int] = {
    "csp-implemented-with-no-unsafe-default-src-none": 10,
    "csp-implemented-with-no-unsafe": 5,
    "csp-implemented-with-unsafe-inline-in-style-src-only": 0,
    "csp-implemented-with-insecure-scheme-in-passive-content-only": -10,
    "csp-implemented-with-unsafe-eval": -10,
    "csp-implemented-with-unsafe-inline": -20,
    "csp-implemented-with-insecure-scheme": -20,
    "csp-header-invalid": -25,
    "csp-not-implemented": -25,
    "cookies-secure-with-httponly-sessions-and-samesite": 5,
    "cookies-secure-with-httponly-sessions": 0,
    "cookies-not-found": 0,
    "cookies-without-secure-flag-but-protected-by-hsts": -5,
    "cookies-session-without-secure-flag-but-protected-by-hsts": -10,
    "cookies-without-secure-flag": -20,
    "cookies-samesite-flag-invalid": -20,
    "cookies-anticsrf-without-samesite-flag": -20,
    "cookies-session-without-httponly-flag": -30,
    "cookies-session-without-secure-flag": -40,
    "contribute-json-only-required-on-mozilla-properties": 0,
    "cross-origin-resource-sharing-not-implemented": 0,
    "cross-origin-resource-sharing-implemented-with-public-access": 0,
    "cross-origin-resource-sharing-implemented-with-restricted-access": 0,
    "cross-origin-resource-sharing-implemented-with-universal-access": -50,
    "hpkp-not-implemented": 0,
    "hpkp-not-implemented-no-https": 0,
    "hpkp-invalid-cert": 0,
    "hpkp-implemented-max-age-at-least-fifteen-days": 0,
    "hpkp-implemented-max-age-less-than-fifteen-days": 0,
    "hpkp-header-invalid": -5,
    "redirection-to-https": 0,
    "redirection-not-needed-no-http": 0,
    "redirection-off-host-from-http": -5,
    "redirection-not-to-https-on-initial-redirection": -10,
    "redirection-not-to-https": -20,
    "redirection-missing": -20,
    "redirection-invalid-cert": -20,
    "referrer-policy-private": 5,
    "referrer-policy-no-referrer-when-downgrade": 0,
    "referrer-policy-not-implemented": 0,
    "referrer-policy-unsafe": -5,
    "referrer-policy-header-invalid": -5,
    "hsts-implemented-max-age-at-least-six-months": 0,
    "hsts-implemented-max-age-less-than-six-months": -10,
    "hsts-not-implemented": -20,
    "hsts-header-invalid": -20,
    "hsts-not-implemented-no-https": -20,
    "hsts-invalid-cert": -20,
    "sri-implemented-and-all-scripts-loaded-securely": 5,
    "sri-implemented-and-external-scripts-loaded-securely": 5,
    "sri-not-implemented-response-not-html": 0,
    "sri-not-implemented-but-no-scripts-loaded": 0,
    "sri-not-implemented-but-all-scripts-loaded-from-secure-origin": 0,
    "sri-not-implemented-but-external-scripts-loaded-securely": -5,
    "sri-implemented-but-external-scripts-not-loaded-securely": -20,
    "sri-not-implemented-and-external-scripts-not-loaded-securely": -50,
    "x-content-type-options-nosniff": 0,
    "x-content-type-options-not-implemented": -5,
    "x-content-type-options-header-invalid": -5,
    "x-frame-options-implemented-via-csp": 5,
    "x-frame-options-sameorigin-or-deny": 0,
    "x-frame-options-allow-from-origin": 0,
    "x-frame-options-not-implemented": -20,
    "x-frame-options-header-invalid": -20,
    "x-xss-protection-enabled-mode-block": 0,
    "x-xss-protection-enabled": 0,
    "x-xss-protection-not-needed-due-to-csp": 0,
    "x-xss-protection-disabled": -10,
    "x-xss-protection-not-implemented": -10,
    "x-xss-protection-header-invalid": -10,
    "html-not-parsable": -20,
}
GRADES = (
    (100, "A+"),
    (90, "A"),
    (85, "A-"),
    (80, "B+"),
    (70, "B"),
    (65, "B-"),
    (60, "C+"),
    (50, "C"),
    (45, "C-"),
    (40, "D+"),
    (30, "D"),
    (25, "D-"),
    (0, "F"),
)
MINIMUM_SCORE_FOR_EXTRA_CREDIT = 90

TESTS: Mapping[str, Callable[[Retrieval], str]] = {
    "content-security-policy": obs_headers.csp,
    "cookies": obs_content.cookies,
    "contribute": lambda r: "contribute-json-only-required-on-mozilla-properties",
    "cross-origin-resource-sharing": obs_content.cors,
    "public-key-pinning": obs_headers.hpkp,
    "redirection": obs_content.redirection,
    "referrer-policy": obs_headers.referrer,
    "strict-transport-security": obs_headers.hsts,
    "subresource-integrity": obs_content.sri,
    "x-content-type-options": obs_headers.xcto,
    "x-frame-options": obs_headers.xfo,
    "x-xss-protection": obs_headers.xxp,
}


@dataclass(frozen=True, slots=True)
class Grade:
    results: Mapping[str, str]  # test name -> result name
    score: int
    grade: str

    def modifier(self, test: str) -> int:
        return MODIFIERS[self.results[test]]


def grade_of(score: int) -> str:
    band = min(max(score, 0) // 5 * 5, 100)
    return next(g for floor, g in GRADES if band >= floor)


def grade(r: Retrieval) -> Grade:
    results = {name: test(r) for name, test in TESTS.items()}
    mods = [MODIFIERS[v] for v in results.values()]
    uncurved = 100 + sum(m for m in mods if m < 0)
    score = max(100 + sum(mods) if uncurved >= MINIMUM_SCORE_FOR_EXTRA_CREDIT else uncurved, 0)
    return Grade(results, score, grade_of(score))
