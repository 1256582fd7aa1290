"""How many workers to run: the CPUs this process may really use.

`os.cpu_count()` overstates it: CPU affinity (containers, taskset) limits it, and on Lambda the CPU share
grows with memory (one full vCPU per 1,769 MB, while 2 vCPUs are reported from 128 MB up).
"""

from __future__ import annotations

import math
import os

LAMBDA_MB_PER_VCPU = 1769
ENV_OVERRIDE = "DURABLE_MP_WORKERS"


def default_worker_count() -> int:
    """`DURABLE_MP_WORKERS` if set; else the CPUs this process may use, capped on Lambda by its memory."""
    override = os.environ.get(ENV_OVERRIDE)
    if override is not None and override.strip():
        return _positive(override.strip(), f"the {ENV_OVERRIDE} environment variable")
    cpus = _usable_cpus()
    memory = os.environ.get("AWS_LAMBDA_FUNCTION_MEMORY_SIZE")
    if memory and memory.strip().isdigit():
        cpus = min(cpus, max(1, math.ceil(int(memory) / LAMBDA_MB_PER_VCPU)))
    return cpus


def resolve_workers(setting: str | int | None) -> int:
    """The worker count for a `workers=` setting: "auto" or None -> `default_worker_count()`, an int as is."""
    if setting is None or setting == "auto":
        return default_worker_count()
    if isinstance(setting, int) and not isinstance(setting, bool):
        if setting < 1:
            raise ValueError(f"workers must be at least 1, got {setting}")
        return setting
    raise ValueError(f'workers must be "auto", a positive int or None, got {setting!r}')


def _usable_cpus() -> int:
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except (AttributeError, OSError):  # no affinity API (macOS, Windows)
        return max(1, os.cpu_count() or 1)


def _positive(text: str, source: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise ValueError(f"{source} must be a positive integer, got {text!r}") from None
    if value < 1:
        raise ValueError(f"{source} must be a positive integer, got {text!r}")
    return value
