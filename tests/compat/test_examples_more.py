"""More of the official examples' tests, imports swapped to durable-mp (processes and threads)."""

import pytest

from durable_mp.execution import InvocationStatus
from durable_mp.lambda_service import OperationStatus, OperationSubType, OperationType
from tests.compat.conftest import deserialize_operation_payload
from tests.compat.examples import more


@pytest.mark.example
@pytest.mark.durable_execution(handler=more.map_with_custom_serdes, lambda_function_name="map custom serdes")
def test_map_with_custom_serdes(durable_runner):
    with durable_runner:
        result = durable_runner.run(input="test", timeout=30)
    assert result.status is InvocationStatus.SUCCEEDED
    assert deserialize_operation_payload(result.result) == [
        {"index": 0, "label": "A"},
        {"index": 1, "label": "B"},
        {"index": 2, "label": "C"},
    ]
    labels = result.get_context("labels")
    for child in labels.child_operations:
        assert child.sub_type == OperationSubType.MAP_ITERATION
        assert child.result.startswith("tagged:")
        assert deserialize_operation_payload(child.result, more.TaggedSerDes())["label"] in "ABC"


@pytest.mark.example
@pytest.mark.durable_execution(
    handler=more.parallel_with_batch_serdes, lambda_function_name="parallel batch serdes"
)
def test_parallel_with_batch_serdes(durable_runner):
    with durable_runner:
        result = durable_runner.run(input="test", timeout=30)
    assert result.status is InvocationStatus.SUCCEEDED
    assert deserialize_operation_payload(result.result) == [1, 2]
    pair = result.get_context("pair")
    assert pair.sub_type == OperationSubType.PARALLEL and pair.result.startswith("batch:tagged:")
    for branch in pair.child_operations:
        assert branch.result.startswith("tagged:")  # branches use the batch serdes when no item_serdes


@pytest.mark.example
@pytest.mark.durable_execution(
    handler=more.parallel_with_failure_tolerance, lambda_function_name="parallel failure tolerance"
)
def test_parallel_with_failure_tolerance(durable_runner):
    with durable_runner:
        result = durable_runner.run(input="test", timeout=30)
    assert result.status is InvocationStatus.SUCCEEDED
    assert deserialize_operation_payload(result.result) == {
        "results": [1, 2],
        "failures": 1,
        "reason": "ALL_COMPLETED",
    }
    statuses = sorted(op.status.value for op in result.get_context("tolerant").child_operations)
    assert statuses == ["FAILED", "SUCCEEDED", "SUCCEEDED"]


@pytest.mark.example
@pytest.mark.durable_execution(
    handler=more.run_in_child_context_large_data, lambda_function_name="child context large data"
)
def test_run_in_child_context_large_data(durable_runner):
    with durable_runner:
        result = durable_runner.run(input="test", timeout=30)
    assert result.status is InvocationStatus.SUCCEEDED
    assert deserialize_operation_payload(result.result) == {"length": 300_000, "head": "aa", "tail": "cc"}
    large = result.get_context("large")
    assert large.status is OperationStatus.SUCCEEDED
    assert [op.name for op in large.child_operations] == ["part_0", "part_1", "part_2"]


@pytest.mark.example
@pytest.mark.durable_execution(
    handler=more.wait_for_callback_submitter_failure_catchable,
    lambda_function_name="Wait For Callback Failing Submitter Catchable",
)
def test_wait_for_callback_submitter_failure_catchable(durable_runner):
    with durable_runner:
        result = durable_runner.run(input="test", timeout=30)
    assert result.status is InvocationStatus.SUCCEEDED
    value = deserialize_operation_payload(result.result)
    assert value["caught"] is not None and "external system unreachable" in value["message"]
    notify = result.get_context("notify")
    assert notify.status is OperationStatus.FAILED
    submitter = notify.get_step("notify submitter")
    assert submitter.status is OperationStatus.FAILED and submitter.attempt == 1
    assert submitter.error.type == "ConnectionError"


@pytest.mark.example
@pytest.mark.durable_execution(handler=more.chained_invokes, lambda_function_name="chained invokes")
def test_chained_invokes(durable_runner):
    durable_runner.register_function("doubler", more.double)
    durable_runner.register_durable_function("adder", more.adder)
    with durable_runner:
        result = durable_runner.run(input="test", timeout=30)
    assert result.status is InvocationStatus.SUCCEEDED
    assert deserialize_operation_payload(result.result) == {"doubled": 42, "total": 5}
    call = result.get_invoke("call_doubler")
    assert call.operation_type is OperationType.CHAINED_INVOKE and call.status is OperationStatus.SUCCEEDED
    assert deserialize_operation_payload(call.result) == {"doubled": 42}
    assert deserialize_operation_payload(result.get_invoke("call_adder").result) == 5


@pytest.mark.example
@pytest.mark.durable_execution(handler=more.map_with_large_scale, lambda_function_name="Map Large Scale")
def test_map_with_large_scale(durable_runner):
    with durable_runner:
        result = durable_runner.run(input="test", timeout=60)
    assert result.status is InvocationStatus.SUCCEEDED
    assert deserialize_operation_payload(result.result) == {"count": 60, "sum": sum(range(1, 61))}
    large_map = result.get_context("large_map")
    assert len(large_map.child_operations) == 60
    assert all(child.status is OperationStatus.SUCCEEDED for child in large_map.child_operations)
