"""``ClientToken`` idempotency for create operations (GuardDuty's CreateFilter, CreateIPSet…).

boto3 retries a create whose answer was lost; with the same ``ClientToken`` the service must answer
the first call's result instead of failing with "already exists" or creating a twin. The same token
with different parameters is the caller's mistake: AWS answers it with an idempotency error
(``conflict``). Bounded: the oldest tokens are forgotten first (AWS keeps them for hours, not
forever), so a client cannot grow the table without limit.
"""

from __future__ import annotations

import hashlib
import json
from collections import OrderedDict
from collections.abc import Callable, Mapping
from typing import Any

from wafproxy.awsapi.errors import AwsError

MAX_TOKENS = 1024


class ClientTokens:
    def __init__(self, conflict: Callable[[str], AwsError], *, max_tokens: int = MAX_TOKENS) -> None:
        self._conflict = conflict
        self._max = max_tokens
        self._seen: OrderedDict[tuple[str, str, str], tuple[str, Mapping[str, Any]]] = OrderedDict()

    @staticmethod
    def _digest(request: Mapping[str, Any]) -> str:
        raw = json.dumps(request, sort_keys=True, default=str, separators=(",", ":"))
        return hashlib.sha256(raw.encode()).hexdigest()

    def run(
        self,
        principal: str,
        operation: str,
        token: str | None,
        request: Mapping[str, Any],
        create: Callable[[], Mapping[str, Any]],
    ) -> Mapping[str, Any]:
        """``create()`` once per (principal, operation, token); a retry gets the first answer."""
        if not token:
            return create()
        key = (principal, operation, token)
        digest = self._digest({k: v for k, v in request.items() if k != "clientToken"})
        seen = self._seen.get(key)
        if seen is not None:
            if seen[0] != digest:
                raise self._conflict(
                    "The request uses the same client token as a previous, but non-identical request."
                )
            return seen[1]
        answer = create()
        self._seen[key] = (digest, answer)
        while len(self._seen) > self._max:
            self._seen.popitem(last=False)
        return answer
