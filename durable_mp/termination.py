"""TerminationManager: yield cleanly before the Lambda deadline instead of being killed.

Lambda kills an invocation when `context.get_remaining_time_in_millis()` reaches zero (Sandbox.Timedout):
work in flight is lost and the retry is wasted. The manager reads the remaining time once at the start of
the invocation and fixes a *yield point* `safety_margin` seconds before the deadline. From that point on:

- no new operation starts (`before_operation` raises `TerminationYield`, a suspension); nor does one
  that could not finish in time: the manager remembers the longest step (and map item) it has seen
  run in this invocation, and refuses to start another when less than that is left (a step with a
  `StepConfig.timeout` is judged by the shorter of its timeout and that longest step);
- map/parallel stop starting branches and interrupt the branches running in workers;
- the invocation flushes every checkpoint, records a short internal wait (so the service re-invokes,
  ~1 s later) and returns PENDING. The next invocation replays what completed and goes on.

Default margin: 10% of the time the invocation had, clamped to [0.5 s, 10 s]: 10 s for a 15-minute
function, 0.5 s for a 3-second one. Set it with `@durable_execution(termination_margin=...)`.
"""

from __future__ import annotations

import math
import time
from typing import Any

from durable_mp.exceptions import SuspendExecution

YIELD_WAIT_SECONDS = 1


class TerminationYield(SuspendExecution):
    """Raised when the invocation must stop to beat the deadline; handled by the execution glue."""

    def __init__(self) -> None:
        super().__init__("yielding before the Lambda deadline")


def default_margin(total_seconds: float) -> float:
    return min(10.0, max(0.5, total_seconds * 0.1))


class TerminationManager:
    def __init__(self, lambda_context: Any, safety_margin: float | None = None) -> None:
        remaining_ms = None
        getter = getattr(lambda_context, "get_remaining_time_in_millis", None)
        if callable(getter):
            try:
                remaining_ms = float(getter())
            except (TypeError, ValueError):
                remaining_ms = None
        now = time.monotonic()
        if remaining_ms is None:
            self.deadline = math.inf
            self.margin = safety_margin or 0.0
        else:
            total = remaining_ms / 1000.0
            self.margin = default_margin(total) if safety_margin is None else safety_margin
            self.deadline = now + total
        self.yield_at = self.deadline - self.margin
        self.yielded = False
        self.longest = 0.0  # the longest step / item seen in this invocation, in seconds

    def seconds_left(self) -> float:
        """Seconds until the yield point (negative once past it; inf without a deadline)."""
        return self.yield_at - time.monotonic()

    def should_yield(self) -> bool:
        if not self.yielded and time.monotonic() >= self.yield_at:
            self.yielded = True
        return self.yielded

    def observe(self, seconds: float) -> None:
        """A step or item took `seconds`: later ones are expected to take as long."""
        self.longest = max(self.longest, seconds)

    def can_start(self) -> bool:
        """Whether work as long as the longest seen so far would end before the yield point."""
        return not self.should_yield() and time.monotonic() + self.longest < self.yield_at

    def before_operation(self) -> None:
        """Called before an operation starts real work: refuse to start it if it could not finish in time."""
        if not self.can_start():
            self.yielded = True
            raise TerminationYield()

    def before_timed_step(self, timeout_seconds: float) -> None:
        """`before_operation` for a step with a timeout (durable-mp): such a step cannot run longer than
        its timeout, so it may start when the shorter of its timeout and the longest step seen so far
        would end before the yield point."""
        expected = min(self.longest, timeout_seconds)
        if self.should_yield() or time.monotonic() + expected >= self.yield_at:
            self.yielded = True
            raise TerminationYield()
