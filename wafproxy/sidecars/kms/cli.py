"""``wafproxy kms …``: serve the KMS on its own port, make a root key, verify the audit chain.

``wafproxy/cli/__init__.py`` calls ``register(subparsers)``; ``python -m wafproxy.sidecars.kms``
runs the same commands standalone. Settings come from flags (``WAFPROXY_KMS_ROOT_KEY`` stands in for
``--root-key-file`` in development).
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path
from typing import Any

from wafproxy.awsapi.credentials import CredentialsError, CredentialStore
from wafproxy.awsapi.policy import PolicyError, load_principal_policies
from wafproxy.sidecars.kms.audit import verify_audit
from wafproxy.sidecars.kms.core import KmsConfig
from wafproxy.sidecars.kms.keystore import KeyStoreError
from wafproxy.sidecars.kms.rootkey import RootKeyError, init_root_key, load_root_key


def parse_listen(value: str) -> tuple[str, int]:
    """``HOST:PORT`` or ``[V6]:PORT``."""
    host, sep, port = value.rpartition(":")
    if not sep or not port.isdigit() or not 0 <= int(port) <= 65535:
        raise argparse.ArgumentTypeError(f"--listen {value!r}: expected HOST:PORT")
    return host.strip("[]") or "127.0.0.1", int(port)


def _flag(
    parser: argparse.ArgumentParser, flag: str, *, required: bool = False, default: Any = None, **kw: Any
) -> None:
    """A flag mirrored by ``WAFPROXY_KMS_<FLAG>``: flag > environment > default (as uvicorn does)."""
    env = "WAFPROXY_KMS_" + flag.lstrip("-").upper().replace("-", "_")
    value = os.environ.get(env, default)  # a string default is converted by argparse, errors reported by it
    parser.add_argument(flag, required=required and value is None, default=value, **kw)


def register(subparsers: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    kms = subparsers.add_parser("kms", help="the KMS sidecar (AWS KMS API, boto3-compatible)")
    sub = kms.add_subparsers(dest="kms_command", required=True)

    serve = sub.add_parser(
        "serve",
        help="serve the KMS API on its own port",
        epilog="Every flag FOO-BAR can also be set as $WAFPROXY_KMS_FOO_BAR.",
    )
    _flag(serve, "--listen", type=parse_listen, default="127.0.0.1:8700", metavar="HOST:PORT")
    _flag(serve, "--data-dir", type=Path, required=True, help="keystore (SQLite) and audit log")
    _flag(
        serve,
        "--root-key-file",
        type=Path,
        help="64 hex chars, mode 0600; created if missing (else $WAFPROXY_KMS_ROOT_KEY)",
    )
    _flag(serve, "--credentials", type=Path, required=True, help="AWS shared-credentials INI file")
    _flag(serve, "--policy-file", type=Path, help="principal name → IAM policy JSON")
    _flag(serve, "--region", default="us-east-1")
    _flag(serve, "--account", default="123456789012")
    _flag(serve, "--ssl-certfile")
    _flag(serve, "--ssl-keyfile")
    _flag(serve, "--log-level", default="warning")
    serve.set_defaults(func=_serve)

    init = sub.add_parser("init-root-key", help="write a new root key file (0600)")
    init.add_argument("path", type=Path)
    init.set_defaults(func=_init_root_key)

    verify = sub.add_parser("verify-audit", help="check the audit log's hash chain")
    verify.add_argument("--data-dir", type=Path, required=True)
    verify.set_defaults(func=_verify_audit)


def _serve(args: argparse.Namespace) -> int:
    import uvicorn

    from wafproxy.sidecars.kms.service import KmsService

    try:
        root_key = load_root_key(args.root_key_file)
        credentials = CredentialStore.load(args.credentials, account=args.account)
        policies = (
            load_principal_policies(
                args.policy_file.read_text(encoding="utf-8"), source=str(args.policy_file)
            )
            if args.policy_file
            else None
        )
        service = KmsService.open(
            data_dir=args.data_dir,
            root_key=root_key,
            credentials=credentials,
            identity_policies=policies,
            config=KmsConfig(args.region, args.account),
        )
    except (RootKeyError, CredentialsError, PolicyError, KeyStoreError, OSError, ValueError) as exc:
        print(f"wafproxy kms: {exc}", file=sys.stderr)
        return 2
    host, port = args.listen
    config = uvicorn.Config(
        service.app,
        host=host,
        port=port,
        lifespan="off",
        log_level=args.log_level,
        http="httptools",
        loop="uvloop",
        access_log=False,
        ssl_certfile=args.ssl_certfile,
        ssl_keyfile=args.ssl_keyfile,
    )
    scheme = "https" if args.ssl_certfile else "http"
    print(
        f"wafproxy kms serving {scheme}://{host}:{port} ({len(credentials.principals)} principals, "
        f"{len(service.core.records)} keys)",
        flush=True,
    )
    try:
        uvicorn.Server(config).run()
    finally:
        service.close()
    return 0


def _init_root_key(args: argparse.Namespace) -> int:
    try:
        init_root_key(args.path)
    except FileExistsError:
        print(f"wafproxy kms: {args.path} exists; refusing to overwrite a root key", file=sys.stderr)
        return 1
    print(f"wrote {args.path} (0600)")
    return 0


def _verify_audit(args: argparse.Namespace) -> int:
    if not (args.data_dir / "audit.jsonl").exists():
        print(f"wafproxy kms: no audit log in {args.data_dir}", file=sys.stderr)
        return 1
    result = verify_audit(args.data_dir)
    if result.ok:
        print(f"audit log intact: {result.count} records, head {result.head}")
        return 0
    print(f"audit log BROKEN at record {result.bad_line}: {result.reason}", file=sys.stderr)
    return 1


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m wafproxy.sidecars.kms")
    register(parser.add_subparsers(dest="command", required=True))
    args = parser.parse_args(["kms", *(sys.argv[1:] if argv is None else argv)])
    return int(args.func(args))
