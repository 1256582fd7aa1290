"""`lambda_service.record` builds a frozen dataclass without its generated __init__: the same instance as
the constructor gives (equal, same repr, still frozen), defaults filled in, mutable defaults never shared."""

from __future__ import annotations

import dataclasses
import datetime

import pytest

from durable_mp.lambda_service import (
    ErrorObject,
    Operation,
    OperationStatus,
    OperationType,
    StepDetails,
    record,
)
from durable_mp.testing.runner import ContextOperation, StepOperation


def test_a_record_is_the_instance_the_constructor_builds() -> None:
    when = datetime.datetime(2026, 12, 1, tzinfo=datetime.UTC)
    details = record(StepDetails, attempt=2, error=ErrorObject("boom", "ValueError", None, None))
    assert details == StepDetails(2, None, None, ErrorObject("boom", "ValueError", None, None))
    op = record(
        Operation,
        operation_id="a",
        operation_type=OperationType.STEP,
        status=OperationStatus.SUCCEEDED,
        start_timestamp=when,
        step_details=details,
    )
    expected = Operation(
        "a", OperationType.STEP, OperationStatus.SUCCEEDED, start_timestamp=when, step_details=details
    )
    assert (
        op == expected and repr(op) == repr(expected) and hash(details) == hash(dataclasses.replace(details))
    )
    with pytest.raises(dataclasses.FrozenInstanceError):
        op.name = "b"  # type: ignore[misc]


def test_fields_with_a_default_factory_must_be_given_and_are_never_shared() -> None:
    common = {"operation_id": "c", "operation_type": OperationType.CONTEXT, "status": OperationStatus.STARTED}
    one = record(ContextOperation, **common, child_operations=[])
    two = record(ContextOperation, **common, child_operations=[])
    assert one == ContextOperation(**common) and one.child_operations is not two.child_operations
    step = record(StepOperation, **common, child_operations=[], attempt=3)
    assert (step.attempt, step.result, step.next_attempt_timestamp) == (3, None, None)
