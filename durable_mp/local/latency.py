"""Latency: a Lambda-like delay on each checkpoint and state call a handler makes to the local service.

On Lambda a CheckpointDurableExecution or GetDurableExecutionState round trip takes tens of
milliseconds; the in-process service answers in microseconds, which hides batching and ordering
problems. `Latency(0.02)` delays every such call by 20 ms, `Latency((0.01, 0.03), seed=7)` by a random
time in [10 ms, 30 ms] drawn from a seeded generator. The delay is spent before the call takes the
service lock, so it slows the calling handler only; histories are the same as without it.
`parse("20ms")`, `parse("10-30ms")`, `parse("0.02")` (seconds) read the CLI's `--latency` value.
"""

from __future__ import annotations

import random
import re
import threading
import time

_SPEC = re.compile(r"\s*([0-9]*\.?[0-9]+)\s*(?:-\s*([0-9]*\.?[0-9]+))?\s*(ms|s)?\s*")


class Latency:
    __slots__ = ("_lock", "_rng", "high", "low")

    def __init__(self, delay: float | tuple[float, float] = 0.0, *, seed: int | None = None) -> None:
        low, high = (delay, delay) if isinstance(delay, (int, float)) else delay
        if not 0 <= low <= high <= 60:
            raise ValueError(f"latency must be seconds in [0, 60] with low <= high, got {delay!r}")
        self.low, self.high = float(low), float(high)
        self._rng = random.Random(seed)
        self._lock = threading.Lock()

    def __bool__(self) -> bool:
        return self.high > 0

    def __repr__(self) -> str:
        return (
            f"Latency({self.low!r})" if self.low == self.high else f"Latency(({self.low!r}, {self.high!r}))"
        )

    def next(self) -> float:
        if self.low == self.high:
            return self.low
        with self._lock:
            return self._rng.uniform(self.low, self.high)

    def sleep(self) -> None:
        if self.high > 0:
            time.sleep(self.next())


def parse(text: str, seed: int | None = None) -> Latency:
    """`20ms`, `10-30ms`, `0.02`, `0.01-0.03s` -> Latency; ValueError naming the value when malformed."""
    match = _SPEC.fullmatch(text)
    if match is None:
        raise ValueError(f"latency {text!r} is not like 20ms, 10-30ms or 0.02 (seconds)")
    scale = 0.001 if match.group(3) == "ms" else 1.0
    low = float(match.group(1)) * scale
    high = float(match.group(2)) * scale if match.group(2) else low
    return Latency((low, high), seed=seed)


def coerce(value: Latency | float | tuple[float, float] | str | None) -> Latency:
    """The `latency=` argument of the service and the test runner, in any of its accepted forms."""
    if value is None:
        return Latency()
    if isinstance(value, Latency):
        return value
    if isinstance(value, str):
        return parse(value)
    return Latency(value)
