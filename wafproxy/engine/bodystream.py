"""Whole-body inspection by the managed groups: the body past the inspection limit, as it streams.

A wafproxy extension (issue 15), not AWS WAF behaviour. AWS inspects the first N KB of a body
(``AssociationConfig``, 16 KB by default) and leaves the rest to ``OversizeHandling``; an attack
after 16-128 KB of harmless padding then passes every rule. User-written rules keep exactly that
(the first evaluation sees the first N KB, nothing else). The *managed* groups additionally see
the rest of the body, up to ``StreamPolicy.cap``, here:

* ``BodyStream.feed(chunk)`` collects bytes; every ``window`` bytes it scans them (no I/O, no
  clock: the adapter reads and forwards). The adapter forwards only scanned bytes, so the last
  window is held back until its scan is done and a match can still stop the request.
* A scan runs the trigger set (``bodytriggers``, one linear multi-pattern scan) over each
  ``block`` of the window; a block that hits is narrowed by halving to the pieces that hit, and
  those, with ``_AROUND`` bytes either side, are handed (batched, one line each) to the managed
  groups as the body of a request with the original method, path, query and headers: the rules'
  own transformations, regexes and detectors decide, so a streamed match is a real match of a
  named managed rule (the decision logged and counted like any block).
* ``context`` bytes of the previous window are carried into the next, so a payload split across
  a chunk or window boundary is found if it is shorter than ``context``.
* Multipart bodies (file uploads) and binary media types use the upload trigger set only
  (``bodytriggers.UPLOAD``): web shells, server scripts, active content in SVG/HTML.
* Past ``cap``: ``oversize`` CONTINUE (the managed groups' own ``OversizeHandling``: the rest is
  forwarded uninspected) or MATCH (the request is refused, rule ``wafproxy_BodyOverInspectionCap``).

Memory per request: the pending window (< ``window`` + one chunk), ``context`` bytes carried, and
the batch of regions handed to the rules (< ``_MAX_RUN`` + 2 × ``_AROUND``): about 100 KB with the
defaults, whatever the body's size. The adapter holds back at most the pending window's raw bytes as well.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import Literal

from wafproxy.engine.actions import RuleAction
from wafproxy.engine.bodyregions import aligned, as_json_object, is_binary, json_strings, printable_runs
from wafproxy.engine.bodytriggers import Triggers, trigger_set
from wafproxy.engine.compiler import CompiledWebACL
from wafproxy.engine.decision import Action, Decision, RuleType
from wafproxy.engine.evaluation import evaluate
from wafproxy.engine.plan import plan as plan_steps
from wafproxy.engine.request import WafRequest
from wafproxy.engine.rules import CompiledRule
from wafproxy.engine.views import looks_like_json

OVER_CAP_RULE_ID = "wafproxy_BodyOverInspectionCap"
_PLANS: dict[int, tuple[CompiledWebACL, StreamPlan | None]] = {}
_MAX_PLANS = 8  # ACLs alive at once: the current one and those of in-flight requests after reloads
_JSON_HEADERS = (("content-type", "application/json"),)
_OVERLAP = 64  # bytes a trigger scan starts before its block (longer than any trigger)
_FINE = 256  # bytes of the pieces a flagged block is narrowed to (by halving it)
_AROUND = 512  # bytes either side of a flagged piece the rules read with it
_MAX_RUN = 32 * 1024  # bytes of flagged regions one evaluation reads (a run of pieces, a batch)
# Text bytes (tab, newlines, printable ASCII, UTF-8 continuation/lead bytes count as binary: a
# file whose region is mostly outside this is binary). Its printable runs are what the rules read.
_BINARY_CONTEXT = 512  # bytes either side of a binary block whose text runs are read


@dataclass(frozen=True, slots=True)
class StreamPolicy:
    """How far past the inspection limit the managed groups read, and what happens beyond."""

    cap: int = 1 << 20  # bytes of body inspected in all; 0 turns streamed inspection off
    oversize: Literal["CONTINUE", "MATCH"] = "CONTINUE"
    window: int = 64 * 1024  # bytes scanned at once, and at most held back from the upstream
    block: int = 8 * 1024  # trigger-scan granularity: a flagged block goes to the rules
    context: int = 2048  # bytes carried across windows (a split payload shorter than this is found)

    def __post_init__(self) -> None:
        if self.cap < 0:
            raise ValueError("cap must be >= 0")
        if self.oversize not in ("CONTINUE", "MATCH"):
            raise ValueError(f"oversize must be CONTINUE or MATCH, got {self.oversize!r}")
        if not 0 < self.context < self.block <= self.window:
            raise ValueError("need 0 < context < block <= window")


@dataclass(frozen=True, slots=True)
class StreamPlan:
    """What a compiled ACL streams through: its managed group references alone, and the triggers;
    for uploads, only the upload classes' rules (``UPLOAD_RULES``) and triggers."""

    acl: CompiledWebACL
    general: Triggers
    upload_acl: CompiledWebACL
    upload: Triggers


