"""The official examples' map and parallel tests, imports swapped to durable-mp (processes and threads)."""

import pytest

from durable_mp.execution import InvocationStatus
from durable_mp.lambda_service import OperationStatus, OperationSubType, OperationType
from tests.compat.conftest import deserialize_operation_payload
from tests.compat.examples import (
    map_configs,
    map_operations,
    map_operations_flat,
    parallel,
    parallel_flat,
    parallel_with_named_branches,
)


@pytest.mark.example
@pytest.mark.durable_execution(handler=map_operations_flat.handler, lambda_function_name="map operations")
def test_map_operations_flat(durable_runner):
    with durable_runner:
        result = durable_runner.run(input="test", timeout=10)

    assert result.status is InvocationStatus.SUCCEEDED
    assert deserialize_operation_payload(result.result) == [2, 4, 6, 8, 10]
    map_op = result.get_context("map_operation")
    assert map_op is not None
    assert map_op.status is OperationStatus.SUCCEEDED
    assert len(map_op.child_operations) == 5
    assert {op.name for op in map_op.child_operations} == {f"map_item_{i}" for i in range(5)}
    for child in map_op.child_operations:
        assert child.status is OperationStatus.SUCCEEDED


@pytest.mark.example
@pytest.mark.durable_execution(handler=map_operations.handler, lambda_function_name="map operations")
def test_map_operations(durable_runner):
    with durable_runner:
        result = durable_runner.run(input="test", timeout=10)

    assert result.status is InvocationStatus.SUCCEEDED
    assert deserialize_operation_payload(result.result) == [1, 4, 9, 16, 25]
    map_op = result.get_context("square")
    assert map_op.operation_type is OperationType.CONTEXT
    assert map_op.sub_type == OperationSubType.MAP
    assert len(map_op.child_operations) == 5
    squares = {}
    for child in map_op.child_operations:
        assert child.operation_type is OperationType.CONTEXT
        assert child.sub_type == OperationSubType.MAP_ITERATION
        assert child.status is OperationStatus.SUCCEEDED
        (step,) = child.child_operations
        assert step.operation_type is OperationType.STEP and step.attempt == 1
        squares[step.name] = deserialize_operation_payload(step.result)
    assert squares == {f"square_{i}": (i + 1) ** 2 for i in range(5)}


@pytest.mark.example
@pytest.mark.durable_execution(handler=parallel.handler, lambda_function_name="Parallel Operations")
def test_parallel(durable_runner):
    with durable_runner:
        result = durable_runner.run(input="test", timeout=10)

    assert result.status is InvocationStatus.SUCCEEDED
    assert deserialize_operation_payload(result.result) == [
        "task 1 completed",
        "task 2 completed",
        "task 3 completed after wait",
    ]
    parallel_op = result.get_context("parallel_operation")
    assert parallel_op is not None
    assert parallel_op.status is OperationStatus.SUCCEEDED
    assert parallel_op.sub_type == OperationSubType.PARALLEL
    assert len(parallel_op.child_operations) == 3
    for child in parallel_op.child_operations:
        assert child.operation_type == OperationType.CONTEXT
        assert child.status is OperationStatus.SUCCEEDED


@pytest.mark.example
@pytest.mark.durable_execution(handler=parallel_flat.handler, lambda_function_name="Parallel Operations Flat")
def test_parallel_flat(durable_runner):
    with durable_runner:
        result = durable_runner.run(input="test", timeout=100)

    assert result.status is InvocationStatus.SUCCEEDED
    assert deserialize_operation_payload(result.result) == [
        "task 1 completed",
        "task 2 completed",
        "task 3 completed after wait",
    ]
    parallel_op = result.get_context("parallel_operation")
    assert parallel_op is not None
    assert parallel_op.status is OperationStatus.SUCCEEDED
    assert len(parallel_op.child_operations) == 3
    for child in parallel_op.child_operations:
        assert child.operation_type != OperationType.CONTEXT
        assert child.status is OperationStatus.SUCCEEDED


@pytest.mark.example
@pytest.mark.durable_execution(
    handler=parallel_with_named_branches.handler, lambda_function_name="parallel with named branches"
)
def test_parallel_with_named_branches(durable_runner):
    with durable_runner:
        result = durable_runner.run(input="test", timeout=10)

    assert result.status is InvocationStatus.SUCCEEDED
    assert deserialize_operation_payload(result.result) == [
        "user-data-loaded",
        "orders-loaded",
        "prefs-loaded",
    ]
    parallel_op = result.get_context("load_all_data")
    assert parallel_op is not None
    assert parallel_op.status is OperationStatus.SUCCEEDED
    assert len(parallel_op.child_operations) == 3
    assert {op.name for op in parallel_op.child_operations} == {
        "fetch-user-data",
        "fetch-order-history",
        "fetch-preferences",
    }
    for child in parallel_op.child_operations:
        assert child.operation_type == OperationType.CONTEXT
        assert child.status is OperationStatus.SUCCEEDED


@pytest.mark.example
@pytest.mark.durable_execution(
    handler=map_configs.map_with_max_concurrency, lambda_function_name="max concurrency"
)
def test_map_with_max_concurrency(durable_runner):
    with durable_runner:
        result = durable_runner.run(input="test", timeout=10)

    assert result.status is InvocationStatus.SUCCEEDED
    assert deserialize_operation_payload(result.result) == [f"processed {i}" for i in range(1, 11)]
    assert len(result.get_context("max_concurrency_map").child_operations) == 10


@pytest.mark.example
@pytest.mark.durable_execution(
    handler=map_configs.map_with_min_successful, lambda_function_name="min successful"
)
def test_map_with_min_successful(durable_runner):
    with durable_runner:
        result = durable_runner.run(input="test", timeout=10)

    assert result.status is InvocationStatus.SUCCEEDED
    value = deserialize_operation_payload(result.result)
    assert value["success_count"] >= 3 and value["reason"] == "MIN_SUCCESSFUL_REACHED"
    map_op = result.get_context("min_successful_map")
    succeeded = [op for op in map_op.child_operations if op.status is OperationStatus.SUCCEEDED]
    assert len(succeeded) == value["success_count"]


@pytest.mark.example
@pytest.mark.durable_execution(
    handler=map_configs.map_with_failure_tolerance, lambda_function_name="failure tolerance"
)
def test_map_with_failure_tolerance(durable_runner):
    with durable_runner:
        result = durable_runner.run(input="test", timeout=10)

    assert result.status is InvocationStatus.SUCCEEDED
    value = deserialize_operation_payload(result.result)
    assert value == {"successes": [2, 4, 6, 8], "failure_count": 2, "reason": "ALL_COMPLETED"}
    map_op = result.get_context("tolerant_map")
    failed = [op for op in map_op.child_operations if op.status is OperationStatus.FAILED]
    assert len(failed) == 2
    for child in failed:
        assert (
            child.error is not None
            and child.error.type == "aws_durable_execution_sdk_python.exceptions.StepError"
        )
