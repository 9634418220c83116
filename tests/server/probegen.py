"""A generator of request-smuggling and malformed-framing probes, by class, from the published
catalogues: PortSwigger's desync work (CL.TE, TE.CL, TE.TE, CL.0, h2c), smuggler.py's
Transfer-Encoding mutations, the HTTP Garden's head and chunk mutations, RFC 9112 §2–7 and
RFC 9110 §5 (field syntax). Each class is a *product* of mutations (where the bytes go × which
bytes), not a list of cases, so a new shape of an old class is one row away.

Every probe says what a strict-but-not-fussy server must do with it (``Want``): refuse it (one of
``statuses``, the connection closed, nothing of it nor of what follows reaching the upstream), or
accept it as the request real clients mean (the upstream reads ``method target body``, re-framed).
``tests/server/test_probe_classes.py`` runs them all against a real server on loopback in front of
the raw recording upstream; ``python -m tests.server.probe_sweep`` runs them against any port (an
nginx beside us, to tell strict from fussy) and prints one line per probe.
"""

from __future__ import annotations

from collections.abc import Iterator

from tests.server.probegen_flow import FLOW_CLASSES
from tests.server.probegen_head import HEAD_CLASSES
from tests.server.probekit import BAD, HELLO, NOT_IMPLEMENTED, Probe, accept, refuse, request

# -- Transfer-Encoding -------------------------------------------------------------------------

# Bytes around the value (RFC 9110 §5.5: OWS is SP / HTAB only; anything else is part of the
# value, or forbidden there): (label, before, after, accepted).
_AROUND = [
    ("none", b"", b"", True),
    ("sp", b" ", b"", True),
    ("sp2", b"  ", b"", True),
    ("tab", b"\t", b"", True),
    ("sp-after", b" ", b" ", True),
    # OWS, yet llhttp refuses a tab after the coding (nginx: 501 for a tab on either side): rare, left
    ("sp-tab-after", b" ", b" \t", False),
    ("tab-after", b" ", b"\t", False),
    ("vt-before", b" \x0b", b"", False),
    ("ff-before", b" \x0c", b"", False),
    ("nul-before", b" \x00", b"", False),
    ("cr-before", b" \r", b"", False),
    ("vt-after", b" ", b"\x0b", False),
    ("ff-after", b" ", b"\x0c", False),
    ("nul-after", b" ", b"\x00", False),
    ("cr-after", b" ", b"\rX: y", False),
    ("nbsp-before", b" \xc2\xa0", b"", False),
    ("zwsp-inside", b" chunk\xe2\x80\x8b", b"", False),
]
# Bytes between the name and the colon (RFC 9112 §5.1: none, 400).
_BEFORE_COLON = [
    ("sp", b" "),
    ("tab", b"\t"),
    ("vt", b"\x0b"),
    ("ff", b"\x0c"),
    ("nul", b"\x00"),
    ("cr", b"\r"),
]
# Values: (label, value, statuses or None for accepted).
_TE_VALUES: list[tuple[str, bytes, frozenset[int] | None]] = [
    ("chunked", b"chunked", None),
    ("Chunked", b"Chunked", None),
    ("CHUNKED", b"CHUNKED", None),
    ("cHuNkEd", b"cHuNkEd", None),
    # chunked absent or not final: the length cannot be known (RFC 9112 §6.3 item 4: 400)
    ("xchunked", b"xchunked", BAD),
    ("chunkedx", b"chunkedx", BAD),
    ("chunk", b"chunk", BAD),
    ("identity", b"identity", BAD),
    ("gzip", b"gzip", BAD),
    ("empty", b"", BAD),
    ("chunked-identity", b"chunked, identity", BAD),
    ("chunked-gzip", b"chunked, gzip", BAD),
    ("chunked-chunked", b"chunked, chunked", BAD),
    ("chunked-comma", b"chunked,", BAD),
    ("comma-chunked", b", chunked", BAD),
    ("chunked-semicolon", b"chunked;", BAD),
    ("chunked-param", b"chunked;q=1", BAD),
    ("quoted", b'"chunked"', BAD),
    ("single-quoted", b"'chunked'", BAD),
    ("chunked-sp-x", b"chunked x", BAD),
    ("kelvin-k", "chun\u212aed".encode(), BAD),
    ("gzip-q-chunked", b"gzip;q=1, chunked", BAD),
    # chunked final after codings we do not decode: the length is known, the coding is not ours
    ("identity-chunked", b"identity, chunked", NOT_IMPLEMENTED),
    ("gzip-chunked", b"gzip, chunked", NOT_IMPLEMENTED),
    ("deflate-chunked", b"deflate, chunked", NOT_IMPLEMENTED),
    ("x-chunked-list", b"foo ,\tchunked", NOT_IMPLEMENTED),
    ("dotless-i-lookalike", "ch\u0075nked".encode(), None),  # plain ASCII "u": the control row
]