# The managed rules that inspect a file upload's content (by name prefix, ``_BODY`` rules only):
# cross-site scripting (SVG / HTML files), PHP code and server scripts, configuration files a web
# shell would plant. SQL, shell words, NoSQL, LDAP ... in a stored file are data (docs/managed-rules.md).
UPLOAD_RULES = ("CrossSiteScripting", "PHP", "ServerScriptUpload", "UNIXConfigFileUpload")


def stream_plan(acl: CompiledWebACL) -> StreamPlan | None:
    """The plan of ``acl`` (built once per ACL), or None when it references no managed group."""
    found = _PLANS.get(id(acl))
    if found is not None and found[0] is acl:
        return found[1]
    managed = tuple(rule for rule in acl.rules
                    if rule.group is not None and rule.group.rule_type is RuleType.MANAGED_RULE_GROUP)
    plan = None
    if managed:
        # Same pattern groups (the statements index into them); only the managed references run,
        # and a request none of them blocks is allowed.
        only = dataclasses.replace(acl, rules=managed, steps=managed,
                                   default_action=RuleAction(Action.ALLOW))
        uploads = tuple(_only_upload_rules(rule) for rule in managed)
        upload_acl = dataclasses.replace(only, rules=uploads, steps=uploads)
        plan = StreamPlan(only, trigger_set(upload=False), upload_acl, trigger_set(upload=True))
    while len(_PLANS) >= _MAX_PLANS:
        del _PLANS[next(iter(_PLANS))]
    _PLANS[id(acl)] = (acl, plan)
    return plan


_UPLOAD_TYPES = ("multipart/", "application/octet-stream", "image/", "audio/", "video/", "font/",
                 "application/zip", "application/gzip", "application/pdf", "application/x-tar",
                 "application/x-7z", "application/x-rar", "application/x-bzip", "application/x-xz")


def _only_upload_rules(rule: CompiledRule) -> CompiledRule:
    group = rule.group
    assert group is not None
    kept = tuple(r for r in group.rules if r.name.startswith(UPLOAD_RULES) and r.name.endswith("_BODY"))
    return dataclasses.replace(rule, group=dataclasses.replace(group, rules=kept, steps=plan_steps(kept)))


def is_upload(request: WafRequest) -> bool:
    """Multipart bodies and binary media: scanned with the upload triggers only (file contents)."""
    values = request.header_values("content-type")
    return bool(values) and values[0].lower().lstrip().startswith(_UPLOAD_TYPES)


