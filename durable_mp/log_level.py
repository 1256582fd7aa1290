"""`DURABLE_MP_LOG_LEVEL`: worker processes show log records (the `context.logger` of map/parallel items)
from this level on stderr. Workers do not inherit the parent's logging setup, so each applies the
variable on its first task. `durable-mp run --log-level` installs the same handler in its own process and
sets the variable for its workers; on Lambda, set it in the function's environment to see worker logs in
CloudWatch (the handler's own process logs through the Lambda runtime as usual). Unset: logging is left
as it is.

Records read `LEVEL [operation] message key=value` (the operation name and extra fields that
durable_mp's Logger adds).
"""

from __future__ import annotations

import logging
import os
import sys
from collections.abc import Callable

ENV = "DURABLE_MP_LOG_LEVEL"
LEVELS = ("DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL")
_IDENTITY = {"executionArn", "parentId", "operationName", "attempt", "operationId"}
_STANDARD = set(logging.LogRecord("", 0, "", 0, "", None, None).__dict__) | {"message", "asctime"}
_applied = False


class OperationFormatter(logging.Formatter):
    """`LEVEL [operation] message key=value`."""

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


def install(level: str) -> Callable[[], None]:
    """Send records at `level` (one of LEVELS) and above to stderr; returns the undo."""
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(OperationFormatter())
    root = logging.getLogger()
    previous = root.level
    root.addHandler(handler)
    root.setLevel(level)

    def undo() -> None:
        root.removeHandler(handler)
        root.setLevel(previous)

    return undo


def apply_from_environment() -> None:
    """In a worker process: install `DURABLE_MP_LOG_LEVEL` once, if set to a known level."""
    global _applied
    if _applied:
        return
    _applied = True
    level = os.environ.get(ENV, "").strip().upper()
    if level in LEVELS:
        install(level)
