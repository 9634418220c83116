"""A local directory standing in for an S3 bucket: where GuardDuty's publishing destinations and
Inspector2's findings reports and SBOM exports write.

``s3://<bucket>/<prefix>/…`` is ``<state>/buckets/<bucket>/<prefix>/…`` where ``<state>`` is the
sidecar's state directory (``--state-dir``'s ``.wafproxy/``, beside the detector's and assessor's
own state). Bucket names follow S3's rules (3-63 characters of lowercase letters, digits, ``.``
and ``-``, starting and ending with a letter or digit, no ``..``) and a key prefix is checked
segment by segment (no empty, ``.`` or ``..`` segment, no backslash or NUL), so no name reaches
outside ``<state>/buckets``. Checked with plain character tests: no regex on caller input.
"""

from __future__ import annotations

from pathlib import Path

BUCKETS_DIR = "buckets"
MAX_SEGMENT_BYTES = 255  # NAME_MAX of the file systems the state lives on
_BUCKET_CHARS = frozenset("abcdefghijklmnopqrstuvwxyz0123456789.-")


class BadBucket(ValueError):
    """A bucket name or key prefix S3 would refuse (or that would leave the buckets directory)."""


def check_bucket(name: str) -> str:
    if not 3 <= len(name) <= 63 or not set(name) <= _BUCKET_CHARS:
        raise BadBucket("bucket names are 3-63 characters of lowercase letters, digits, '.' and '-'")
    if not (name[0].isalnum() and name[-1].isalnum()) or ".." in name:
        raise BadBucket("bucket names start and end with a letter or digit and have no '..'")
    return name


def check_prefix(prefix: str) -> tuple[str, ...]:
    """A key prefix's segments (``""``: none). Each segment becomes a directory or file name, so
    it is held to the file system's 255 bytes here: a longer one is the caller's error, not a
    500 from ``mkdir``."""
    if len(prefix) > 512 or "\\" in prefix or "\0" in prefix:
        raise BadBucket("key prefixes are at most 512 characters, without backslash or NUL")
    parts = tuple(prefix.strip("/").split("/")) if prefix.strip("/") else ()
    if any(p in ("", ".", "..") for p in parts):
        raise BadBucket("key prefixes have no empty, '.' or '..' segment")
    if any(len(p.encode("utf-8", "surrogatepass")) > MAX_SEGMENT_BYTES for p in parts):
        raise BadBucket(f"a key prefix's segments are at most {MAX_SEGMENT_BYTES} bytes each")
    return parts


def directory(state: Path, bucket: str, prefix: str = "") -> Path:
    """The directory for ``s3://bucket/prefix`` under ``state`` (not created)."""
    return state.joinpath(BUCKETS_DIR, check_bucket(bucket), *check_prefix(prefix))


def split_s3_arn(arn: str) -> tuple[str, str]:
    """``arn:aws:s3:::bucket/prefix`` → (bucket, prefix)."""
    head = "arn:aws:s3:::"
    if not arn.startswith(head):
        raise BadBucket("the destination must be an S3 bucket ARN (arn:aws:s3:::bucket[/prefix])")
    bucket, _, prefix = arn[len(head) :].partition("/")
    check_bucket(bucket)
    check_prefix(prefix)
    return bucket, prefix
