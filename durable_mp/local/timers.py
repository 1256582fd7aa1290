"""Timers: one heap and one thread per service, driven by a condition variable (no polling).

```
 service (lock held) --add/cancel/kick--> heap of Timer(due_ms) --> timer thread
                                                                  |  earliest due <= now: pop, run action
                                                                  |  skipping clock, service idle and the
                                                                  |    earliest timer skippable: jump to it
                                                                  |  else: wait until due (or a kick)
```

Actions run on the timer thread while it holds the service lock, so they see and change service state
atomically with checkpoints; they must not block. A timer is skippable when its `skippable()` says so:
waits, retry delays and back-offs are, callback deadlines are not (a callback may still arrive), and
nothing is skipped while any invocation runs (the service's `is_idle()`). `real` timers (an execution
timeout counted in real seconds) are passed over when choosing where to jump.
"""

from __future__ import annotations

import heapq
import itertools
import threading
from collections.abc import Callable

from durable_mp.local.clock import Clock


def _always() -> bool:
    return True


def _never() -> bool:
    return False


ALWAYS: Callable[[], bool] = _always
NEVER: Callable[[], bool] = _never


class Timer:
    """One scheduled action. `cancel()` (under the service lock) stops it from running."""

    __slots__ = ("action", "cancelled", "due_ms", "real", "seq", "skippable")

    def __init__(
        self, due_ms: int, seq: int, action: Callable[[], None], skippable: Callable[[], bool], real: bool
    ) -> None:
        self.due_ms = due_ms
        self.seq = seq
        self.action = action
        self.skippable = skippable
        self.real = real
        self.cancelled = False

    def __lt__(self, other: Timer) -> bool:
        return (self.due_ms, self.seq) < (other.due_ms, other.seq)

    def cancel(self) -> None:
        self.cancelled = True


class TimerQueue:
    """The service's timers. All methods except `start`/`stop` are called with the service lock held."""

    def __init__(
        self,
        clock: Clock,
        lock: threading.Lock,
        is_idle: Callable[[], bool],
        on_error: Callable[[BaseException], None],
    ) -> None:
        self._clock = clock
        self._cond = threading.Condition(lock)
        self._is_idle = is_idle
        self._on_error = on_error
        self._heap: list[Timer] = []
        self._seq = itertools.count()
        self._closed = False
        self._thread = threading.Thread(target=self._loop, name="durable-mp-timers", daemon=True)

    def start(self) -> None:
        self._thread.start()

    def add(
        self,
        due_ms: int,
        action: Callable[[], None],
        skippable: Callable[[], bool] = ALWAYS,
        *,
        real: bool = False,
    ) -> Timer:
        """Schedule `action` at `due_ms`. A `real` timer measures real time itself (its action re-checks
        and re-arms), so it neither blocks a jump nor is jumped to."""
        timer = Timer(due_ms, next(self._seq), action, skippable, real)
        heapq.heappush(self._heap, timer)
        if self._heap[0] is timer:
            self._cond.notify()
        return timer

    def kick(self) -> None:
        """Tell the loop that idleness or skippability may have changed."""
        self._cond.notify()

    def stop(self) -> None:
        with self._cond:
            self._closed = True
            self._cond.notify()
        if self._thread.is_alive() and threading.current_thread() is not self._thread:
            self._thread.join(timeout=5)

    def _loop(self) -> None:
        heap = self._heap
        with self._cond:
            while not self._closed:
                while heap and heap[0].cancelled:
                    heapq.heappop(heap)
                if not heap:
                    self._cond.wait()
                    continue
                timer = heap[0]
                now = self._clock.now_ms()
                if timer.due_ms <= now:
                    heapq.heappop(heap)
                    try:
                        timer.action()
                    except BaseException as exc:  # noqa: BLE001 - a failing action must not stop all timers
                        self._on_error(exc)
                    continue
                if self._clock.skip and self._is_idle():
                    target = (
                        timer
                        if not timer.real
                        else min((t for t in heap if not t.real and not t.cancelled), default=None)
                    )
                    if target is not None and target.skippable():
                        self._clock.skip_to(target.due_ms)
                        continue
                self._cond.wait((timer.due_ms - now) / 1000.0)
