"""The KMS state: keys, aliases, grants and (cached) material, over the durable ``KeyStore``.

Single source of truth in memory, written through to SQLite before a call is acknowledged. Key
references resolve the four ways AWS accepts (key id, key ARN, alias name, alias ARN). Authorization
combines the key policy, the caller's identity policy and grants the way AWS does: any explicit
Deny wins; otherwise the key policy must allow the caller directly, or allow the account (root) and
the identity policy allow too, or a grant must allow it.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass

from wafproxy.awsapi.authz import IdentityAuthorizer
from wafproxy.awsapi.errors import AwsError, access_denied
from wafproxy.awsapi.jsonproto import CallContext
from wafproxy.awsapi.params import Params
from wafproxy.awsapi.policy import Policy, RequestContext, parse_policy
from wafproxy.ports import Clock
from wafproxy.sidecars.kms.grants import Grant
from wafproxy.sidecars.kms.keystore import KeyStore
from wafproxy.sidecars.kms.material import new_material
from wafproxy.sidecars.kms.model import KeyRecord, KeyState

MAX_KEYS = 10_000  # per data dir; AWS's default quota is 100k per account/region
MAX_CACHED_KEYS = 4_096  # unwrapped material kept in memory
MAX_GRANTS_PER_KEY = 5_000  # AWS allows 50k per key; lower here keeps memory and checks bounded
MAX_GRANTS = 50_000  # all keys together


def default_key_policy(account: str) -> str:
    """AWS's default key policy: the account root may do everything, i.e. identity policies decide."""
    return (
        '{"Version":"2012-10-17","Id":"key-default-1","Statement":[{"Sid":"Enable IAM User Permissions",'
        f'"Effect":"Allow","Principal":{{"AWS":"arn:aws:iam::{account}:root"}},"Action":"kms:*","Resource":"*"}}]}}'
    )


def marker(p: Params, looks_issued: Callable[[str], bool], default: str = "") -> str:
    """A list call's ``Marker``: ours are the last item of the previous page, so a value that
    could not have been issued (another listing's, garbage) is ``InvalidMarkerException``, as KMS
    answers it, never a silently empty or restarted page."""
    value = p.str("Marker", required=False, default=default, max_len=320)
    if value != default and not looks_issued(value):
        raise AwsError(
            "InvalidMarkerException",
            "The marker that specifies where pagination should next begin is not valid.",
        )
    return value


def not_found(ref: str) -> AwsError:
    return AwsError("NotFoundException", f"Key '{ref[:256]}' does not exist")


@dataclass(frozen=True, slots=True)
class KmsConfig:
    region: str = "us-east-1"
    account: str = "123456789012"


