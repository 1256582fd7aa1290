"""Progress on the command line: one status-line implementation (`StatusLine`, `bar`) for `durable-mp run`
and the load-test tool, and `Progress`, the live view of one execution.

On a terminal the status line is redrawn in place (`\\r`, cut to the terminal's width, erased before any
other output); otherwise nothing is redrawn and callers print plain lines (`StatusLine.line`), at most
once per interval and only when something changed, so logs stay readable.

`Progress` counts operations from the execution's history (append-only, read without locking) and map
items from the coordinator's progress hook, with each batch's executor and worker count.
"""

from __future__ import annotations

import shutil
import threading
import time
from typing import Any, TextIO

_DONE_SUFFIXES = ("Succeeded", "Failed", "TimedOut", "Cancelled", "Stopped")
_NOT_OPERATIONS = ("Execution", "Invocation")
_SPIN = "|/-\\"
MAX_BATCH_LINES = 10


def bar(done: int, total: int, width: int = 20) -> str:
    """`[#####---------------]`: `done` of `total` as a bar of `width` cells."""
    filled = width * done // total if total > 0 else 0
    return "[" + "#" * filled + "-" * (width - filled) + "]"


class StatusLine:
    """A line redrawn in place on a terminal (thread-safe); on other streams, plain lines only."""

    def __init__(self, out: TextIO, *, tty: bool) -> None:
        self.out, self.tty = out, tty
        self._lock = threading.Lock()
        self._drawn = False

    @staticmethod
    def _width() -> int:
        return shutil.get_terminal_size((100, 20)).columns - 1

    def draw(self, text: str) -> None:
        """Redraw the status line (terminal only)."""
        if not self.tty:
            return
        with self._lock:
            width = self._width()
            self.out.write("\r" + text[:width].ljust(width))
            self.out.flush()
            self._drawn = True

    def clear(self) -> None:
        """Erase the status line, if drawn."""
        with self._lock:
            self._clear()

    def _clear(self) -> None:
        if self.tty and self._drawn:
            width = self._width()
            self.out.write("\r" + " " * width + "\r")
            self.out.flush()
            self._drawn = False

    def line(self, text: str) -> None:
        """Print a permanent line (the status line, if drawn, is erased first)."""
        with self._lock:
            self._clear()
            self.out.write(text + "\n")
            self.out.flush()


class Progress:
    """The live view of one execution: operations done, and the busiest maps' items done out of total."""

    def __init__(self, out: TextIO, *, tty: bool, plain_interval: float = 1.0) -> None:
        self.status = StatusLine(out, tty=tty)
        self.tty = tty
        self._interval = plain_interval
        self._start = time.monotonic()
        self._seen = 0
        self.done = 0
        self.failed = 0
        self._batches: dict[str, dict[str, Any]] = {}
        self._last_plain = 0.0
        self._last_text = ""
        self._frame = 0
        self._announced = 0

    def on_batch(self, info: dict[str, Any]) -> None:
        """The map/parallel progress hook (called from the coordinator's thread). The first event of each
        batch prints a line naming its executor and workers (the first `MAX_BATCH_LINES` batches)."""
        new = info["batch_id"] not in self._batches
        self._batches[info["batch_id"]] = info
        if new and info.get("executor"):
            self._announced += 1
            if self._announced <= MAX_BATCH_LINES:
                name = info.get("name") or "map"
                why = f" ({info['reason']})" if info.get("reason") else ""
                self.status.line(
                    f"batch {name}: {info['total']} items on {info['executor']} x{info['workers']}{why}"
                )
            elif self._announced == MAX_BATCH_LINES + 1:
                self.status.line("(more batches: not listed)")

    def count(self, events: list[dict[str, Any]]) -> None:
        """Count the operations completed in events appended since the last call."""
        end = len(events)
        for index in range(self._seen, end):
            etype = events[index]["EventType"]
            if etype.endswith(_DONE_SUFFIXES) and not etype.startswith(_NOT_OPERATIONS):
                self.done += 1
                if not etype.endswith("Succeeded"):
                    self.failed += 1
        self._seen = end

    def _active(self) -> list[dict[str, Any]]:
        return [b for b in list(self._batches.values()) if b["succeeded"] + b["failed"] < b["total"]]

    def text(self) -> str:
        parts = [f"{time.monotonic() - self._start:6.1f}s", f"{self.done} operations done"]
        if self.failed:
            parts[-1] += f" ({self.failed} not succeeded)"
        for batch in self._active()[-2:]:
            finished = batch["succeeded"] + batch["failed"]
            label = batch.get("name") or "map"
            if batch.get("executor"):
                label += f" ({batch['executor']} x{batch['workers']})"
            failed = f", {batch['failed']} failed" if batch["failed"] else ""
            parts.append(f"{label}: {finished}/{batch['total']} items{failed}")
        return "  ".join(parts)

    def _bar(self) -> str:
        active = self._active()
        if not active:
            return ""
        batch = max(active, key=lambda b: b["total"])
        return bar(batch["succeeded"] + batch["failed"], batch["total"]) + " "

    def tick(self) -> None:
        """Redraw (terminal) or print a line if due and changed (plain)."""
        if self.tty:
            self._frame += 1
            self.status.draw(f"{_SPIN[self._frame % 4]} {self._bar()}{self.text()}")
            return
        now = time.monotonic()
        if now - self._last_plain < self._interval:
            return
        text = self.text()
        core = text.split("s  ", 1)[-1]
        if core != self._last_text:
            self.status.line(f"progress {text.strip()}")
            self._last_text = core
        self._last_plain = now

    def clear(self) -> None:
        """Erase the status line (terminal) before the final report."""
        self.status.clear()
