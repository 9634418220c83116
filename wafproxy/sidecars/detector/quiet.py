"""Which requests only the counting scenarios (flood, volume) can act on: one memo lookup for most.

Most traffic is a browser asking for an ordinary page and getting it. For such a request the
scanner, path-probe, login and distributed-scan scenarios return nothing and change no state, and
what decides that is only its path, status, user agent and method. ``QuietRequests.quiet(obs)``
answers "none of them would act" from a bounded memo of those four, so the detector runs only the
scenarios that count every request (``HttpFlood``, ``TrafficVolume``) instead of calling each of
them (issue 11: the detector is on by default, on every request's path).

The verdict is conservative: when in doubt (a sensitive path, an error status on a non-asset path,
a scanner's user agent, a login POST) the request is not quiet and every scenario runs, exactly as
before. Labels and threat lists are per request / per address and stay outside it (the caller
checks them first).
"""

from __future__ import annotations

from wafproxy.sidecars.detector.observation import Observation
from wafproxy.sidecars.detector.scenarios_access import LoginFailures
from wafproxy.sidecars.detector.scenarios_recon import PathProbe, ScannerUserAgent

_MEMO_MAX = 8192


class QuietRequests:
    """``quiet(obs)``: whether the enabled scanner / probe / login scenarios would all pass ``obs``.

    ``None`` for a scenario that is disabled (it cannot act, so it never makes a request loud).
    """

    __slots__ = ("_scanner", "_probe", "_logins", "_memo", "known")

    def __init__(self, *, scanner: ScannerUserAgent | None, probe: PathProbe | None,
                 logins: LoginFailures | None) -> None:
        self._scanner = scanner
        self._probe = probe
        self._logins = logins
        self._memo: dict[tuple[str, int, str, str], bool] = {}
        # ``known((path, status, ua, method))``: the memo's verdict, None before ``quiet`` saw it.
        self.known = self._memo.get

    def quiet(self, obs: Observation) -> bool:
        key = (obs.path, obs.status, obs.ua, obs.method)
        verdict = self._memo.get(key)
        if verdict is None:
            verdict = self._verdict(obs)
            if len(self._memo) >= _MEMO_MAX:
                self._memo.clear()
            self._memo[key] = verdict
        return verdict

    def _verdict(self, obs: Observation) -> bool:
        if self._scanner is not None and self._scanner.flags(obs.ua):
            return False
        if self._probe is not None and self._probe.feeds(obs):
            return False
        return self._logins is None or not self._logins.is_login(obs)
