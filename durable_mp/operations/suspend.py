"""Suspension: how an operation says "nothing more can happen in this invocation".

A suspension is a BaseException (user `except Exception` cannot swallow it). A timed one carries the
moment the operation can go on, which map/parallel use to know when a branch may resume.
"""

from __future__ import annotations

import time
from typing import NoReturn

from durable_mp.exceptions import SuspendExecution, TimedSuspendExecution


def suspend(message: str, delay_seconds: float | None = None) -> NoReturn:
    if delay_seconds is None:
        raise SuspendExecution(message)
    raise TimedSuspendExecution(message, time.time() + max(0.0, delay_seconds))


def suspend_until(epoch_ms: int | None, message: str) -> NoReturn:
    if epoch_ms is None:
        raise SuspendExecution(message)
    raise TimedSuspendExecution(message, max(epoch_ms / 1000.0, time.time()))
