"""Tests of durable_mp.exceptions: hierarchy, retriable verdicts, wire ErrorObjects and replay rebuild."""

from __future__ import annotations

from typing import Any, ClassVar

import pytest

from durable_mp import exceptions as ex
from durable_mp.service.client import ServiceError


class MyError(Exception):
    pass


def test_control_flow_exceptions_escape_except_exception() -> None:
    for exc in (
        ex.SuspendExecution("s"),
        ex.TimedSuspendExecution("t", 1.0),
        ex.OrphanedChildException("o", "op"),
        ex.BackgroundThreadError("b", ValueError("x")),
    ):
        with pytest.raises(BaseException) as info:
            try:
                raise exc
            except Exception:  # noqa: BLE001 - the point of the test
                pytest.fail(f"{type(exc).__name__} was caught by except Exception")
        assert info.value is exc


def test_timed_suspend_from_delay_is_in_the_future() -> None:
    import time

    before = time.time()
    exc = ex.TimedSuspendExecution.from_delay("w", 30)
    assert before + 30 <= exc.scheduled_timestamp <= time.time() + 30


def test_hierarchy_matches_official() -> None:
    assert issubclass(ex.ExecutionError, ex.UnrecoverableError)
    assert issubclass(ex.InvocationError, ex.UnrecoverableError)
    assert issubclass(ex.NonDeterministicExecutionError, ex.ExecutionError)
    assert issubclass(ex.CheckpointError, ex.BotoClientError)
    assert issubclass(ex.BotoClientError, ex.InvocationError)
    assert issubclass(ex.StepInterruptedError, ex.InvocationError)
    assert issubclass(ex.RetryableSerDesError, ex.InvocationError)
    assert issubclass(ex.CallbackTimeoutError, ex.CallbackError)
    assert issubclass(ex.CallbackError, ex.DurableOperationError)
    assert not issubclass(ex.SerDesError, ex.DurableOperationError)
    assert issubclass(ex.PayloadTooLargeError, ex.ValidationError)
    assert issubclass(ex.WorkerCrashed, ex.DurableOperationError)
    assert (
        ex.NonDeterministicExecutionError("m").termination_reason
        is ex.TerminationReason.NON_DETERMINISTIC_EXECUTION
    )
    assert ex.CheckpointError("m").termination_reason is ex.TerminationReason.CHECKPOINT_FAILED


def test_retriable_per_class() -> None:
    assert ex.InvocationError("m").retriable is True
    assert ex.StepInterruptedError("m").retriable is True
    assert ex.RetryableSerDesError("m").retriable is True
    assert ex.ExecutionError("m").retriable is False
    assert ex.ValidationError("m").retriable is False
    assert ex.PayloadTooLargeError(300_000).retriable is False
    assert ex.SerDesError("m").retriable is False
    assert ex.StepError("m").retriable is False
    assert ex.WorkerCrashed(index=1, signal_name="SIGKILL").retriable is False


@pytest.mark.parametrize(
    ("code", "message", "status", "retriable"),
    [
        ("TooManyRequestsException", "slow down", 429, True),
        ("ServiceException", "boom", 500, True),
        ("InvalidParameterValueException", "Invalid checkpoint token: stale", 400, True),
        ("InvalidParameterValueException", "payload exceeds 262144 bytes", 400, False),
        ("ResourceNotFoundException", "no such execution", 404, False),
        ("KMSDisabledException", "key disabled", 502, False),
    ],
)
def test_checkpoint_error_from_service_error(code: str, message: str, status: int, retriable: bool) -> None:
    service_error = ServiceError(code, message, status=status)
    err = ex.CheckpointError.from_exception(service_error)
    assert isinstance(err, ex.CheckpointError)
    assert err.retriable is retriable
    assert err.is_retryable() is retriable
    assert err.__cause__ is service_error
    assert err.error == {"Code": code, "Message": message}
    assert err.build_logger_extras()["ResponseMetadata"] == {"HTTPStatusCode": status}


def test_get_state_error_from_boto_style_exception() -> None:
    class FakeClientError(Exception):
        response: ClassVar[dict[str, Any]] = {
            "Error": {"Code": "ThrottlingException", "Message": "x"},
            "ResponseMetadata": {"HTTPStatusCode": 429},
        }

    err = ex.GetExecutionStateError.from_exception(FakeClientError("throttled"))
    assert err.retriable is True
    assert err.termination_reason is ex.TerminationReason.INVOCATION_ERROR


