"""Peak memory while a load test runs: a thread samples the RSS of this process and of its children.

Children are every descendant process (the worker pool's workers). A sample costs one psutil call per
process, so the default interval (20 ms) adds well under 1 % of one core.
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass, field
from typing import Self

import psutil

MIB = 2**20


def children_rss() -> tuple[int, int, int]:
    """(number of child processes, sum of their RSS, largest RSS) in bytes, now."""
    count = total = largest = 0
    for child in psutil.Process().children(recursive=True):
        try:
            rss = child.memory_info().rss
        except (psutil.NoSuchProcess, psutil.AccessDenied, psutil.ZombieProcess):
            continue
        count, total, largest = count + 1, total + rss, max(largest, rss)
    return count, total, largest


@dataclass
class MemoryPeaks:
    """The peaks seen between `start` and `stop`, in bytes, and the samples taken (time, parent, children)."""

    parent_start: int = 0
    parent_peak: int = 0
    children_peak: int = 0
    worker_peak: int = 0
    max_children: int = 0
    samples: list[tuple[float, int, int]] = field(default_factory=list)

    def as_mib(self) -> dict[str, float | int]:
        return {
            "parent_start_mib": round(self.parent_start / MIB, 2),
            "parent_peak_mib": round(self.parent_peak / MIB, 2),
            "parent_growth_mib": round((self.parent_peak - self.parent_start) / MIB, 2),
            "workers_total_peak_mib": round(self.children_peak / MIB, 2),
            "worker_peak_mib": round(self.worker_peak / MIB, 2),
            "workers_seen": self.max_children,
        }


class MemorySampler:
    """Samples RSS in a daemon thread until stopped; use as a context manager."""

    def __init__(self, interval: float = 0.02, keep_samples: bool = False) -> None:
        self.interval = interval
        self.keep_samples = keep_samples
        self.peaks = MemoryPeaks()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._loop, name="loadtest-memory", daemon=True)
        self._proc = psutil.Process()

    def sample(self) -> None:
        parent = self._proc.memory_info().rss
        count, total, largest = children_rss()
        p = self.peaks
        p.parent_peak = max(p.parent_peak, parent)
        p.children_peak = max(p.children_peak, total)
        p.worker_peak = max(p.worker_peak, largest)
        p.max_children = max(p.max_children, count)
        if self.keep_samples:
            p.samples.append((time.time(), parent, total))

    def _loop(self) -> None:
        while not self._stop.wait(self.interval):
            self.sample()

    def __enter__(self) -> Self:
        self.peaks.parent_start = self._proc.memory_info().rss
        self.sample()
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()
        self.sample()
