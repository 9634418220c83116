"""hyperscan and RE2 must decide alike on the managed regexes (the RE2 fallback is a real engine).

Found while building the groups: one hyperscan build missed ``{{config}}`` after other text for a
pattern whose opener was a seven-way alternation, where RE2 (and PCRE) matched; the pattern was
split. Again with SQL comments as a repeated alternative of whitespace after ";" (issue 15):
the comment is now its own alternative. This test scans every managed regex, on both engines,
over the decoded case payloads.
"""

from __future__ import annotations

import pytest

from tests.rules.attack_sets import FAMILIES
from tests.rules.benign import BENIGN
from tests.rules.benign_sets import I18N, MARKDOWN, PROSE, SNIPPETS
from tests.rules.cases import CASES
from tests.rules.generator import load_generator
from wafproxy.engine.matchers import HAVE_HYPERSCAN, Pattern, PatternSet
from wafproxy.engine.transforms import apply_chain


@pytest.mark.skipif(not HAVE_HYPERSCAN, reason="hyperscan not installed")
@pytest.mark.timeout(600)  # from an empty cache it compiles every managed regex into one database
def test_hyperscan_and_re2_agree_on_every_managed_regex() -> None:
    gen = load_generator()
    regexes = sorted({p for cls in gen.CLASSES for p in cls.patterns} | {gen.SQLI_PREFILTER, gen.XSS_PREFILTER})
    patterns = [Pattern(i, "regex", rx) for i, rx in enumerate(regexes)]
    hs = PatternSet.build(patterns, engine="hyperscan")
    r2 = PatternSet.build(patterns, engine="re2")
    values = [v for case in CASES for v in (*case.block, *case.allow)] + list(BENIGN)
    # The same inside a URL (a Referer, a redirect parameter): hyperscan 5.4 missed
    # ";(?:\s|/\*[^*]*\*/)*drop" in "https://a.example/s?q=done; drop it" and matched it without
    # the "https://" in front, where RE2 matched both.
    values += ["https://a.example/s?q=" + v for case in CASES for v in case.block]
    # Issue 15's sets: every attack payload and the benign texts (whole bodies are left out: size).
    values += [p if isinstance(p, str) else p.text for family in FAMILIES.values() for p in family]
    values += [*SNIPPETS, *PROSE, *MARKDOWN, *I18N]
    for value in values:
        for chain in gen.CHAINS.values():
            decoded = apply_chain(chain, value)
            a, b = hs.scan(decoded), r2.scan(decoded)
            assert a == b, (decoded, [regexes[i] for i in a ^ b])
