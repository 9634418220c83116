"""The three bucket kinds a scenario is made of (CrowdSec's vocabulary): leaky, distinct-count, EWMA.

Each is a small mutable object kept per actor (or per route / username), updated in O(1) amortized
time and bounded in memory: a distinct-count bucket never holds more than its threshold of values,
so an attacker cannot grow it by sending more distinct paths.
"""

from __future__ import annotations


class LeakyBucket:
    """``capacity`` events, leaking ``leak_per_second``: overflows when events come faster.

    ``add`` answers True on the event that makes the level exceed ``capacity`` (and on every
    later one until it drains): capacity 10 with leak 1/60 s overflows on the 11th failure in a
    burst, then allows one more per minute.
    """

    __slots__ = ("level", "last")

    def __init__(self) -> None:
        self.level = 0.0
        self.last = 0.0

    def add(self, now: float, capacity: float, leak_per_second: float, weight: float = 1.0) -> bool:
        elapsed = now - self.last
        level = self.level - elapsed * leak_per_second if elapsed > 0 else self.level
        self.level = (level if level > 0 else 0.0) + weight
        self.last = now
        return self.level > capacity


class DistinctBucket:
    """Distinct values seen within ``window`` seconds; True once there are ``threshold`` of them.

    Holds at most ``threshold`` values (older ones expire first), so memory is bounded by the
    policy, not by the attacker.
    """

    __slots__ = ("seen",)

    def __init__(self) -> None:
        self.seen: dict[str, float] = {}

    def add(self, value: str, now: float, window: float, threshold: int) -> bool:
        seen = self.seen
        if value in seen:
            del seen[value]  # re-insert: the dict stays ordered by last sighting
        elif len(seen) >= threshold:
            seen.pop(next(iter(seen)))
        seen[value] = now
        oldest = now - window
        while seen:
            first = next(iter(seen))
            if seen[first] >= oldest:
                break
            del seen[first]
        return len(seen) >= threshold

    def __len__(self) -> int:
        return len(self.seen)

    def values(self) -> list[str]:
        return list(self.seen)


class RateWindow:
    """Requests per fixed ``period`` with an EWMA of past periods: the baseline of a route or actor.

    ``add`` returns the count of the period just closed and its baseline when a period closes
    (``None`` otherwise), so the caller compares each finished period to what was usual before it.
    Idle periods count as zeros, so a baseline decays after a quiet spell.
    """

    __slots__ = ("start", "count", "ewma", "periods")

    def __init__(self) -> None:
        self.start = -1.0
        self.count = 0
        self.ewma = 0.0
        self.periods = 0

    def add(self, now: float, period: float, alpha: float) -> tuple[int, float] | None:
        if self.start < 0:
            self.start = now
        closed = None
        if now - self.start >= period:
            closed = (self.count, self.ewma)
            idle = int((now - self.start) // period) - 1
            self.ewma = self.ewma + alpha * (self.count - self.ewma) if self.periods else float(self.count)
            for _ in range(min(idle, 64)):
                self.ewma *= 1 - alpha
            self.periods += 1 + idle
            self.start = now - (now - self.start) % period
            self.count = 0
        self.count += 1
        return closed
