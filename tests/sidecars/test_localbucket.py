"""``sidecars.localbucket``: no bucket name or key prefix an API caller gives reaches outside
``<state>/buckets`` or turns into a file-system error."""

from __future__ import annotations

from pathlib import Path

import pytest

from wafproxy.sidecars.localbucket import BadBucket, directory, split_s3_arn

REFUSED = [
    ("..", ""), ("a..b", ""), ("-ab", ""), ("ab-", ""), ("AB", ""), ("a/b", ""), ("ab", ""), ("a" * 64, ""),
    ("a\0b", ""), ("bucket", "../x"), ("bucket", "a/../../x"), ("bucket", "a//b"), ("bucket", "./a"),
    ("bucket", "a\\..\\b"), ("bucket", "a\0b"), ("bucket", "x" * 513), ("bucket", "y" * 256),
    ("bucket", "é" * 128),  # 256 bytes in UTF-8
]


@pytest.mark.parametrize(("bucket", "prefix"), REFUSED)
def test_names_that_would_leave_the_buckets_directory_are_refused(bucket: str, prefix: str) -> None:
    with pytest.raises(BadBucket):
        directory(Path("/state"), bucket, prefix)


def test_a_good_name_stays_below_the_buckets_directory(tmp_path: Path) -> None:
    where = directory(tmp_path, "my.bucket-1", "/reports/2026/" + "z" * 255)
    assert where.relative_to(tmp_path / "buckets").parts == ("my.bucket-1", "reports", "2026", "z" * 255)
    where.mkdir(parents=True)  # a segment of 255 bytes is a name the file system takes
    assert split_s3_arn("arn:aws:s3:::my.bucket-1/a/b") == ("my.bucket-1", "a/b")
    with pytest.raises(BadBucket):
        split_s3_arn("arn:aws:s3:::my.bucket-1/../../etc")