def test_payload_too_large_message_names_limit() -> None:
    err = ex.PayloadTooLargeError(300_001, what="step result")
    assert "300001" in str(err) and "262,144" in str(err) and "step result" in str(err)


def test_error_object_of_builtin_and_custom_exceptions() -> None:
    assert ex.error_object_from_exception(ValueError("bad")) == {
        "ErrorMessage": "bad",
        "ErrorType": "ValueError",
    }
    assert ex.error_object_from_exception(MyError("x")) == {
        "ErrorMessage": "x",
        "ErrorType": f"{__name__}.MyError",
    }


def test_error_object_of_operation_error_keeps_fields() -> None:
    err = ex.StepError("failed", error_type="ValueError", data='{"a":1}', stack_trace=["l1"])
    assert ex.error_object_from_exception(err) == {
        "ErrorMessage": "failed",
        "ErrorType": "aws_durable_execution_sdk_python.exceptions.StepError",
        "ErrorData": '{"a":1}',
        "StackTrace": ["l1"],
    }


def test_serdes_error_subclass_written_as_base() -> None:
    class MySerDesError(ex.SerDesError):
        pass

    obj = ex.error_object_from_exception(MySerDesError("cannot encode"))
    assert obj == {
        "ErrorMessage": "cannot encode",
        "ErrorType": "aws_durable_execution_sdk_python.exceptions.SerDesError",
    }


def test_from_error_object_uses_registry() -> None:
    rebuilt = ex.DurableOperationError.from_error_object(
        {
            "ErrorType": "aws_durable_execution_sdk_python.exceptions.CallbackTimeoutError",
            "ErrorMessage": "late",
        }
    )
    assert type(rebuilt) is ex.CallbackTimeoutError and rebuilt.message == "late"
    official = ex.StepError.from_error_object(
        {"ErrorType": "aws_durable_execution_sdk_python.exceptions.StepError"}
    )
    assert type(official) is ex.StepError
    unknown = ex.StepError.from_error_object(
        {"ErrorType": "ValueError", "ErrorMessage": "m", "StackTrace": ["a"]}
    )
    assert type(unknown) is ex.DurableOperationError
    assert (unknown.error_type, unknown.message, unknown.stack_trace) == ("ValueError", "m", ["a"])


def test_register_operation_error() -> None:
    class CustomOpError(ex.DurableOperationError):
        pass

    ex.register_operation_error(CustomOpError)
    obj = ex.error_object_from_exception(CustomOpError("m"))
    assert type(ex.DurableOperationError.from_error_object(obj)) is CustomOpError


def test_operation_error_from_error_object_wraps_cause() -> None:
    err = ex.operation_error_from_error_object({"ErrorType": "KeyError", "ErrorMessage": "k"}, ex.StepError)
    assert type(err) is ex.StepError and err.error_type == "KeyError"
    assert type(err.__cause__) is ex.DurableOperationError
    serdes = ex.operation_error_from_error_object(
        {"ErrorType": "aws_durable_execution_sdk_python.exceptions.SerDesError", "ErrorMessage": "s"},
        ex.StepError,
    )
    assert type(serdes) is ex.SerDesError


def test_worker_crashed_round_trips_index_and_signal() -> None:
    err = ex.WorkerCrashed(index=7, signal_name="SIGKILL")
    assert "item 7" in str(err) and "SIGKILL" in str(err)
    rebuilt = ex.DurableOperationError.from_error_object(ex.error_object_from_exception(err))
    assert type(rebuilt) is ex.WorkerCrashed
    assert (rebuilt.index, rebuilt.signal_name, rebuilt.message) == (7, "SIGKILL", err.message)
    exited = ex.WorkerCrashed(index=0, exitcode=3)
    assert "exit code 3" in str(exited)


def test_default_error_type_is_qualified_class_name() -> None:
    assert (
        ex.ChildContextError("m").error_type
        == "aws_durable_execution_sdk_python.exceptions.ChildContextError"
    )


def test_ordered_lock_error_message_includes_source() -> None:
    err = ex.OrderedLockError("lock broken", ValueError("why"))
    assert str(err) == "lock broken ValueError: why"
