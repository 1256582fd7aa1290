"""The official examples' step, callback and child-context tests, imports swapped to durable-mp."""

import pytest

from durable_mp.execution import InvocationStatus
from durable_mp.lambda_service import ErrorObject, OperationStatus, OperationSubType, OperationType
from durable_mp.testing import DurableChildContextTestRunner, DurableFunctionTestRunner
from durable_mp.testing.runner import DurableFunctionTestResult
from tests.compat.conftest import deserialize_operation_payload
from tests.compat.examples import callbacks, contexts, steps


@pytest.mark.example
@pytest.mark.durable_execution(handler=steps.hello_world, lambda_function_name="hello world")
def test_hello_world(durable_runner):
    with durable_runner:
        result = durable_runner.run(input="test", timeout=10)
    assert result.status is InvocationStatus.SUCCEEDED
    assert deserialize_operation_payload(result.result) == "Hello World!"
    assert result.operations == []


@pytest.mark.example
@pytest.mark.durable_execution(handler=steps.step_with_name, lambda_function_name="step with name")
def test_step_with_name(durable_runner):
    with durable_runner:
        result = durable_runner.run(input="test", timeout=10)
    assert result.status is InvocationStatus.SUCCEEDED
    assert deserialize_operation_payload(result.result) == 8
    step = result.get_step("add")
    assert step.operation_type is OperationType.STEP
    assert step.sub_type == OperationSubType.STEP
    assert step.status is OperationStatus.SUCCEEDED
    assert step.attempt == 1
    assert deserialize_operation_payload(step.result) == 8


@pytest.mark.example
@pytest.mark.durable_execution(handler=steps.step_with_retry, lambda_function_name="step with retry")
def test_step_with_retry(durable_runner):
    steps.ATTEMPTS.clear()
    with durable_runner:
        result = durable_runner.run(input="test", timeout=30)
    assert result.status is InvocationStatus.SUCCEEDED
    assert deserialize_operation_payload(result.result) == "succeeded on attempt 3"
    step_ops = [op for op in result.operations if op.operation_type == OperationType.STEP]
    assert len(step_ops) == 1
    assert step_ops[0].attempt == 3  # three attempts made, as the official runner and the service count


@pytest.mark.example
@pytest.mark.durable_execution(
    handler=steps.step_exhausts_retries, lambda_function_name="step retries exhausted"
)
def test_step_exhausts_retries(durable_runner):
    with durable_runner:
        result = durable_runner.run(input="test", timeout=30)
    assert result.status is InvocationStatus.FAILED
    step = result.get_step("doomed")
    assert step.status is OperationStatus.FAILED and step.attempt == 3
    assert step.error == ErrorObject("never works", "ValueError", None, step.error.stack_trace)
    assert result.error is not None and result.error.message == "never works"


@pytest.mark.example
@pytest.mark.durable_execution(handler=steps.handler_error, lambda_function_name="handler error")
def test_handler_error(durable_runner):
    with durable_runner:
        result = durable_runner.run(input="test", timeout=10)
    assert result.status is InvocationStatus.FAILED
    assert result.error.type == "ValueError"
    assert result.error.message == "Intentional handler failure"


@pytest.mark.example
@pytest.mark.durable_execution(handler=steps.none_results, lambda_function_name="none results")
def test_none_results(durable_runner):
    with durable_runner:
        result = durable_runner.run(input="test", timeout=10)
    assert result.status is InvocationStatus.SUCCEEDED
    assert deserialize_operation_payload(result.result) == "first=None second=True"
    assert deserialize_operation_payload(result.get_step("returns_none").result) is None
    assert result.get_wait("pause").status is OperationStatus.SUCCEEDED


@pytest.mark.example
@pytest.mark.durable_execution(handler=callbacks.callback_created, lambda_function_name="callback")
def test_callback(durable_runner):
    with durable_runner:
        result = durable_runner.run(input="test", timeout=10)
    assert result.status is InvocationStatus.SUCCEEDED
    assert deserialize_operation_payload(result.result).startswith("Callback created with ID:")
    callback_ops = [op for op in result.operations if op.operation_type == OperationType.CALLBACK]
    assert len(callback_ops) == 1
    assert callback_ops[0].name == "example_callback"
    assert callback_ops[0].callback_id is not None
    assert callback_ops[0].status is OperationStatus.STARTED