class KmsCore:
    """State and invariants; the operation modules are thin functions over this."""

    def __init__(
        self,
        store: KeyStore,
        *,
        config: KmsConfig,
        identity_policies: Mapping[str, Policy] | None,
        clock: Clock,
    ) -> None:
        self.store = store
        self.clock = clock
        self.config = config
        self.identity = IdentityAuthorizer(identity_policies)
        self.lock = threading.RLock()
        self.records: dict[str, KeyRecord] = {r.key_id: r for r in store.load_records()}
        self.aliases: dict[str, str] = store.load_aliases()
        self.grants: dict[str, Grant] = {}  # grant id → grant
        self._grants_by_key: dict[str, dict[str, Grant]] = {}  # so a check scans one key's grants
        for text in store.load_grants():
            self._index_grant(Grant.from_json(text))
        self._policies: dict[str, Policy] = {}
        self._materials: dict[str, dict[int, bytes]] = {}
        self._next_purge = self._earliest_deletion()

    def _earliest_deletion(self) -> float:
        dates = [r.deletion_date for r in self.records.values() if r.deletion_date is not None]
        return min(dates, default=float("inf"))

    # -- naming ----------------------------------------------------------------------------------
    def key_arn(self, key_id: str) -> str:
        return f"arn:aws:kms:{self.config.region}:{self.config.account}:key/{key_id}"

    def alias_arn(self, name: str) -> str:
        return f"arn:aws:kms:{self.config.region}:{self.config.account}:{name}"

    def resolve(self, ref: str, now: float, *, allow_alias: bool = True) -> KeyRecord:
        """The key named by ``ref``; NotFoundException otherwise (also for keys past deletion)."""
        self.purge_expired(now)
        key_id = ref
        if ref.startswith("arn:"):
            parts = ref.split(":", 5)
            if len(parts) != 6 or parts[3] != self.config.region or parts[4] != self.config.account:
                raise not_found(ref)
            key_id = parts[5]
        if key_id.startswith("alias/"):
            if not allow_alias:
                raise AwsError("ValidationException", "An alias is not accepted here; use a key id or ARN")
            target = self.aliases.get(key_id)
            if target is None:
                raise AwsError("NotFoundException", f"Alias {self.alias_arn(key_id)} is not found.")
            key_id = target
        elif key_id.startswith("key/"):
            key_id = key_id[4:]
        rec = self.records.get(key_id)
        if rec is None:
            raise not_found(ref)
        if rec.valid_to is not None and now >= rec.valid_to:  # imported material expired
            rec = self.drop_material(rec)
        return rec

    # -- lifecycle -------------------------------------------------------------------------------
    def purge_expired(self, now: float) -> None:
        """Delete keys whose deletion window has passed (AWS deletes them at the deadline)."""
        if now < self._next_purge:
            return
        with self.lock:  # in-process callers (envelope) may run on other threads
            expired = [
                r.key_id
                for r in self.records.values()
                if r.state is KeyState.PENDING_DELETION
                and r.deletion_date is not None
                and r.deletion_date <= now
            ]
            for key_id in expired:
                self.store.delete_key(key_id)
                self.records.pop(key_id, None)
                self._materials.pop(key_id, None)
                self._policies.pop(key_id, None)
                self.aliases = {a: k for a, k in self.aliases.items() if k != key_id}
                for g in list(self._grants_by_key.pop(key_id, {}).values()):
                    self.grants.pop(g.grant_id, None)
            self._next_purge = self._earliest_deletion()

    def save(
        self, rec: KeyRecord, material: bytes | None = None, version: int | None = None, *, kind: str = ""
    ) -> KeyRecord:
        with self.lock:
            if rec.key_id not in self.records and len(self.records) >= MAX_KEYS:
                raise AwsError("LimitExceededException", f"Too many keys (limit {MAX_KEYS})")
            self.store.put_key(rec, material, version, created=self.clock.now(), kind=kind)
            self.records[rec.key_id] = rec
            self._policies.pop(rec.key_id, None)
            if rec.deletion_date is not None:
                self._next_purge = min(self._next_purge, rec.deletion_date)
            if material is not None and version is not None:
                cached = self._materials.get(rec.key_id)
                if cached is not None:
                    cached[version] = material
                elif version == 1:  # a new key: its only version. Otherwise load all versions lazily.
                    self._materials[rec.key_id] = {1: material}
            return rec

    def drop_material(self, rec: KeyRecord) -> KeyRecord:
        """An imported key's material goes (expiry, DeleteImportedKeyMaterial): PendingImport until
        the same material is imported again (a key pending deletion stays pending deletion)."""
        with self.lock:
            state = rec.state if rec.state is KeyState.PENDING_DELETION else KeyState.PENDING_IMPORT
            rec = rec.with_(state=state, valid_to=None)
            self.store.delete_materials(rec)
            self.records[rec.key_id] = rec
            self._materials.pop(rec.key_id, None)
            return rec

    def rotate(self, rec: KeyRecord, now: float, kind: str = "AUTOMATIC") -> KeyRecord:
        """New key material as a new version; old versions stay for decrypting old ciphertexts."""
        version = rec.current_version + 1
        nxt = now + rec.rotation_period_days * 86400 if rec.rotation_enabled else None
        return self.save(
            rec.with_(current_version=version, next_rotation=nxt), new_material(rec.spec), version, kind=kind
        )

    def maybe_rotate(self, rec: KeyRecord, now: float) -> KeyRecord:
        """Automatic rotation happens lazily, at the first use after the rotation date."""
        if rec.rotation_enabled and rec.next_rotation is not None and now >= rec.next_rotation:
            with self.lock:
                current = self.records[rec.key_id]
                if current.next_rotation is not None and now >= current.next_rotation:
                    return self.rotate(current, now)
                return current
        return rec

    def material(self, rec: KeyRecord, version: int | None = None) -> bytes:
        versions = self._materials.get(rec.key_id)
        if versions is None:
            versions = self.store.materials(rec.key_id)
            with self.lock:
                if len(self._materials) >= MAX_CACHED_KEYS:
                    self._materials.pop(next(iter(self._materials)))
                self._materials[rec.key_id] = versions
        got = versions.get(rec.current_version if version is None else version)
        if got is None:
            raise AwsError(
                "InvalidCiphertextException", "The ciphertext refers to key material that does not exist"
            )
        return got

    # -- grants ----------------------------------------------------------------------------------
    def _index_grant(self, grant: Grant) -> None:
        self.grants[grant.grant_id] = grant
        self._grants_by_key.setdefault(grant.key_id, {})[grant.grant_id] = grant

    def grants_for(self, key_id: str) -> list[Grant]:
        return list(self._grants_by_key.get(key_id, {}).values())

    def add_grant(self, grant: Grant) -> None:
        with self.lock:
            if len(self._grants_by_key.get(grant.key_id, {})) >= MAX_GRANTS_PER_KEY:
                raise AwsError(
                    "LimitExceededException", f"A key can have at most {MAX_GRANTS_PER_KEY} grants"
                )
            if len(self.grants) >= MAX_GRANTS:
                raise AwsError("LimitExceededException", f"Too many grants (limit {MAX_GRANTS})")
            self.store.put_grant(grant.grant_id, grant.key_id, grant.to_json())
            self._index_grant(grant)

    def remove_grant(self, grant: Grant) -> None:
        with self.lock:
            self.store.delete_grant(grant.grant_id)
            self.grants.pop(grant.grant_id, None)
            self._grants_by_key.get(grant.key_id, {}).pop(grant.grant_id, None)

    # -- state checks and authorization ----------------------------------------------------------
    @staticmethod
    def require_enabled(rec: KeyRecord) -> None:
        if rec.state is KeyState.DISABLED:
            raise AwsError("DisabledException", f"{rec.arn} is disabled.")
        if rec.state is KeyState.PENDING_DELETION:
            raise AwsError("KMSInvalidStateException", f"{rec.arn} is pending deletion.")
        if rec.state is KeyState.PENDING_IMPORT:
            raise AwsError("KMSInvalidStateException", f"{rec.arn} is pending import.")

    @staticmethod
    def require_not_pending(rec: KeyRecord) -> None:
        if rec.state is KeyState.PENDING_DELETION:
            raise AwsError("KMSInvalidStateException", f"{rec.arn} is pending deletion.")

    def key_policy(self, rec: KeyRecord) -> Policy:
        policy = self._policies.get(rec.key_id)
        if policy is None:
            policy = parse_policy(rec.policy, resource_policy=True)
            self._policies[rec.key_id] = policy
        return policy

    def _identity_allows(self, ctx: CallContext, req: RequestContext) -> tuple[bool, bool]:
        """(denied, allowed) by the caller's identity policy; no policy file means allow-all."""
        d = self.identity.decide(ctx.principal, req)
        return d.denied, d.allowed

    def authorize(
        self,
        ctx: CallContext,
        operation: str,
        rec: KeyRecord | None,
        context: Mapping[str, str] | None = None,
        extra: Mapping[str, tuple[str, ...]] | None = None,
    ) -> None:
        """AccessDeniedException unless ``kms:<operation>`` on ``rec`` is allowed for the caller."""
        action = f"kms:{operation}"
        resource = rec.arn if rec is not None else "*"
        keys: dict[str, tuple[str, ...]] = {
            "kms:CallerAccount": (ctx.principal.account,),
            "aws:username": (ctx.principal.name,),
        }
        if context is not None:
            keys["kms:EncryptionContextKeys"] = tuple(sorted(context))
            for k, v in context.items():
                keys[f"kms:EncryptionContext:{k}"] = (v,)
        if rec is not None:
            keys["kms:KeySpec"] = (rec.spec,)
            keys["kms:KeyUsage"] = (rec.usage.value,)
        if extra:
            keys.update(extra)
        req = RequestContext(action, resource, ctx.principal.arn, ctx.principal.account, keys)
        id_denied, id_allowed = self._identity_allows(ctx, req)
        if rec is None:
            allowed, denied = id_allowed, id_denied
        else:
            kp = self.key_policy(rec).evaluate(req)
            denied = id_denied or kp.denied
            allowed = (
                kp.allowed
                or (kp.allowed_account and id_allowed)
                or any(
                    g.allows(ctx.principal.arn, operation, context or {}) for g in self.grants_for(rec.key_id)
                )
            )
        if denied or not allowed:
            why = "with an explicit deny" if denied else "because no policy or grant allows it"
            raise access_denied(
                f"User: {ctx.principal.arn} is not authorized to perform: {action} "
                f"on resource: {resource} {why}"
            )
