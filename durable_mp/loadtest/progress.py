"""The load test's progress: which run of which configuration, and how far its map is, on the command
line's one status line (`durable_mp.cli.progress.StatusLine`, fed by durable_mp's progress hook).

On a terminal the line is redrawn in place at most 10 times a second; one plain line is printed per
finished run either way, so logs stay readable.
"""

from __future__ import annotations

import time
from typing import Any, TextIO

from durable_mp.cli.progress import StatusLine, bar

BAR_WIDTH = 24
REDRAW_SECONDS = 0.1


class ProgressLine:
    """Shows `[run k/n] label [####----] done/total ok .. fail .. running .. (processes x2)`; the map hook is
    `on_batch`."""

    def __init__(self, out: TextIO, total_runs: int, tty: bool) -> None:
        self.status = StatusLine(out, tty=tty)
        self.total_runs, self.tty = total_runs, tty
        self.run = 0
        self.label = ""
        self._last = 0.0

    def begin(self, label: str) -> None:
        self.run += 1
        self.label = label
        self._draw({"started": 0, "succeeded": 0, "failed": 0, "total": 0}, force=True)

    def on_batch(self, event: dict[str, Any]) -> None:
        """durable_mp progress hook: {"started", "succeeded", "failed", "total", "executor", "workers", ...}."""
        self._draw(event)

    def end(self, summary: str) -> None:
        self.status.line(f"[run {self.run}/{self.total_runs}] {self.label}: {summary}")

    def _draw(self, event: dict[str, Any], force: bool = False) -> None:
        if not self.tty:
            return
        ok, failed, total = event["succeeded"], event["failed"], event["total"]
        done = ok + failed
        now = time.monotonic()
        if not force and now - self._last < REDRAW_SECONDS and done < total:
            return
        self._last = now
        where = f" ({event['executor']} x{event['workers']})" if event.get("executor") else ""
        self.status.draw(
            f"[run {self.run}/{self.total_runs}] {self.label} {bar(done, total, BAR_WIDTH)} {done}/{total or '?'} "
            f"ok {ok} fail {failed} running {event['started'] - done}{where}"
        )