@pytest.mark.example
@pytest.mark.durable_execution(handler=callbacks.callback_result, lambda_function_name="Callback Success")
def test_callback_success(durable_runner):
    with durable_runner:
        execution_arn = durable_runner.run_async(input=None, timeout=30)
        callback_id = durable_runner.wait_for_callback(execution_arn=execution_arn)
        durable_runner.send_callback_success(callback_id=callback_id, result=b"successful")
        result = durable_runner.wait_for_result(execution_arn=execution_arn)
    assert result.status is InvocationStatus.SUCCEEDED
    assert deserialize_operation_payload(result.result) == "successful"
    callback = result.get_callback("approval")
    assert callback.status is OperationStatus.SUCCEEDED and callback.result == "successful"


@pytest.mark.example
@pytest.mark.durable_execution(handler=callbacks.callback_result, lambda_function_name="Callback Empty")
def test_callback_success_without_a_result_reads_none(durable_runner):
    with durable_runner:
        execution_arn = durable_runner.run_async(input=None, timeout=30)
        callback_id = durable_runner.wait_for_callback(execution_arn=execution_arn)
        durable_runner.send_callback_success(callback_id=callback_id)
        result = durable_runner.wait_for_result(execution_arn=execution_arn)
    assert result.status is InvocationStatus.SUCCEEDED
    assert deserialize_operation_payload(result.result) is None
    assert result.get_callback("approval").result is None


@pytest.mark.example
@pytest.mark.durable_execution(
    handler=callbacks.wait_for_callback, lambda_function_name="Wait For Callback Success"
)
def test_wait_for_callback_success(durable_runner):
    with durable_runner:
        execution_arn = durable_runner.run_async(input="test", timeout=30)
        callback_id = durable_runner.wait_for_callback(execution_arn=execution_arn)
        durable_runner.send_callback_success(callback_id=callback_id, result=b"callback success")
        result = durable_runner.wait_for_result(execution_arn=execution_arn)
    assert result.status is InvocationStatus.SUCCEEDED
    assert deserialize_operation_payload(result.result) == "External system result: callback success"
    wrapper = result.get_context("external_call")
    assert wrapper.sub_type == OperationSubType.WAIT_FOR_CALLBACK
    kinds = {op.operation_type for op in wrapper.child_operations}
    assert kinds == {OperationType.CALLBACK, OperationType.STEP}


@pytest.mark.example
@pytest.mark.durable_execution(
    handler=callbacks.wait_for_callback_catching, lambda_function_name="Wait For Callback Failure"
)
def test_wait_for_callback_failure(durable_runner):
    with durable_runner:
        execution_arn = durable_runner.run_async(input="test", timeout=30)
        callback_id = durable_runner.wait_for_callback(execution_arn=execution_arn)
        durable_runner.send_callback_failure(
            callback_id=callback_id, error=ErrorObject("External API failure", "APIException", None, None)
        )
        result = durable_runner.wait_for_result(execution_arn=execution_arn)
    assert result.status is InvocationStatus.SUCCEEDED
    assert deserialize_operation_payload(result.result) == {"success": False, "error": "External API failure"}
    callback = result.get_context("external_call").get_callback("external_call create callback id")
    assert callback.status is OperationStatus.FAILED
    assert callback.error.type == "APIException"


@pytest.mark.example
@pytest.mark.durable_execution(
    handler=callbacks.wait_for_callback, lambda_function_name="Wait For Callback Heartbeat"
)
def test_wait_for_callback_heartbeat_sends(durable_runner):
    with durable_runner:
        execution_arn = durable_runner.run_async(input="test", timeout=30)
        callback_id = durable_runner.wait_for_callback(execution_arn=execution_arn)
        durable_runner.send_callback_heartbeat(callback_id=callback_id)
        durable_runner.send_callback_heartbeat(callback_id=callback_id)
        durable_runner.send_callback_success(callback_id=callback_id, result=b"alive")
        result = durable_runner.wait_for_result(execution_arn=execution_arn)
    assert result.status is InvocationStatus.SUCCEEDED
    assert deserialize_operation_payload(result.result) == "External system result: alive"


