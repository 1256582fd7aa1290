"""Chained-invoke targets for the ``invoke`` suite, registered on the local service by name.

Each target is itself a durable function that waits one second before answering, so the caller has
always suspended (its invocation completed) before the chained invoke finishes, as on AWS.
"""

from __future__ import annotations

from typing import Any

from durable_mp import DurableContext, durable_execution
from durable_mp.config import Duration

ECHO = "conformance-echo"
FAILING = "conformance-failing"
PAYLOAD_SIZE = "conformance-payload-size"


class TargetFailure(Exception):
    """Raised by the failing target."""


@durable_execution
def echo(event: Any, context: DurableContext) -> Any:
    """Return the payload unchanged after a one-second durable wait."""
    context.wait(Duration.from_seconds(1))
    return event


@durable_execution
def failing(event: Any, context: DurableContext) -> Any:
    """Fail the chained invoke after a one-second durable wait."""
    context.wait(Duration.from_seconds(1))
    raise TargetFailure("the invoked function failed")


@durable_execution
def payload_size(event: Any, context: DurableContext) -> dict[str, int]:
    """Answer how many characters the received payload holds."""
    context.wait(Duration.from_seconds(1))
    return {"received_chars": len(event["blob"])}


TARGETS: dict[str, Any] = {ECHO: echo, FAILING: failing, PAYLOAD_SIZE: payload_size}
