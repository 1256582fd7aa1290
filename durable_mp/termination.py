"""TerminationManager: yield cleanly before the Lambda deadline instead of being killed.

Lambda kills an invocation when `context.get_remaining_time_in_millis()` reaches zero (Sandbox.Timedout):
work in flight is lost and the retry is wasted. The manager reads the remaining time once at the start of
the invocation and keeps a *yield point* a margin before the deadline. From that point on:

- no new operation starts (`before_operation` raises `TerminationYield`, a suspension); nor does one
  that could not finish in time: the manager remembers the longest step (and map item) it has seen
  run in this invocation, and refuses to start another when less than that is left (a step with a
  `StepConfig.timeout` is judged by the shorter of its timeout and that longest step);
- map/parallel stop starting branches and interrupt the branches running in workers;
- the invocation flushes every checkpoint, records a short internal wait (so the service re-invokes,
  ~1 s later) and returns PENDING. The next invocation replays what completed and goes on.

The margin is what yielding really costs, measured: the largest of MARGIN_FLOOR (0.2 s), twice the
longest yield seen in this process (from the yield decision to the PENDING return: stopping workers,
the final flush, the internal wait) and YIELD_REQUESTS times the slowest checkpoint request of this
invocation; never more than half the invocation nor MARGIN_CAP. A fixed margin can be set with
`@durable_execution(termination_margin=...)`.

Stopping an item at a yield the SDK chose is not the item's fault: it only counts towards the item's
failure (`durable_mp.concurrency.coordinator`) when the item started with a full invocation's budget
(`started_with_full_budget`) and still could not finish.
"""

from __future__ import annotations

import collections
import math
import threading
import time
from typing import Any

from durable_mp.exceptions import SuspendExecution

YIELD_WAIT_SECONDS = 1
MARGIN_FLOOR = 0.2
MARGIN_CAP = 10.0
YIELD_REQUESTS = 4  # the requests a yield may need: final flush, interruption records, the internal wait
FULL_BUDGET_SLACK = 0.25  # an item started this soon after the invocation had its full budget

_yield_costs: collections.deque[float] = collections.deque(maxlen=8)  # process-wide: warm environments
_costs_lock = threading.Lock()


class TerminationYield(SuspendExecution):
    """Raised when the invocation must stop to beat the deadline; handled by the execution glue."""

    def __init__(self) -> None:
        super().__init__("yielding before the Lambda deadline")


def measured_margin(total_seconds: float, checkpoint_latency: float) -> float:
    """The margin for an invocation of `total_seconds`, from what yielding and checkpoints cost."""
    with _costs_lock:
        yield_cost = max(_yield_costs, default=0.0)
    margin = max(MARGIN_FLOOR, 2 * yield_cost, YIELD_REQUESTS * checkpoint_latency)
    return min(margin, MARGIN_CAP, max(MARGIN_FLOOR, total_seconds / 2))


class TerminationManager:
    def __init__(self, lambda_context: Any, safety_margin: float | None = None) -> None:
        remaining_ms = None
        getter = getattr(lambda_context, "get_remaining_time_in_millis", None)
        if callable(getter):
            try:
                remaining_ms = float(getter())
            except (TypeError, ValueError):
                remaining_ms = None
        self.started = time.monotonic()
        self.fixed_margin = safety_margin
        self.total = math.inf if remaining_ms is None else remaining_ms / 1000.0
        self.deadline = self.started + self.total
        self.checkpoint_latency = 0.0  # the slowest acknowledged checkpoint request so far
        self.yielded = False
        self.yield_started: float | None = None
        self.longest = 0.0  # the longest step / item seen in this invocation, in seconds

    @property
    def margin(self) -> float:
        if self.fixed_margin is not None:
            return self.fixed_margin
        if self.total == math.inf:
            return 0.0
        return measured_margin(self.total, self.checkpoint_latency)

    @property
    def yield_at(self) -> float:
        return self.deadline - self.margin

    @property
    def budget(self) -> float:
        """The seconds of work a whole invocation allows: its time less the margin."""
        return self.total - self.margin

    def seconds_left(self) -> float:
        """Seconds until the yield point (negative once past it; inf without a deadline)."""
        return self.yield_at - time.monotonic()

    def begin_yield(self) -> None:
        """The invocation yields now (also when nothing more could start in time)."""
        self._mark_yield()

    def _mark_yield(self) -> None:
        if not self.yielded:
            self.yielded = True
            self.yield_started = time.monotonic()

    def should_yield(self) -> bool:
        if not self.yielded and time.monotonic() >= self.yield_at:
            self._mark_yield()
        return self.yielded

    def observe(self, seconds: float) -> None:
        """A step or item took `seconds`: later ones are expected to take as long."""
        self.longest = max(self.longest, seconds)

    def observe_checkpoint(self, seconds: float) -> None:
        """A checkpoint request took `seconds` (one attempt, from send to acknowledgement)."""
        self.checkpoint_latency = max(self.checkpoint_latency, seconds)

    def yield_done(self) -> None:
        """The invocation has yielded: remember what it cost, for the margin of later invocations."""
        if self.yield_started is not None:
            with _costs_lock:
                _yield_costs.append(time.monotonic() - self.yield_started)

    def started_with_full_budget(self, started: float) -> bool:
        """Whether work that started at `started` (monotonic) had (nearly) a whole invocation's budget."""
        return started - self.started <= FULL_BUDGET_SLACK

    def can_start(self) -> bool:
        """Whether work as long as the longest seen so far would end before the yield point."""
        return not self.should_yield() and time.monotonic() + self.longest < self.yield_at

    def before_operation(self) -> None:
        """Called before an operation starts real work: refuse to start it if it could not finish in time."""
        if not self.can_start():
            self._mark_yield()
            raise TerminationYield()

    def before_timed_step(self, timeout_seconds: float) -> None:
        """`before_operation` for a step with a timeout (durable-mp): such a step cannot run longer than
        its timeout, so it may start when the shorter of its timeout and the longest step seen so far
        would end before the yield point."""
        expected = min(self.longest, timeout_seconds)
        if self.should_yield() or time.monotonic() + expected >= self.yield_at:
            self.yielded = True
            raise TerminationYield()
