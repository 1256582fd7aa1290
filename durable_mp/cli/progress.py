"""Live progress of one execution: operations done, map/parallel items done out of total.

On a terminal one status line is redrawn in place (with a bar for the busiest map); otherwise a plain line is
printed at most once per `plain_interval` seconds, and only when something changed. Operations are counted
from the execution's history (append-only, read without locking); map items come from the coordinator's
progress hook.
"""

from __future__ import annotations

import shutil
import time
from typing import Any, TextIO

_DONE_SUFFIXES = ("Succeeded", "Failed", "TimedOut", "Cancelled", "Stopped")
_NOT_OPERATIONS = ("Execution", "Invocation")
_SPIN = "|/-\\"


class Progress:
    def __init__(self, out: TextIO, *, tty: bool, plain_interval: float = 1.0) -> None:
        self._out = out
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
        self._drawn = False

    def on_batch(self, info: dict[str, Any]) -> None:
        """The map/parallel progress hook (called from the coordinator's thread)."""
        self._batches[info["batch_id"]] = info

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

    def text(self) -> str:
        parts = [f"{time.monotonic() - self._start:6.1f}s", f"{self.done} operations done"]
        if self.failed:
            parts[-1] += f" ({self.failed} not succeeded)"
        active = [b for b in self._batches.values() if b["succeeded"] + b["failed"] < b["total"]]
        for batch in active[-2:]:
            finished = batch["succeeded"] + batch["failed"]
            label = batch.get("name") or "map"
            if batch.get("executor"):
                label += f" ({batch['executor']} x{batch['workers']})"
            failed = f", {batch['failed']} failed" if batch["failed"] else ""
            parts.append(f"{label}: {finished}/{batch['total']} items{failed}")
        return "  ".join(parts)

    def _bar(self) -> str:
        active = [b for b in self._batches.values() if b["succeeded"] + b["failed"] < b["total"]]
        if not active:
            return ""
        batch = max(active, key=lambda b: b["total"])
        width = 20
        filled = int(width * (batch["succeeded"] + batch["failed"]) / max(batch["total"], 1))
        return "[" + "#" * filled + "-" * (width - filled) + "] "

    def tick(self) -> None:
        """Redraw (terminal) or print a line if due and changed (plain)."""
        if self.tty:
            self._frame += 1
            line = f"{_SPIN[self._frame % 4]} {self._bar()}{self.text()}"
            width = shutil.get_terminal_size((100, 20)).columns - 1
            self._out.write("\r" + line[:width].ljust(width))
            self._out.flush()
            self._drawn = True
            return
        now = time.monotonic()
        if now - self._last_plain < self._interval:
            return
        text = self.text()
        core = text.split("s  ", 1)[-1]
        if core != self._last_text:
            self._out.write(f"progress {text.strip()}\n")
            self._out.flush()
            self._last_text = core
        self._last_plain = now

    def clear(self) -> None:
        """Erase the status line (terminal) before the final report."""
        if self.tty and self._drawn:
            width = shutil.get_terminal_size((100, 20)).columns - 1
            self._out.write("\r" + " " * width + "\r")
            self._out.flush()
