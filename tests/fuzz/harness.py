"""A byte-mutation fuzzer with a fixed budget: no coverage feedback, deterministic for a seed.

Each ``Target`` turns bytes into a call of one parser and names the exceptions that parser
documents. A crash is anything else: another exception, a hang (more than ``HANG_SECONDS`` of
CPU time for one input: ``ITIMER_PROF``, so a loaded machine does not fake one, and pytest-timeout's
SIGALRM is left alone), or the process's peak RSS growing past ``MEMORY_BOUND_MB`` during the run.
``load_tests/fuzz.py`` runs the same targets for longer (or under atheris when it is installed).
"""

from __future__ import annotations

import random
import resource
import signal
import time
import traceback
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field

HANG_SECONDS = 1.0
MEMORY_BOUND_MB = 256
MAX_INPUT = 1 << 16


@dataclass(frozen=True)
class Target:
    name: str
    run: Callable[[bytes], object]
    expected: tuple[type[BaseException], ...]  # the documented error types
    seeds: tuple[bytes, ...]
    tokens: tuple[bytes, ...] = ()  # dictionary: inserted whole by the mutator
    check: Callable[[BaseException], None] | None = None  # more to assert on an expected error


@dataclass(frozen=True)
class Crash:
    target: str
    kind: str  # "exception", "hang" or "memory"
    data: bytes
    detail: str

    def __str__(self) -> str:
        return f"{self.target}: {self.kind} on {self.data[:200]!r}\n{self.detail}"


@dataclass
class Stats:
    target: str
    execs: int = 0
    seconds: float = 0.0
    crashes: list[Crash] = field(default_factory=list)

    @property
    def per_second(self) -> float:
        return self.execs / self.seconds if self.seconds else 0.0


class Hang(BaseException):
    """Raised from the profiling timer: a BaseException, so a parser's ``except Exception`` cannot
    swallow it."""


def _on_timer(signum: int, frame: object) -> None:
    raise Hang


@contextmanager
def cpu_limit(seconds: float) -> Iterator[None]:
    previous = signal.signal(signal.SIGPROF, _on_timer)
    signal.setitimer(signal.ITIMER_PROF, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_PROF, 0)
        signal.signal(signal.SIGPROF, previous)


def _peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def run_one(target: Target, data: bytes, hang_seconds: float = HANG_SECONDS) -> Crash | None:
    """One input: None, or the crash it caused."""
    try:
        with cpu_limit(hang_seconds):
            target.run(data)
    except Hang:
        return Crash(target.name, "hang", data, f"over {hang_seconds} s of CPU")
    except target.expected as exc:
        if target.check is not None:
            try:
                target.check(exc)
            except AssertionError:
                return Crash(target.name, "exception", data, traceback.format_exc())
    except Exception:
        return Crash(target.name, "exception", data, traceback.format_exc())
    return None


class Mutator:
    """Random edits of seed inputs: bit flips, byte sets, inserts, deletes, duplicated and
    repeated chunks, dictionary tokens, splices of two seeds, truncation."""

    def __init__(self, seeds: tuple[bytes, ...], tokens: tuple[bytes, ...], rng: random.Random) -> None:
        self.seeds = seeds or (b"",)
        self.tokens = tokens or (b"\x00", b"\xff", b"%", b"=", b"&", b";", b"\r\n", b'"', b"{", b"[")
        self.rng = rng

    def __call__(self) -> bytes:
        # Mostly a seed; sometimes nothing, so tiny inputs built from tokens and random bytes are
        # reached too (a JSON "5" where a header object belongs: missed from seeds alone).
        data = bytearray(self.rng.choice(self.seeds) if self.rng.random() < 0.9 else b"")
        for _ in range(self.rng.choice((1, 1, 2, 3, 5, 8))):
            self._edit(data)
        return bytes(data[:MAX_INPUT])

    def _edit(self, data: bytearray) -> None:
        rng, n = self.rng, len(data)
        op = rng.randrange(9)
        at = rng.randrange(n + 1)
        if op == 0 and n:
            data[min(at, n - 1)] ^= 1 << rng.randrange(8)
        elif op == 1 and n:
            data[min(at, n - 1)] = rng.randrange(256)
        elif op == 2:
            data[at:at] = bytes(rng.randrange(256) for _ in range(rng.randrange(1, 9)))
        elif op == 3 and n:
            del data[at : at + rng.randrange(1, 17)]
        elif op == 4 and n:
            start = rng.randrange(n)
            data[at:at] = data[start : start + rng.randrange(1, 33)]
        elif op == 5 and n:  # one chunk many times: depth, counts, sizes
            start = rng.randrange(n)
            data[at:at] = data[start : start + rng.randrange(1, 5)] * rng.choice((16, 100, 1000))
        elif op == 6:
            data[at:at] = rng.choice(self.tokens)
        elif op == 7:
            other = rng.choice(self.seeds)
            data[at:] = other[rng.randrange(len(other) + 1) :]
        else:
            del data[at:]


def fuzz(target: Target, *, execs: int | None = None, seconds: float | None = None, seed: int = 0,
         stop_on_crash: bool = False) -> Stats:
    """Run the seeds, then mutations, until ``execs`` inputs or ``seconds`` of wall time."""
    assert execs is not None or seconds is not None
    stats = Stats(target.name)
    mutate = Mutator(target.seeds, target.tokens, random.Random(seed))
    start, base_mb = time.perf_counter(), _peak_mb()
    inputs: Iterator[bytes] = iter(target.seeds)
    while True:
        if execs is not None and stats.execs >= execs:
            break
        if seconds is not None and time.perf_counter() - start >= seconds:
            break
        data = next(inputs, None)
        if data is None:
            data = mutate()
        crash = run_one(target, data)
        stats.execs += 1
        if crash is None and _peak_mb() - base_mb > MEMORY_BOUND_MB:
            crash = Crash(target.name, "memory", data, f"peak RSS grew past {MEMORY_BOUND_MB} MB")
            base_mb = _peak_mb()
        if crash is not None:
            stats.crashes.append(crash)
            if stop_on_crash:
                break
    stats.seconds = time.perf_counter() - start
    return stats
