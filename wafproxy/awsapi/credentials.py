"""Principals and their access keys, from an AWS shared-credentials INI file.

Each section is one principal named by the section (``[alice]``), with ``aws_access_key_id`` and
``aws_secret_access_key`` (optionally ``aws_session_token``), exactly the file the aws CLI reads, so
the same file configures the server and its clients. Secrets never appear in ``repr`` or logs.
"""

from __future__ import annotations

import configparser
from dataclasses import dataclass, field
from pathlib import Path

DEFAULT_ACCOUNT = "123456789012"


class CredentialsError(Exception):
    """The credentials file is unusable; ``path`` names the file and section."""

    def __init__(self, path: str, message: str) -> None:
        super().__init__(f"{path}: {message}")
        self.path = path


@dataclass(frozen=True, slots=True)
class Principal:
    """An authenticated caller. ``arn`` is what policies name in ``Principal`` and audit logs record."""

    name: str
    access_key_id: str
    account: str = DEFAULT_ACCOUNT
    secret_access_key: str = field(default="", repr=False)
    session_token: str | None = field(default=None, repr=False)

    @property
    def arn(self) -> str:
        return f"arn:aws:iam::{self.account}:user/{self.name}"


@dataclass(frozen=True, slots=True)
class CredentialStore:
    """Access key id → principal. Lookup by key id is not secret; the secret is only used to sign."""

    by_access_key: dict[str, Principal]

    def lookup(self, access_key_id: str) -> Principal | None:
        return self.by_access_key.get(access_key_id)

    @property
    def principals(self) -> list[Principal]:
        return list(self.by_access_key.values())

    @classmethod
    def from_principals(cls, principals: list[Principal]) -> CredentialStore:
        table: dict[str, Principal] = {}
        for p in principals:
            if p.access_key_id in table:
                raise CredentialsError(p.name, f"access key id reused by {table[p.access_key_id].name!r}")
            table[p.access_key_id] = p
        return cls(table)

    @classmethod
    def load(cls, path: str | Path, *, account: str = DEFAULT_ACCOUNT) -> CredentialStore:
        return cls.parse(Path(path).read_text(encoding="utf-8"), source=str(path), account=account)

    @classmethod
    def parse(
        cls, text: str, *, source: str = "<credentials>", account: str = DEFAULT_ACCOUNT
    ) -> CredentialStore:
        parser = configparser.ConfigParser(interpolation=None)
        try:
            parser.read_string(text, source=source)
        except configparser.Error as exc:
            raise CredentialsError(source, f"not an INI file: {exc.__class__.__name__}") from None
        principals: list[Principal] = []
        for section in parser.sections():
            where = f"{source}[{section}]"
            items = parser[section]
            known = {"aws_access_key_id", "aws_secret_access_key", "aws_session_token", "account"}
            unknown = set(items) - known
            if unknown:
                # Never accept an option and ignore it (STYLE principle 4).
                raise CredentialsError(where, f"unsupported keys {sorted(unknown)}")
            key_id = items.get("aws_access_key_id", "").strip()
            secret = items.get("aws_secret_access_key", "").strip()
            if not key_id or not secret:
                raise CredentialsError(where, "needs aws_access_key_id and aws_secret_access_key")
            principals.append(
                Principal(
                    name=section,
                    access_key_id=key_id,
                    account=items.get("account", account).strip(),
                    secret_access_key=secret,
                    session_token=(items.get("aws_session_token") or "").strip() or None,
                )
            )
        if not principals:
            raise CredentialsError(source, "no principals defined")
        return cls.from_principals(principals)
