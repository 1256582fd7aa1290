"""The invocation input and output models under the official names (re-exported by `durable_mp.execution`).

`DurableExecutionInvocationInput` is the typed view of the event a durable handler receives;
`DurableExecutionInvocationInputWithClient` also carries the service client to use (a
`durable_mp.service.client.DurableServiceClient`), and a handler decorated with `@durable_execution`
accepts it in place of the event, as officially (tests inject a client this way).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from durable_mp.exceptions import CheckpointError, ErrorObject
from durable_mp.lambda_service import DurableExecutionInvocationOutput, InvocationStatus, Operation
from durable_mp.service.client import DurableServiceClient
from durable_mp.wire import LAMBDA_RESPONSE_LIMIT

LAMBDA_RESPONSE_SIZE_LIMIT = LAMBDA_RESPONSE_LIMIT


@dataclass(frozen=True)
class InitialExecutionState:
    operations: list[Operation]
    next_marker: str

    @staticmethod
    def from_dict(input_dict: Mapping[str, Any]) -> InitialExecutionState:
        ops = [Operation.from_dict(op) for op in input_dict.get("Operations") or []]
        return InitialExecutionState(ops, input_dict.get("NextMarker") or "")

    @staticmethod
    def from_json_dict(input_dict: Mapping[str, Any]) -> InitialExecutionState:
        return InitialExecutionState.from_dict(input_dict)

    def to_dict(self) -> dict[str, Any]:
        return {"Operations": [op.to_dict() for op in self.operations], "NextMarker": self.next_marker}

    def to_json_dict(self) -> dict[str, Any]:
        return {"Operations": [op.to_json_dict() for op in self.operations], "NextMarker": self.next_marker}


@dataclass(frozen=True)
class DurableExecutionInvocationInput:
    durable_execution_arn: str
    checkpoint_token: str
    initial_execution_state: InitialExecutionState
    updated_operation_ids: list[str] = field(default_factory=list, kw_only=True)

    @staticmethod
    def from_dict(input_dict: Mapping[str, Any]) -> DurableExecutionInvocationInput:
        return DurableExecutionInvocationInput(
            input_dict["DurableExecutionArn"],
            input_dict["CheckpointToken"],
            InitialExecutionState.from_dict(input_dict.get("InitialExecutionState") or {}),
            updated_operation_ids=list(input_dict.get("UpdatedOperationIds") or []),
        )

    @staticmethod
    def from_json_dict(input_dict: Mapping[str, Any]) -> DurableExecutionInvocationInput:
        return DurableExecutionInvocationInput.from_dict(input_dict)

    def _to(self, state: dict[str, Any]) -> dict[str, Any]:
        return {
            "DurableExecutionArn": self.durable_execution_arn,
            "CheckpointToken": self.checkpoint_token,
            "InitialExecutionState": state,
            "UpdatedOperationIds": list(self.updated_operation_ids),
        }

    def to_dict(self) -> dict[str, Any]:
        return self._to(self.initial_execution_state.to_dict())

    def to_json_dict(self) -> dict[str, Any]:
        """The event as Lambda delivers it (timestamps as epoch milliseconds)."""
        return self._to(self.initial_execution_state.to_json_dict())


@dataclass(frozen=True)
class DurableExecutionInvocationInputWithClient(DurableExecutionInvocationInput):
    """An invocation input with the service client the handler must use."""

    service_client: DurableServiceClient

    @staticmethod
    def from_durable_execution_invocation_input(
        invocation_input: DurableExecutionInvocationInput, service_client: DurableServiceClient
    ) -> DurableExecutionInvocationInputWithClient:
        return DurableExecutionInvocationInputWithClient(
            invocation_input.durable_execution_arn,
            invocation_input.checkpoint_token,
            invocation_input.initial_execution_state,
            updated_operation_ids=list(invocation_input.updated_operation_ids),
            service_client=service_client,
        )


def handle_checkpoint_error(error: CheckpointError) -> DurableExecutionInvocationOutput:
    """A retriable checkpoint failure is re-raised (Lambda retries the invocation); others fail it."""
    if error.is_retryable():
        raise error from None
    return DurableExecutionInvocationOutput(InvocationStatus.FAILED, error=ErrorObject.from_exception(error))
