"""Operation identity under the official SDK's names: `OperationIdNamespace` and `OperationIdentifier`.

Ids come from `durable_mp.ids` and the replay check from `durable_mp.wire.OpRef.mismatch` (the one
implementation the SDK runs on); these classes are the typed, official-named view of them.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from durable_mp.exceptions import NonDeterministicExecutionError
from durable_mp.ids import child_id
from durable_mp.lambda_service import Operation, OperationType
from durable_mp.wire import Operation as WireOperation
from durable_mp.wire import OpRef


@dataclass(frozen=True)
class OperationIdNamespace:
    """The ids of one context's operations: step n (from 1) of the context whose id is `prefix`."""

    prefix: str | None = None

    def create_id_for_step(self, step: int) -> str:
        return child_id(self.prefix, step)


@dataclass(frozen=True)
class OperationIdentifier:
    """An operation's identity: id, subtype, parent, name and type."""

    operation_id: str
    sub_type: str
    parent_id: str | None = None
    name: str | None = None
    operation_type: OperationType = field(kw_only=True)

    @property
    def type(self) -> OperationType:
        return self.operation_type

    def validate_checkpoint(self, checkpoint: Operation | None) -> None:
        """Raise NonDeterministicExecutionError when a recorded operation is not this one."""
        if not isinstance(checkpoint, Operation):
            return
        ref = OpRef(self.operation_id, self.operation_type.value, self.sub_type, self.name, self.parent_id)
        recorded = WireOperation(
            checkpoint.operation_id,
            checkpoint.operation_type.value,
            checkpoint.status.value,
            checkpoint.parent_id,
            checkpoint.name,
            checkpoint.sub_type,
        )
        diff = ref.mismatch(recorded)
        if diff:
            raise NonDeterministicExecutionError(
                f"Non-deterministic operation identity at id={self.operation_id!r}: {diff}",
                step_id=self.operation_id,
            )


__all__ = ["OperationIdNamespace", "OperationIdentifier"]
