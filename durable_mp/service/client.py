"""The service-client interface: what the SDK needs from a durable execution service.

Two implementations: `durable_mp.service.boto` (the real service through boto3) and the local service's
in-process client (`durable_mp.local`). Requests and responses are dicts in exactly the boto3 `lambda`
client's shapes (PascalCase keys). Timestamps inside operation dicts may be `datetime` or epoch
milliseconds. A dict handed across this boundary is never mutated afterwards by either side.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any, Protocol, TypeVar

from durable_mp.errors_classify import RETRIABLE_CODES, backoff, service_failure, transient_status

__all__ = ["RETRIABLE_CODES", "DurableServiceClient", "ServiceError", "as_service_error", "call_with_backoff"]
T = TypeVar("T")


class ServiceError(Exception):
    """An error answered by the durable execution service (or the connection to it).

    `code` is the AWS error code (`InvalidParameterValueException`, `ResourceNotFoundException`, ...).
    `retriable` says whether the same request may succeed later (throttling, 5xx, connection reset):
    the SDK retries it in-process (see `durable_mp.errors_classify`).
    """

    def __init__(self, code: str, message: str, *, status: int = 400, retriable: bool | None = None) -> None:
        super().__init__(f"{code}: {message}")
        self.code = code
        self.message = message
        self.status = status
        self.retriable = transient_status(code, status) if retriable is None else retriable


def as_service_error(exc: BaseException) -> ServiceError:
    """Whatever a client raised, as a `ServiceError` classified by `durable_mp.errors_classify`."""
    if isinstance(exc, ServiceError):
        return exc
    failure = service_failure(exc)
    error = ServiceError(failure.code, failure.message, status=failure.status, retriable=failure.transient)
    error.__cause__ = exc
    return error


class DurableServiceClient(Protocol):
    def checkpoint(
        self, execution_arn: str, checkpoint_token: str, updates: list[dict[str, Any]]
    ) -> dict[str, Any]:
        """Send updates; return {"CheckpointToken": str|None, "NewExecutionState": {"Operations", "NextMarker"}}."""
        ...

    def get_execution_state(
        self, execution_arn: str, checkpoint_token: str, marker: str | None = None, max_items: int = 1000
    ) -> dict[str, Any]:
        """Return one page of the execution's operations: {"Operations": [...], "NextMarker": str|None}."""
        ...


NO_DEADLINE_RETRY_SECONDS = 300.0  # how long one call is retried when the invocation has no deadline


def call_with_backoff(
    call: Callable[[], T],
    time_left: Callable[[], float] = lambda: float("inf"),
    *,
    sleep: Callable[[float], None] = time.sleep,
    clock: Callable[[], float] = time.monotonic,
) -> T:
    """`call()`, retried with back-off while it fails transiently and the time allows the next delay:
    `time_left()` is what the invocation can still spend (its remaining time less the yield margin), and
    with no deadline a call is retried for NO_DEADLINE_RETRY_SECONDS at most. Any other failure, or the
    last one, comes out as a `ServiceError` (`as_service_error`). A `BaseException` that is not an
    `Exception` (KeyboardInterrupt, SystemExit) passes unchanged."""
    attempt = 0
    started = clock()
    while True:
        try:
            return call()
        except Exception as exc:
            error = as_service_error(exc)
            delay = backoff(attempt)
            left = min(time_left(), NO_DEADLINE_RETRY_SECONDS - (clock() - started))
            if not error.retriable or left <= delay:
                if error is exc:
                    raise
                raise error from exc
            sleep(delay)
            attempt += 1