def _te(value: bytes, body: bytes = HELLO, version: bytes = b"HTTP/1.1", extra: bytes = b"") -> bytes:
    return request(
        target=b"/te", fields=extra + b"Transfer-Encoding:" + value + b"\r\n", body=body, version=version
    )


def transfer_encoding() -> Iterator[Probe]:
    for label, value, statuses in _TE_VALUES:
        want = accept(b"POST", b"/te", b"hello") if statuses is None else refuse(statuses)
        yield Probe("te-value", label, _te(b" " + value), want)
    for label, before, after, ok in _AROUND:
        yield Probe(
            "te-ows",
            label,
            _te(before + b"chunked" + after),
            accept(b"POST", b"/te", b"hello") if ok else refuse(),
        )
    for label, byte in _BEFORE_COLON:
        yield Probe(
            "te-before-colon",
            label,
            request(target=b"/te", fields=b"Transfer-Encoding" + byte + b": chunked\r\n", body=HELLO),
            refuse(),
        )
    names: list[tuple[str, bytes, bool | None]] = [
        ("lower", b"transfer-encoding", True),
        ("upper", b"TRANSFER-ENCODING", True),
        ("underscore", b"Transfer_Encoding", False),
        ("no-dash", b"TransferEncoding", None),
        ("leading-space", b" Transfer-Encoding", False),
        ("leading-tab", b"\tTransfer-Encoding", False),
        ("suffix", b"Transfer-Encoding2", None),
        ("high-byte", b"Transfer-Enc\xc3\xb6ding", False),
    ]
    for label, name, framing in names:
        data = request(target=b"/te", fields=name + b": chunked\r\n", body=HELLO)
        if framing is None:  # another field: no body, and the chunks are the next "request": refused
            yield Probe("te-name", label, data, refuse(BAD, ((b"POST", b"/te", b""),)))
            continue
        yield Probe("te-name", label, data, accept(b"POST", b"/te", b"hello") if framing else refuse())
    dup = [
        ("chunked-chunked", b"chunked", b"chunked"),
        ("chunked-identity", b"chunked", b"identity"),
        ("identity-chunked", b"identity", b"chunked"),
        ("gzip-chunked", b"gzip", b"chunked"),
        ("chunked-empty", b"chunked", b""),
        ("empty-chunked", b"", b"chunked"),
        ("chunked-upper", b"chunked", b"CHUNKED"),
    ]
    for label, first, second in dup:
        fields = b"Transfer-Encoding: " + first + b"\r\nTransfer-Encoding: " + second + b"\r\n"
        yield Probe("te-duplicate", label, request(target=b"/te", fields=fields, body=HELLO), refuse())
    for version in (b"HTTP/1.0", b"HTTP/1.0\r\nConnection: keep-alive"):
        label = "http10" + ("-keep-alive" if b"keep" in version else "")
        yield Probe("te-http10", label, _te(b" chunked", version=version), refuse())
    for label, cl in [("cl-first", True), ("cl-after", False)]:
        for length in (b"0", b"5", b"100"):
            fields = b"Content-Length: " + length + b"\r\n"
            data = _te(b" chunked", extra=fields) if cl else _te(b" chunked\r\n" + fields[:-2])
            yield Probe("cl-te", f"{label}-{length.decode()}", data, refuse())
    for label, value in [
        ("xchunked", b" xchunked"),
        ("identity", b" identity"),
        ("gzip-chunked", b" gzip, chunked"),
    ]:
        yield Probe(
            "cl-te", "cl-te-" + label, _te(value, body=b"hello", extra=b"Content-Length: 5\r\n"), refuse()
        )


# -- Content-Length ----------------------------------------------------------------------------

