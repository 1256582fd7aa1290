"""The progress line: which configuration runs, and how far its map is (from durable_mp's progress hook).

On a terminal the line is redrawn in place (`\\r`) at most 10 times a second; otherwise one line is
printed per finished run, so logs stay readable.
"""

from __future__ import annotations

import shutil
import threading
import time
from typing import Any, TextIO

BAR_WIDTH = 24
REDRAW_SECONDS = 0.1


class ProgressLine:
    """Shows `[run k/n] label |####....| done/total ok .. fail ..`; the map hook is `on_batch`."""

    def __init__(self, out: TextIO, total_runs: int, tty: bool) -> None:
        self.out, self.total_runs, self.tty = out, total_runs, tty
        self.run = 0
        self.label = ""
        self._last = 0.0
        self._lock = threading.Lock()
        self._shown = False

    def begin(self, label: str) -> None:
        self.run += 1
        self.label = label
        self._draw(0, 0, 0, 0, force=True)

    def on_batch(self, event: dict[str, Any]) -> None:
        """durable_mp progress hook: {"started", "succeeded", "failed", "total", ...}."""
        self._draw(event["started"], event["succeeded"], event["failed"], event["total"])

    def end(self, summary: str) -> None:
        with self._lock:
            if self.tty:
                self._clear()
            self.out.write(f"[run {self.run}/{self.total_runs}] {self.label}: {summary}\n")
            self.out.flush()

    def _draw(self, started: int, ok: int, failed: int, total: int, force: bool = False) -> None:
        if not self.tty:
            return
        now = time.monotonic()
        if not force and now - self._last < REDRAW_SECONDS and ok + failed < total:
            return
        with self._lock:
            self._last = now
            done = ok + failed
            filled = BAR_WIDTH * done // total if total else 0
            bar = "#" * filled + "." * (BAR_WIDTH - filled)
            line = (
                f"[run {self.run}/{self.total_runs}] {self.label} |{bar}| {done}/{total or '?'} "
                f"ok {ok} fail {failed} running {started - done}"
            )
            width = shutil.get_terminal_size((100, 20)).columns - 1
            self.out.write("\r" + line[:width].ljust(width))
            self.out.flush()
            self._shown = True

    def _clear(self) -> None:
        if self._shown:
            width = shutil.get_terminal_size((100, 20)).columns - 1
            self.out.write("\r" + " " * width + "\r")
            self._shown = False
