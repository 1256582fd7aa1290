"""The service's clock: real time, or real time plus the time skipped so far.

Every timestamp the service writes (operations, history, timers) comes from one `Clock`, in epoch
milliseconds. The clock moves only forward: it is real time plus an offset in whole milliseconds that
only grows, so time flows at the real rate between jumps and no two readings go backwards.

The offset grows two ways. `skip_to` (a skipping clock only) jumps to the next timer. `advance_to`
(any clock) makes the clock read no earlier than a moment already written down: a service resuming
executions from a store advances its clock to the latest event they recorded, so an execution's
timestamps never run backwards when a later service (whose offset starts at 0) carries it on.
"""

from __future__ import annotations

import time


class Clock:
    """Epoch-millisecond time source; `skip=True` lets the timer loop jump to the next timer."""

    __slots__ = ("_offset_ms", "skip")

    def __init__(self, *, skip: bool) -> None:
        self.skip = skip
        self._offset_ms = 0

    def now_ms(self) -> int:
        return time.time_ns() // 1_000_000 + self._offset_ms

    def skip_to(self, when_ms: int) -> None:
        """Jump forward so that `now_ms() >= when_ms` (a no-op for a real clock or a past moment)."""
        if self.skip:
            self.advance_to(when_ms)

    def advance_to(self, when_ms: int) -> None:
        """Move forward so that `now_ms() >= when_ms`, whether or not the clock skips (no-op if past)."""
        gap = when_ms - self.now_ms()
        if gap > 0:
            self._offset_ms += gap