_CL_VALUES: list[tuple[str, bytes, bool]] = [
    ("plain", b"5", True),
    ("leading-zero", b"05", True),
    ("many-zeros", b"0" * 30 + b"5", True),
    ("ows-after", b"5 ", True),
    ("tab-around", b"\t5\t", True),
    ("plus", b"+5", False),
    ("minus", b"-5", False),
    ("minus-zero", b"-0", False),
    ("inner-space", b"5 5", False),
    ("hex", b"0x5", False),
    ("hex-letter", b"a", False),
    ("octal-ish", b"0o5", False),
    ("decimal", b"5.0", False),
    ("exponent", b"5e0", False),
    ("underscore", b"0_5", False),
    ("list-equal", b"5, 5", False),
    ("list-equal-nospace", b"5,5", False),
    ("list-unequal", b"5, 6", False),
    ("list-trailing", b"5,", False),
    ("list-leading", b",5", False),
    ("empty", b"", False),
    ("nul", b"5\x00", False),
    ("vt", b"\x0b5", False),
    ("ff", b"5\x0c", False),
    ("cr", b"5\rX: y", False),
    ("quoted", b'"5"', False),
    ("huge-2-63", b"9223372036854775808", False),
    ("huge-2-64", b"18446744073709551616", False),
    ("huge-2-64-plus-5", b"18446744073709551621", False),
    ("huge-40-digits", b"9" * 40, False),
    ("fullwidth-digit", "\uff15".encode(), False),
    ("arabic-digit", "\u0665".encode(), False),
    ("superscript", "\u2075".encode(), False),
]


def content_length() -> Iterator[Probe]:
    for label, value, ok in _CL_VALUES:
        data = request(target=b"/cl", fields=b"Content-Length: " + value + b"\r\n", body=b"hello")
        if label.startswith("huge"):
            want = refuse({400, 413})
        else:
            want = (
                accept(b"POST", b"/cl", b"hello")
                if ok
                else refuse({400, 413} if label == "list-unequal" else BAD)
            )
        yield Probe("cl-value", label, data, want)
    for label, byte in _BEFORE_COLON:
        yield Probe(
            "cl-before-colon",
            label,
            request(target=b"/cl", fields=b"Content-Length" + byte + b": 5\r\n", body=b"hello"),
            refuse(),
        )
    for label, first, second in [
        ("equal", b"5", b"5"),
        ("unequal", b"5", b"6"),
        ("zero-five", b"0", b"5"),
        ("five-empty", b"5", b""),
        ("leading-zero-equal", b"5", b"05"),
    ]:
        fields = b"Content-Length: " + first + b"\r\nContent-Length: " + second + b"\r\n"
        yield Probe("cl-duplicate", label, request(target=b"/cl", fields=fields, body=b"hello!"), refuse())
    for label, name in [("underscore", b"Content_Length"), ("leading-space", b" Content-Length")]:
        yield Probe(
            "cl-name", label, request(target=b"/cl", fields=name + b": 5\r\n", body=b"hello"), refuse()
        )


# -- chunk syntax ------------------------------------------------------------------------------

