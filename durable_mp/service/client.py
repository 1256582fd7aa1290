"""The service-client interface: what the SDK needs from a durable execution service.

Two implementations: `durable_mp.service.boto` (the real service through boto3) and the local service's
in-process client (`durable_mp.local`). Requests and responses are dicts in exactly the boto3 `lambda`
client's shapes (PascalCase keys). Timestamps inside operation dicts may be `datetime` or epoch
milliseconds. A dict handed across this boundary is never mutated afterwards by either side.
"""

from __future__ import annotations

from typing import Any, Protocol

RETRIABLE_CODES = frozenset(
    {"TooManyRequestsException", "ThrottlingException", "ServiceException", "ServiceUnavailableException"}
)


class ServiceError(Exception):
    """An error answered by the durable execution service (or the connection to it).

    `code` is the AWS error code (`InvalidParameterValueException`, `ResourceNotFoundException`, ...).
    `retriable` says whether the same request may succeed later (throttling, 5xx, connection reset).
    """

    def __init__(self, code: str, message: str, *, status: int = 400, retriable: bool | None = None) -> None:
        super().__init__(f"{code}: {message}")
        self.code = code
        self.message = message
        self.status = status
        self.retriable = (
            (status >= 500 or status == 429 or code in RETRIABLE_CODES) if retriable is None else retriable
        )


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
