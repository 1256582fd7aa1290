"""Wire compatibility of error types: what durable-mp writes in ErrorObject.ErrorType for the exception
classes the official SDK defines is the official spelling, so histories match and an official SDK replays
them; durable-mp's own classes keep their module path; both spellings are read back."""

from __future__ import annotations

import pytest

import durable_mp.exceptions as ours
from durable_mp.concurrency.models import BatchCompletionError

official_exceptions = pytest.importorskip("aws_durable_execution_sdk_python.exceptions")
official_models = pytest.importorskip("aws_durable_execution_sdk_python.concurrency.models")

OPERATION_ERRORS = [
    "DurableOperationError",
    "StepError",
    "InvokeError",
    "ChildContextError",
    "WaitForConditionError",
    "CallbackError",
    "CallbackExternalError",
    "CallbackTimeoutError",
    "CallbackSubmitterError",
]


def _instance(module: object, name: str) -> BaseException:
    cls = getattr(module, name)
    if issubclass(cls, (ours.DurableOperationError, official_exceptions.DurableOperationError)):
        return cls("boom")
    for args in (("boom",), ("boom", None), ("boom", ours.TerminationReason.EXECUTION_ERROR)):
        try:
            return cls(*args)
        except TypeError:
            continue
    raise AssertionError(f"cannot build {name}")


@pytest.mark.parametrize("name", OPERATION_ERRORS + ["SerDesError"])
def test_operation_errors_are_written_as_the_official_sdk_writes_them(name: str) -> None:
    from aws_durable_execution_sdk_python.lambda_service import ErrorObject as OfficialErrorObject

    written = ours.error_object_from_exception(_instance(ours, name))
    expected = OfficialErrorObject.from_exception(_instance(official_exceptions, name)).to_dict()
    assert written == dict(expected)
    assert written["ErrorType"] == f"aws_durable_execution_sdk_python.exceptions.{name}"


def test_every_official_exception_class_is_written_with_its_official_module() -> None:
    for name, cls in vars(official_exceptions).items():
        if (
            isinstance(cls, type)
            and issubclass(cls, BaseException)
            and cls.__module__ == official_exceptions.__name__
        ):
            assert ours.wire_type_name(getattr(ours, name)) == f"{cls.__module__}.{name}", name
    assert ours.wire_type_name(BatchCompletionError) == (
        "aws_durable_execution_sdk_python.concurrency.models.BatchCompletionError"
    )
    official_written = official_models.BatchCompletionError  # the official class's own path, for reference
    assert ours.error_object_from_exception(BatchCompletionError())["ErrorType"] == (
        f"{official_written.__module__}.{official_written.__qualname__}"
    )


def test_durable_mp_own_types_keep_their_spelling() -> None:
    assert ours.error_object_from_exception(ours.WorkerCrashed("died"))["ErrorType"] == (
        "durable_mp.exceptions.WorkerCrashed"
    )
    assert ours.error_object_from_exception(ours.InvalidConfigError("bad"))["ErrorType"] == (
        "durable_mp.exceptions.InvalidConfigError"
    )
    assert ours.error_object_from_exception(ValueError("v"))["ErrorType"] == "ValueError"


class StepError(ours.StepError):
    """A user's class that shares an official name keeps the user's module."""


def test_a_user_class_with_an_official_name_keeps_its_module() -> None:
    assert ours.error_object_from_exception(StepError("u"))["ErrorType"] == f"{__name__}.StepError"


@pytest.mark.parametrize("name", OPERATION_ERRORS[1:])
@pytest.mark.parametrize("module", ["durable_mp.exceptions", "aws_durable_execution_sdk_python.exceptions"])
def test_both_spellings_are_read_back_as_our_class(module: str, name: str) -> None:
    rebuilt = ours.DurableOperationError.from_error_object(
        {"ErrorType": f"{module}.{name}", "ErrorMessage": "m"}
    )
    assert type(rebuilt) is getattr(ours, name) and rebuilt.message == "m"
    serdes = ours.operation_error_from_error_object(
        {"ErrorType": "durable_mp.exceptions.SerDesError", "ErrorMessage": "s"}, ours.StepError
    )
    assert type(serdes) is ours.SerDesError


def test_batch_completion_error_is_read_back_from_both_spellings() -> None:
    for error_type in (
        "durable_mp.concurrency.batch.BatchCompletionError",
        "aws_durable_execution_sdk_python.concurrency.models.BatchCompletionError",
    ):
        rebuilt = ours.DurableOperationError.from_error_object({"ErrorType": error_type, "ErrorMessage": "m"})
        assert type(rebuilt) is BatchCompletionError


@pytest.mark.parametrize("name", OPERATION_ERRORS[1:])
def test_the_official_sdk_rebuilds_its_own_class_from_what_durable_mp_wrote(name: str) -> None:
    from aws_durable_execution_sdk_python.lambda_service import ErrorObject as OfficialErrorObject

    written = ours.error_object_from_exception(_instance(ours, name))
    rebuilt = OfficialErrorObject.from_dict(written).to_durable_operation_error()
    assert type(rebuilt) is getattr(official_exceptions, name)
