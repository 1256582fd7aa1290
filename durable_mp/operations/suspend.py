"""Suspension: how an operation says "nothing more can happen in this invocation".

A suspension is a BaseException (user `except Exception` cannot swallow it). A timed one carries the
moment the operation can go on, which map/parallel use to know when a branch may resume.
"""

from __future__ import annotations

import time
from typing import NoReturn

from durable_mp.exceptions import SuspendExecution, TimedSuspendExecution


def suspend(message: str, delay_seconds: float | None = None, operation_id: str | None = None) -> NoReturn:
    """Suspend; `operation_id` names the operation whose completion would let the code go on."""
    if delay_seconds is None:
        exc: SuspendExecution = SuspendExecution(message)
    else:
        exc = TimedSuspendExecution(message, time.time() + max(0.0, delay_seconds))
    exc.operation_id = operation_id  # type: ignore[attr-defined]  # carried to the coordinator, undeclared
    raise exc


def suspend_until(epoch_ms: int | None, message: str, operation_id: str | None = None) -> NoReturn:
    suspend(message, None if epoch_ms is None else max(0.0, epoch_ms / 1000.0 - time.time()), operation_id)
