"""Suspending an invocation, with an optional time to resume (official `suspend` module).

Without a time the invocation suspends until the service wakes it (a callback, a wait ending); with a
delay or a timestamp it resumes then; a timestamp in the past means "resume at once".
"""

from __future__ import annotations

import datetime
from typing import NoReturn

from durable_mp.exceptions import SuspendExecution, TimedSuspendExecution


def suspend_with_optional_resume_timestamp(
    msg: str, datetime_timestamp: datetime.datetime | None = None
) -> NoReturn:
    """Raise SuspendExecution (no timestamp) or TimedSuspendExecution until `datetime_timestamp`."""
    if datetime_timestamp is None:
        raise SuspendExecution(
            f"No timestamp provided. Suspending without retry timestamp. Original operation: [{msg}]"
        )
    now = datetime.datetime.now(tz=datetime.UTC)
    if datetime_timestamp < now:
        raise TimedSuspendExecution.from_datetime(
            f"Invalid timestamp {datetime_timestamp}, suspending with immediate retry, original operation: [{msg}]",
            now,
        )
    raise TimedSuspendExecution.from_datetime(msg, datetime_timestamp)


def suspend_with_optional_resume_delay(msg: str, delay_seconds: int | None = None) -> NoReturn:
    """Raise SuspendExecution (no delay) or TimedSuspendExecution for `delay_seconds` seconds."""
    if delay_seconds is None:
        raise SuspendExecution(
            f"No delay_seconds provided, suspending without retry timestamp, original operation: [{msg}]"
        )
    raise TimedSuspendExecution.from_delay(msg, delay_seconds)
