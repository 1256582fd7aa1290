"""Workflows the saga kill-and-resume test runs with `durable-mp run tests/saga/workflows.py:NAME`."""

from __future__ import annotations

import os
import signal
from typing import Any

from durable_mp import DurableContext, SagaError, StepContext, durable_execution
from durable_mp.config import StepConfig
from durable_mp.retries import RetryPresets


def _append(path: str, line: str) -> None:
    with open(path, "a") as handle:
        handle.write(line + "\n")


@durable_execution
def booking(event: dict[str, Any], context: DurableContext) -> list[str]:
    """Reserve a flight and a hotel, fail on the car, compensate. The first time the flight's
    compensation starts (after the hotel's was acknowledged) the handler's process SIGKILLs itself."""
    log, marker = event["log"], event["marker"]

    def cancel(step: StepContext, booking: str) -> str:
        if booking == "flight" and not os.path.exists(marker):
            open(marker, "w").close()
            os.kill(os.getpid(), signal.SIGKILL)
        _append(log, f"cancel {booking}")
        return booking

    def reserve(booking: str) -> Any:
        def body(step: StepContext) -> str:
            _append(log, f"reserve {booking}")
            if booking == "car":
                raise RuntimeError("no car")
            return booking

        return body

    try:
        with context.saga():
            for b in ("flight", "hotel", "car"):
                context.step_with_compensation(
                    reserve(b), cancel, name=b, config=StepConfig(retry_strategy=RetryPresets.none())
                )
    except SagaError as error:
        return error.outcome.succeeded
    return []