@pytest.mark.example
@pytest.mark.durable_execution(
    handler=callbacks.wait_for_callback_child, lambda_function_name="Wait For Callback With Child Context"
)
def test_wait_for_callback_with_child_context(durable_runner):
    with durable_runner:
        execution_arn = durable_runner.run_async(input="test", timeout=30)
        callback_id = durable_runner.wait_for_callback(
            execution_arn=execution_arn, name="child_callback create callback id"
        )
        durable_runner.send_callback_success(callback_id=callback_id, result=b'{"ok": true}')
        result = durable_runner.wait_for_result(execution_arn=execution_arn)
    assert result.status is InvocationStatus.SUCCEEDED
    assert deserialize_operation_payload(result.result) == '{"ok": true}'
    child = result.get_context("parent_child")
    assert child.sub_type == OperationSubType.RUN_IN_CHILD_CONTEXT
    assert child.get_step("prepare").status is OperationStatus.SUCCEEDED
    assert child.get_context("child_callback").status is OperationStatus.SUCCEEDED


@pytest.mark.example
@pytest.mark.durable_execution(
    handler=contexts.run_in_child_context, lambda_function_name="run in child context"
)
def test_run_in_child_context(durable_runner):
    with durable_runner:
        result = durable_runner.run(input="test", timeout=10)
    assert result.status is InvocationStatus.SUCCEEDED
    assert deserialize_operation_payload(result.result) == "Hello child!"
    child = result.get_context("child_operation")
    assert child.operation_type is OperationType.CONTEXT
    assert child.status is OperationStatus.SUCCEEDED
    assert [op.name for op in child.child_operations] == ["greet", "pause", "exclaim"]
    assert child.get_wait("pause").scheduled_end_timestamp is not None


@pytest.mark.example
@pytest.mark.durable_execution(handler=contexts.block_example, lambda_function_name="block example")
def test_block_example(durable_runner):
    with durable_runner:
        result = durable_runner.run(input="test", timeout=10)
    assert result.status is InvocationStatus.SUCCEEDED
    assert deserialize_operation_payload(result.result) == {"outer": "outer done", "inner": "inner done"}
    outer = result.get_context("outer_block")
    inner = outer.get_context("inner_block")
    assert inner.get_step("inner_step").status is OperationStatus.SUCCEEDED
    names = {op.name for op in result.get_all_operations()}
    assert names == {"outer_block", "outer_step", "inner_block", "inner_step"}


@pytest.mark.example
@pytest.mark.durable_execution(handler=contexts.wait_for_condition, lambda_function_name="wait for condition")
def test_wait_for_condition(durable_runner):
    with durable_runner:
        result = durable_runner.run(input="test", timeout=30)
    assert result.status is InvocationStatus.SUCCEEDED
    assert deserialize_operation_payload(result.result) == 3
    poll = result.get_step("poll")
    assert poll.sub_type == OperationSubType.WAIT_FOR_CONDITION
    assert poll.status is OperationStatus.SUCCEEDED and poll.attempt == 3


def test_child_context_runner_runs_one_block():
    with DurableChildContextTestRunner(contexts.greet_block, "block") as runner:
        result: DurableFunctionTestResult = runner.run(input="ignored", timeout=10)
    assert result.status is InvocationStatus.SUCCEEDED
    assert deserialize_operation_payload(result.result) == "Hello block!"
    assert [op.name for op in result.operations] == ["greet", "pause", "exclaim"]


def test_runner_handler_keyword_and_function_registration():
    with DurableFunctionTestRunner(handler=steps.step_with_name) as runner:
        result = runner.run(input=None, execution_timeout=30)
    assert result.execution_status is not None and result.execution_status.value == "SUCCEEDED"
