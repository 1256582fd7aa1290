"""The service's clock: real time, or real time plus the time skipped so far.

Every timestamp the service writes (operations, history, timers) comes from one `Clock`, in epoch
milliseconds. A skipping clock moves only forward: `skip_to` adds the gap to a running offset, so time
keeps flowing at the real rate between jumps and no two readings go backwards.
"""

from __future__ import annotations

import time


class Clock:
    """Epoch-millisecond time source; `skip=True` lets the timer loop jump to the next timer."""

    __slots__ = ("skip", "_offset")

    def __init__(self, *, skip: bool) -> None:
        self.skip = skip
        self._offset = 0.0

    def now_ms(self) -> int:
        return int((time.time() + self._offset) * 1000.0)

    def skip_to(self, when_ms: int) -> None:
        """Jump forward so that `now_ms() >= when_ms` (a no-op for a real clock or a past moment)."""
        if not self.skip:
            return
        gap = when_ms / 1000.0 - (time.time() + self._offset)
        if gap > 0:
            self._offset += gap