_CHUNKS: list[tuple[str, bytes, bool]] = [
    ("plain", HELLO, True),
    ("upper-hex", b"A\r\nhellohello\r\n0\r\n\r\n", True),
    ("leading-zeros", b"0005\r\nhello\r\n00\r\n\r\n", True),
    ("ext-token", b"5;a\r\nhello\r\n0\r\n\r\n", True),
    ("ext-value", b"5;a=b\r\nhello\r\n0\r\n\r\n", True),
    ("ext-quoted", b'5;a="b c"\r\nhello\r\n0\r\n\r\n', True),
    ("ext-on-last", b"5\r\nhello\r\n0;a=b\r\n\r\n", True),
    ("trailer", b"5\r\nhello\r\n0\r\nX-T: 1\r\n\r\n", True),
    ("size-sp-before", b" 5\r\nhello\r\n0\r\n\r\n", False),
    ("size-tab-before", b"\t5\r\nhello\r\n0\r\n\r\n", False),
    ("size-sp-after", b"5 \r\nhello\r\n0\r\n\r\n", False),
    ("size-tab-after", b"5\t\r\nhello\r\n0\r\n\r\n", False),
    ("size-0x", b"0x5\r\nhello\r\n0\r\n\r\n", False),
    ("size-plus", b"+5\r\nhello\r\n0\r\n\r\n", False),
    ("size-minus", b"-5\r\nhello\r\n0\r\n\r\n", False),
    ("size-empty", b"\r\nhello\r\n0\r\n\r\n", False),
    ("size-not-hex", b"5g\r\nhello\r\n0\r\n\r\n", False),
    ("size-underscore", b"0_5\r\nhello\r\n0\r\n\r\n", False),
    ("size-overflow-2-64", b"10000000000000005\r\nhello\r\n0\r\n\r\n", False),
    ("size-huge-hex", b"f" * 32 + b"\r\nhello\r\n0\r\n\r\n", False),
    ("size-fullwidth", "\uff15\r\nhello\r\n0\r\n\r\n".encode(), False),
    ("ext-bare-cr", b"5;a\rb\r\nhello\r\n0\r\n\r\n", False),
    ("ext-bare-lf", b"5;a\nb\r\nhello\r\n0\r\n\r\n", False),
    ("ext-nul", b"5;a=\x00\r\nhello\r\n0\r\n\r\n", False),
    ("ext-quote-crlf", b'5;a="\r\n"\r\nhello\r\n0\r\n\r\n', False),
    ("ext-unterminated-quote", b'5;a="b\r\nhello\r\n0\r\n\r\n', False),
    ("ext-bare-quote", b'5;a"b\r\nhello\r\n0\r\n\r\n', False),
    ("ext-empty-name", b"5;=b\r\nhello\r\n0\r\n\r\n", True),  # llhttp and nginx take it; never forwarded
    ("ext-sp-in-value", b"5;a=b c\r\nhello\r\n0\r\n\r\n", False),
    ("ext-high-byte", b"5;a=\xc3\xa9\r\nhello\r\n0\r\n\r\n", False),
    ("data-longer", b"5\r\nhelloXX\r\n0\r\n\r\n", False),
    ("data-shorter", b"5\r\nhell\r\n0\r\n\r\n", False),
    ("data-no-crlf", b"5\r\nhello0\r\n\r\n", False),
    ("data-bare-lf", b"5\r\nhello\n0\r\n\r\n", False),
    ("data-bare-cr", b"5\r\nhello\r0\r\n\r\n", False),
    ("size-bare-lf", b"5\nhello\r\n0\r\n\r\n", False),
    ("last-bare-lf", b"5\r\nhello\r\n0\n\r\n", False),
    ("end-bare-lf", b"5\r\nhello\r\n0\r\n\n", False),
    ("all-lf", b"5\nhello\n0\n\n", False),
    ("end-cr-cr", b"5\r\nhello\r\n0\r\n\r\r\n", False),
    ("trailer-bare-lf", b"5\r\nhello\r\n0\r\nX: y\n\r\n", False),
    ("trailer-fold", b"5\r\nhello\r\n0\r\nX: y\r\n z\r\n\r\n", False),
    ("trailer-no-colon", b"5\r\nhello\r\n0\r\nXY\r\n\r\n", False),
    ("trailer-sp-before-colon", b"5\r\nhello\r\n0\r\nX : y\r\n\r\n", False),
    ("trailer-nul", b"5\r\nhello\r\n0\r\nX: a\x00b\r\n\r\n", False),
    ("trailer-content-length", b"5\r\nhello\r\n0\r\nContent-Length: 50\r\n\r\n", False),
    ("trailer-transfer-encoding", b"5\r\nhello\r\n0\r\nTransfer-Encoding: chunked\r\n\r\n", False),
]


def chunks() -> Iterator[Probe]:
    for label, body, ok in _CHUNKS:
        data = request(target=b"/c", fields=b"Transfer-Encoding: chunked\r\n", body=body)
        body_read = b"hellohello" if label == "upper-hex" else b"hello"
        yield Probe("chunk", label, data, accept(b"POST", b"/c", body_read) if ok else refuse())


CLASSES = (transfer_encoding, content_length, chunks, *HEAD_CLASSES, *FLOW_CLASSES)


def probes() -> list[Probe]:
    out = [probe for cls in CLASSES for probe in cls()]
    ids = [(p.cls, p.id) for p in out]
    assert len(ids) == len(set(ids)), "probe ids repeat"
    return out