class BodyStream:
    """The managed groups' scan of one request's body past the first window."""

    __slots__ = ("plan", "policy", "head", "triggers", "rules", "json", "offset", "_pending", "_size",
                 "_carry", "scans", "confirms", "over_cap")

    def __init__(self, plan: StreamPlan, policy: StreamPolicy, head: WafRequest) -> None:
        """``head``: the request as first evaluated (its ``body``: the bytes already inspected)."""
        self.plan = plan
        self.policy = policy
        self.head = head
        upload = is_upload(head)
        self.triggers = plan.upload if upload else plan.general
        self.rules = plan.upload_acl if upload else plan.acl
        ctype = head.header_values("content-type")
        self.json = bool(ctype and "json" in ctype[0].lower()) or looks_like_json(head.body)
        self.offset = len(head.body)  # body bytes seen so far (scanned or pending)
        self._pending: list[bytes] = []
        self._size = 0
        self._carry = head.body[-policy.context:]
        self.scans = 0  # trigger-scanned blocks, and blocks handed to the rules (for tests, metrics)
        self.confirms = 0
        self.over_cap = False

    @property
    def pending(self) -> int:
        """Bytes fed but not scanned yet: the adapter holds them back from the upstream."""
        return self._size

    def feed(self, chunk: bytes) -> Decision | None:
        """Add ``chunk`` (the next body bytes); scan when a window is full. A decision: refuse."""
        if not chunk or self.over_cap:
            return None
        room = self.policy.cap - self.offset
        if room <= 0:
            return self._past_cap()
        self.offset += len(chunk)
        if len(chunk) > room:
            chunk = chunk[:room]
        self._pending.append(chunk)
        self._size += len(chunk)
        if self._size >= self.policy.window:
            found = self.flush()
            if found is not None:
                return found
        return self._past_cap() if self.offset > self.policy.cap else None

    def flush(self) -> Decision | None:
        """Scan what is pending now (the body ended, or the adapter must release held bytes)."""
        if not self._size:
            return None
        data = b"".join(self._pending)
        self._pending.clear()
        self._size = 0
        carry = self._carry
        self._carry = data[-self.policy.context:] if len(data) >= self.policy.context else \
            (carry + data)[-self.policy.context:]
        return self._scan(carry, data)

    def finish(self) -> Decision | None:
        """The body ended: scan the rest, then its last bytes as an end (``_at_end``)."""
        found = self.flush()
        if found is not None or self.over_cap:
            return found
        return self._at_end()

    def _at_end(self) -> Decision | None:
        """Triggers anchored at the body's end (``1'`` closing it): the block scans never see an
        end, only cuts, so the last bytes are scanned once more followed by a newline, and only a
        trigger that this alone adds sends them to the rules."""
        tail = self._carry[-_OVERLAP:]
        scan = self.triggers.hits
        if not tail or scan(tail + b"\n") <= scan(tail):
            return None
        return self._confirm_regions([self._carry])

    def _past_cap(self) -> Decision | None:
        self.over_cap = True
        found = self.flush()
        if found is not None or self.policy.oversize == "CONTINUE":
            return found
        return Decision(Action.BLOCK, terminating_rule_id=OVER_CAP_RULE_ID, oversize=True)

    def _scan(self, carry: bytes, data: bytes) -> Decision | None:
        whole = carry + data
        step = self.policy.block
        scan = self.triggers.hits
        upload = self.rules is self.plan.upload_acl
        runs: list[tuple[int, int]] = []
        for at in range(len(carry), len(whole), step):
            self.scans += 1
            block = whole[max(0, at - _OVERLAP):at + step]
            if upload and is_binary(block):
                found = self._binary(whole[max(0, at - _BINARY_CONTEXT):at + step + _BINARY_CONTEXT])
                if found is not None:
                    return found
                continue
            # A trigger across the block's start is seen: the scan starts a little before it.
            if scan(block):
                for lo, hi in self._flagged(whole, at, min(at + step, len(whole))):
                    # Pieces whose regions would overlap: one evaluation, no byte read twice.
                    if runs and lo - runs[-1][1] <= 2 * _AROUND and hi - runs[-1][0] <= _MAX_RUN:
                        runs[-1] = (runs[-1][0], hi)
                    else:
                        runs.append((lo, hi))
        return self._confirm_regions([whole[aligned(whole, max(0, lo - _AROUND), lo):hi + _AROUND]
                                      for lo, hi in runs])

    def _binary(self, region: bytes) -> Decision | None:
        """A block of a binary upload (image, archive): random bytes look like markup to the XSS
        detector, so triggers and rules read its text runs only, as ``strings`` prints them (a PHP
        shell in a JPEG comment is such a run)."""
        text = printable_runs(region)
        if not text or not self.triggers.hits(text):
            return None
        self.confirms += 1
        return self._confirm(text, None)

    def _flagged(self, whole: bytes, lo: int, hi: int) -> list[tuple[int, int]]:
        """The pieces (down to ``_FINE`` bytes) of the flagged span ``lo:hi`` that hit a trigger
        themselves, found by halving: the rules then read ``_AROUND`` bytes either side of each,
        not the whole block (the confirmations are the scan's cost). A span neither of whose
        halves hits (a trigger longer than ``_OVERLAP`` across the middle) stays whole."""
        if hi - lo <= _FINE:
            return [(lo, hi)]
        mid = lo + (hi - lo) // 2
        scan = self.triggers.hits
        left = bool(scan(whole[max(0, lo - _OVERLAP):mid]))
        right = bool(scan(whole[max(0, mid - _OVERLAP):hi]))
        if not (left or right):
            return [(lo, hi)]
        if left and right and hi - lo <= 4 * _AROUND:
            return [(lo, hi)]  # both halves hit: their regions would merge anyway
        return ((self._flagged(whole, lo, mid) if left else [])
                + (self._flagged(whole, mid, hi) if right else []))

    def _confirm_regions(self, regions: list[bytes]) -> Decision | None:
        """The rules' decision on the flagged regions, read together up to ``_MAX_RUN`` bytes at
        a time (one line each): an evaluation has a fixed cost (~0.1 ms, its many transformation
        chains and scans), so sparse hits cost that once per batch, not once per hit."""
        batch: list[bytes] = []
        size = 0
        for region in regions:
            if batch and size + len(region) > _MAX_RUN:
                found = self._confirm_batch(batch)
                if found is not None:
                    return found
                batch, size = [], 0
            batch.append(region)
            size += len(region) + 1
        return self._confirm_batch(batch) if batch else None

    def _confirm_batch(self, regions: list[bytes]) -> Decision | None:
        self.confirms += 1
        raw = self._confirm(b"\n".join(regions), None)
        if raw is not None or not self.json:
            return raw
        # Pieces of JSON: raw (with its JSON content type, as the first window: the groups that
        # skip raw JSON skip it), then their strings as a JSON document of their own; only the
        # strings that hit a trigger (each JSON value costs the groups a scan of its own).
        scan = self.triggers.hits
        literals = [literal for region in regions
                    for literal in json_strings(region, lambda literal: bool(scan(literal)))]
        return self._confirm(as_json_object(literals), _JSON_HEADERS) if literals else None

    def _confirm(self, body: bytes, headers: tuple[tuple[str, str], ...] | None) -> Decision | None:
        """The managed groups' decision on ``body`` as the body of the head request, if refused."""
        request = dataclasses.replace(self.head, body=body, body_size=len(body))
        if headers is not None:
            kept = tuple(h for h in self.head.headers if h[0].lower() != "content-type")
            request = dataclasses.replace(request, headers=kept + headers, _lowered=None)
        decision = evaluate(self.rules, request)
        return None if decision.action in (Action.ALLOW, Action.COUNT) else decision
