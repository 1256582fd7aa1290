"""`--log-level`: where the handler's `context.logger` records go on the command line (stderr)."""

from __future__ import annotations

import logging
import sys
from collections.abc import Callable

from durable_mp.cli.loading import UsageError

LEVELS = ("DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL")


class _OperationFormatter(logging.Formatter):
    """`LEVEL [operation] message key=value`: the operation name durable_mp's Logger adds, if any."""

    def format(self, record: logging.LogRecord) -> str:
        op = getattr(record, "operationName", None)
        where = f" [{op}]" if op else ""
        extras = {
            k: v
            for k, v in record.__dict__.items()
            if k not in _STANDARD and k not in _IDENTITY and not k.startswith("_")
        }
        tail = "".join(f" {k}={v}" for k, v in extras.items())
        text = f"{record.levelname}{where} {record.getMessage()}{tail}"
        if record.exc_info:
            text += "\n" + self.formatException(record.exc_info)
        return text


_STANDARD = set(logging.LogRecord("", 0, "", 0, "", None, None).__dict__) | {"message", "asctime"}
_IDENTITY = {"executionArn", "parentId", "operationName", "attempt", "operationId"}


def configure(level: str | None) -> Callable[[], None]:
    """Send log records at `level` and above to stderr (None: leave logging as it is); returns the undo."""
    if level is None:
        return lambda: None
    name = level.upper()
    if name not in LEVELS:
        raise UsageError(f"--log-level must be one of {', '.join(LEVELS)}, got {level!r}")
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(_OperationFormatter())
    root = logging.getLogger()
    previous = root.level
    root.addHandler(handler)
    root.setLevel(name)

    def undo() -> None:
        root.removeHandler(handler)
        root.setLevel(previous)

    return undo
