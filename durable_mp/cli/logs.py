"""`--log-level`: show the handler's `context.logger` records on stderr, from the handler's process and
from the worker processes (through `DURABLE_MP_LOG_LEVEL`, see `durable_mp.log_level`)."""

from __future__ import annotations

import os
from collections.abc import Callable

from durable_mp.cli.loading import UsageError
from durable_mp.log_level import ENV, LEVELS, install


def check_level(level: str | None) -> str | None:
    """The level name for `--log-level` (None stays None); a UsageError names a wrong one."""
    if level is None:
        return None
    name = level.upper()
    if name not in LEVELS:
        raise UsageError(f"--log-level must be one of {', '.join(LEVELS)}, got {level!r}")
    return name


def configure(level: str | None) -> Callable[[], None]:
    """Send log records at `level` and above to stderr (None: leave logging as it is); returns the undo."""
    name = check_level(level)
    if name is None:
        return lambda: None
    undo_handler = install(name)
    previous = os.environ.get(ENV)
    os.environ[ENV] = name  # worker processes started from now on show their records too

    def undo() -> None:
        undo_handler()
        if previous is None:
            os.environ.pop(ENV, None)
        else:
            os.environ[ENV] = previous

    return undo
