"""How a piece of a streamed body is shown to the managed groups (``bodystream``'s helpers).

A piece cut out of the middle of a body differs from a whole body in ways the rules notice: it can
start inside a word (a stray quote reads as SQL), inside a JSON string (no parser accepts it), or
inside binary data (random bytes look like markup). These functions make the piece read like the
text it is part of. Linear time on attacker input (RE2, ``bytes`` methods).
"""

from __future__ import annotations

from collections.abc import Callable

import re2

# A JSON string literal, and the first quote that opens one (after a structural character: inside
# a string a quote is escaped, so "[{[,:] then a quote" cannot start mid-string).
_JSON_STRING = re2.compile(rb'"(?:[^"\\]|\\.)*"')
_JSON_OPENING = re2.compile(rb'[{\[,:]\s*"')
_PRINTABLE_RUN = re2.compile(rb"[\t\n\r\x20-\x7e]{8,}")


def aligned(whole: bytes, start: int, limit: int) -> int:
    """``start`` moved past the next separator (``&``, newline, space) before ``limit``: a region
    cut in the middle of a word can start with a stray quote (``'t in …`` of "don't") that reads
    as SQL to the groups, where the same text in a first window would not."""
    if start == 0:
        return 0
    for sep in (b"&", b"\n", b" "):
        at = whole.find(sep, start, min(limit, start + 512))
        if at >= 0:
            return at + 1
    return start


def is_binary(block: bytes) -> bool:
    """Not text: a NUL in ASCII, or bytes that are not UTF-8 (the block's ends may cut a character)."""
    if block.isascii():
        return 0 in block  # an int: ``bytes in bytes`` raises and clears a TypeError first
    start = 0
    while start < 3 and 0x80 <= block[start] < 0xC0:
        start += 1
    try:
        block[start:].decode("utf-8")
    except UnicodeDecodeError as exc:
        return not (exc.end == len(block) - start and exc.reason == "unexpected end of data")
    return False


def printable_runs(region: bytes) -> bytes:
    """The runs of 8+ printable ASCII characters of binary data, one per line (``strings``)."""
    return b"\n".join(m.group(0) for m in _PRINTABLE_RUN.finditer(region))


def lift_json_strings(region: bytes, keep: Callable[[bytes], bool] | None = None) -> bytes:
    """The complete string literals of a piece of a JSON text (those ``keep`` keeps), as the
    values of one JSON object (``json_strings``, ``as_json_object``)."""
    return as_json_object(json_strings(region, keep))


def json_strings(region: bytes, keep: Callable[[bytes], bool] | None = None) -> list[bytes]:
    """The complete string literals of a piece of a JSON text (those ``keep`` keeps).

    A tail of a JSON body cannot be parsed, but its strings can be found: from the first quote
    that opens one, each literal in turn (structure between strings holds no quote)."""
    opening = _JSON_OPENING.search(region)
    if opening is None:
        return []
    found = [m.group(0) for m in _JSON_STRING.finditer(region, opening.end() - 1)]
    return found if keep is None else [literal for literal in found if keep(literal)]


def as_json_object(literals: list[bytes]) -> bytes:
    """JSON string literals as the values of one object: the engine parses it and the groups see
    each value unescaped (``\\u003c`` is ``<``), as they would in the first window. An object, as
    JSON bodies mostly are: its raw text then reads like the original to the groups that also look
    at raw JSON (an array of bare strings reads differently)."""
    if not literals:
        return b"{}"
    return b"{" + b", ".join(b'"%d": %b' % (i, literal) for i, literal in enumerate(literals)) + b"}"


# A file part's header block and the blank line after it (a part's headers are short).
_PART_HEAD_END = re2.compile(rb"\r?\n\r?\n")
# Printable runs of an uploaded binary file worth reading: 16+ characters. Compressed data has a
# run of 8 every few KB (junk with quotes and operators in it) but almost never one of 16; a
# script, a tag or a command hidden in the file is longer.
_UPLOAD_TEXT_RUN = re2.compile(rb"[\t\n\r\x20-\x7e]{16,}")


def _file_text(data: bytes) -> bytes:
    """What the managed groups read of file bytes: their printable runs of 16+ characters, joined
    by a space (a newline would make blank lines, where a value starts)."""
    return b" ".join(m.group(0) for m in _UPLOAD_TEXT_RUN.finditer(data))
MAX_UPLOAD_PARTS = 64


# Bytes that text is made of (printable ASCII, whitespace) and the UTF-8 bytes of other scripts.
_TEXT_BYTES = bytes([9, 10, 13, *range(0x20, 0x7F)])
_SAMPLE = 4096
# The start of a Java serialization stream (magic 0xACED, version 5): JavaDeserializationRCE's bytes.
_JAVA_STREAM = b"\xac\xed\x00\x05"


def binary_body_as_text(body: bytes) -> bytes | None:
    """A whole body of file bytes (``PUT /files/x``, a ``fetch`` of a ``File``, ``curl
    --data-binary @photo.jpg``, whatever media type it claims) as its printable runs of 16+
    characters, as ``binary_uploads_as_text`` reads a multipart file part; None for any other body.
    File bytes: its first 4 KiB are not UTF-8 text (``is_binary``) and at least a tenth of them are
    control or high bytes, so a text body with one stray NUL or one Latin-1 letter stays text
    (an attack does not hide behind a single odd byte)."""
    sample = body[:_SAMPLE]
    if not sample or not is_binary(sample) or len(sample.translate(None, _TEXT_BYTES)) * 10 < len(sample):
        return None
    if _JAVA_STREAM in body:
        return None  # a serialized Java object is binary by nature: the rules read its magic bytes
    return _file_text(body)


def binary_uploads_as_text(body: bytes, boundary: str) -> bytes | None:
    """A multipart body with the content of each *binary file part* (a part with a ``filename``
    whose bytes are not text, ``is_binary``) replaced by its printable runs of 16+ characters, or
    None when no part is binary. What the managed groups read of a photo or a PDF: random bytes of
    compressed data read as markup, quotes and shell syntax (a 16 KB JPEG trips one rule or another
    two times in three), while a script or markup hidden in the file is a run of printable text and
    stays. Text parts and form fields are unchanged. At most ``MAX_UPLOAD_PARTS`` parts; linear."""
    delimiter = b"--" + boundary.encode("latin-1", "replace")
    pieces = body.split(delimiter, MAX_UPLOAD_PARTS)
    changed = False
    for i, piece in enumerate(pieces[1:], 1):
        head = _PART_HEAD_END.search(piece)
        if head is None or b"filename" not in piece[: head.start()].lower():
            continue
        content = piece[head.end() :]
        tail = len(content) - len(content.rstrip(b"\r\n"))
        data = content[: len(content) - tail]
        if data and is_binary(data) and _JAVA_STREAM not in data:
            pieces[i] = piece[: head.end()] + _file_text(data) + content[len(content) - tail :]
            changed = True
    return delimiter.join(pieces) if changed else None
