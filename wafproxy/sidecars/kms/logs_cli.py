"""``wafproxy logs decrypt PATH…``: the JSON lines of encrypted WAF log files, or a loud failure.

Every record is verified before anything is printed: a tampered, truncated or reordered file
prints nothing and exits 1 (``LogCryptError`` names the line), so a script piping the output never
processes half a file as if it were whole. ``--allow-open`` accepts a file whose writer has not
closed it yet (no end record: the live log); every record present is still verified.

Data keys are unwrapped by a KMS: ``--kms-endpoint URL`` (our sidecar, or ``wafproxy serve
--kms-listen``), else boto3's defaults (``AWS_ENDPOINT_URL_KMS``, then AWS itself); credentials
come from the standard AWS environment or profile, never from flags.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import sys
from pathlib import Path
from typing import Any

EXIT_TAMPERED = 1


def register(subparsers: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    logs = subparsers.add_parser("logs", help="read wafproxy's own log files")
    sub = logs.add_subparsers(dest="logs_command", required=True)
    dec = sub.add_parser("decrypt", help="print the records of encrypted WAF log files (--waf-log-kms-key)")
    dec.add_argument("paths", nargs="+", type=Path, metavar="PATH",
                     help="encrypted log files, printed in the order given (e.g. log.2 log.1 log)")
    dec.add_argument("--kms-endpoint", metavar="URL",
                     help="KMS URL (default: boto3's, e.g. $AWS_ENDPOINT_URL_KMS)")
    dec.add_argument("--region", default=None, help="default: $AWS_REGION / $AWS_DEFAULT_REGION / us-east-1")
    dec.add_argument("--allow-open", action="store_true",
                     help="accept a missing end record (a file still being written)")
    dec.set_defaults(func=_decrypt)


def _client(args: argparse.Namespace) -> Any:
    import boto3  # type: ignore[import-untyped]
    from botocore.config import Config  # type: ignore[import-untyped]

    from wafproxy.settings import SettingsError, kms_endpoint_url

    endpoint = None
    if args.kms_endpoint is not None:
        try:
            endpoint = kms_endpoint_url(args.kms_endpoint)
        except ValueError as exc:
            raise SettingsError("--kms-endpoint", str(exc)) from None
    region = (args.region or os.environ.get("AWS_REGION") or os.environ.get("AWS_DEFAULT_REGION")
              or "us-east-1")
    return boto3.session.Session().client("kms", endpoint_url=endpoint, region_name=region,
                                          config=Config(connect_timeout=5, read_timeout=10))


async def decrypt_file(provider: Any, path: Path, *, allow_open: bool = False) -> list[str]:
    """All records of one file (every segment), verified; raises ``LogCryptError`` otherwise."""
    from wafproxy.sidecars.kms.logcrypt import LogCryptError, TruncatedLogError, decrypt_lines, split_segments

    with path.open("rb") as fh:
        data = fh.read()
    try:
        text = data.decode("ascii")
    except UnicodeDecodeError as exc:
        # Every line we write is JSON or base64: a byte over 0x7f is damage, reported like any other
        # (it escaped as a UnicodeDecodeError traceback from `kms logs decrypt`; found by fuzzing).
        line = data.count(b"\n", 0, exc.start) + 1
        raise LogCryptError(line, "not ASCII: not a wafproxy encrypted log") from None
    lines = text.splitlines()
    out: list[str] = []
    segments = split_segments(lines)
    if not segments:
        raise LogCryptError(1, "empty file: not a wafproxy encrypted log")
    offset = 0
    for i, segment in enumerate(segments):
        try:
            for record in await decrypt_lines(provider, segment):
                out.append(record)  # kept only if the whole file verifies (or --allow-open)
        except TruncatedLogError as exc:
            last = i == len(segments) - 1
            if not (allow_open and last):
                raise TruncatedLogError(offset + exc.line, str(exc).split(": ", 1)[1]) from None
        except Exception as exc:
            at = getattr(exc, "line", None)
            if at is not None:
                raise type(exc)(offset + at, str(exc).split(": ", 1)[1]) from None
            raise
        offset += len(segment)
    return out


def _decrypt(args: argparse.Namespace) -> int:
    from botocore.exceptions import BotoCoreError, ClientError  # type: ignore[import-untyped]

    from wafproxy.awsapi.errors import AwsError
    from wafproxy.sidecars.kms.envelope import BotoKeyProvider
    from wafproxy.sidecars.kms.logcrypt import LogCryptError

    provider = BotoKeyProvider(_client(args))
    records: list[str] = []
    for path in args.paths:
        try:
            records.extend(asyncio.run(decrypt_file(provider, path, allow_open=args.allow_open)))
        except LogCryptError as exc:
            print(f"wafproxy: error: {path}: {exc}", file=sys.stderr)
            return EXIT_TAMPERED
        except UnicodeDecodeError:
            print(f"wafproxy: error: {path}: not a wafproxy encrypted log (binary data)", file=sys.stderr)
            return EXIT_TAMPERED
        except OSError as exc:
            print(f"wafproxy: error: {path}: {exc.strerror or exc}", file=sys.stderr)
            return EXIT_TAMPERED
        except (ClientError, BotoCoreError, AwsError) as exc:
            # InvalidCiphertextException here: the header's wrapped key or context was altered.
            print(f"wafproxy: error: {path}: the KMS refused the data key: {exc}", file=sys.stderr)
            return EXIT_TAMPERED
    sys.stdout.write("".join(r + "\n" for r in records))
    return 0
