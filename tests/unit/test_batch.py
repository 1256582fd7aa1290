"""Tests of durable_mp.concurrency.batch: BatchResult queries, dict shape, throw_if_error."""

from __future__ import annotations

import pytest

from durable_mp.concurrency.batch import BatchCompletionError, BatchItem, BatchResult
from durable_mp.concurrency.models import BatchResult as ModelsBatchResult
from durable_mp.concurrency.policy import CompletionReason
from durable_mp.config import BatchItemStatus, CompletionConfig
from durable_mp.exceptions import ChildContextError, DurableOperationError, ErrorObject, StepError

S, F, ST = BatchItemStatus.SUCCEEDED, BatchItemStatus.FAILED, BatchItemStatus.STARTED


def make() -> BatchResult[str]:
    return BatchResult(
        [
            BatchItem(0, S, "a"),
            BatchItem(1, F, error=ErrorObject("boom", "ValueError", None, None)),
            BatchItem(2, S, None),
            BatchItem(3, ST),
            BatchItem(
                4,
                F,
                error=ErrorObject(
                    "late", "aws_durable_execution_sdk_python.exceptions.StepError", None, ["t"]
                ),
            ),
        ],
        CompletionReason.FAILURE_TOLERANCE_EXCEEDED,
    )


def test_queries_and_counts() -> None:
    result = make()
    assert [i.index for i in result.succeeded()] == [0, 2]
    assert [i.index for i in result.failed()] == [1, 4]
    assert [i.index for i in result.started()] == [3]
    assert result.get_results() == ["a", None]
    assert [e.message for e in result.get_errors() if e] == ["boom", "late"]
    assert (result.success_count, result.failure_count, result.started_count, result.total_count) == (
        2,
        2,
        1,
        5,
    )
    assert result.has_failure and result.status is F
    assert ModelsBatchResult is BatchResult


def test_status_follows_custom_reason() -> None:
    ok = BatchResult(
        [BatchItem(0, F, error=ErrorObject.from_message("x"))], CompletionReason.CUSTOM_COMPLETION_SUCCEEDED
    )
    assert ok.status is S
    bad = BatchResult([BatchItem(0, S, 1)], CompletionReason.CUSTOM_COMPLETION_FAILED)
    assert bad.status is F and not bad.has_failure


def test_throw_if_error_raises_first_failure_as_child_context_error() -> None:
    with pytest.raises(ChildContextError) as info:
        make().throw_if_error()
    assert info.value.message == "boom" and info.value.error_type == "ValueError"
    assert type(info.value.__cause__) is DurableOperationError
    typed = BatchResult(
        [
            BatchItem(
                0,
                F,
                error=ErrorObject("s", "aws_durable_execution_sdk_python.exceptions.StepError", None, None),
            )
        ],
        CompletionReason.ALL_COMPLETED,
    )
    with pytest.raises(ChildContextError) as info2:
        typed.throw_if_error()
    assert type(info2.value.__cause__) is StepError


def test_throw_if_error_without_error_object_and_custom_failure() -> None:
    with pytest.raises(ChildContextError, match="Batch item 3 failed without an ErrorObject"):
        BatchResult([BatchItem(3, F)], CompletionReason.ALL_COMPLETED).throw_if_error()
    with pytest.raises(BatchCompletionError, match="CUSTOM_COMPLETION_FAILED") as info:
        BatchResult([BatchItem(0, S, 1)], CompletionReason.CUSTOM_COMPLETION_FAILED).throw_if_error()
    assert info.value.completion_reason is CompletionReason.CUSTOM_COMPLETION_FAILED
    BatchResult([BatchItem(0, S, 1)], CompletionReason.ALL_COMPLETED).throw_if_error()


def test_batch_completion_error_is_rebuilt_on_replay() -> None:
    from durable_mp.exceptions import error_object_from_exception

    obj = error_object_from_exception(BatchCompletionError())
    assert obj["ErrorType"] == "aws_durable_execution_sdk_python.concurrency.models.BatchCompletionError"
    rebuilt = DurableOperationError.from_error_object(obj)
    assert type(rebuilt) is BatchCompletionError
    official = DurableOperationError.from_error_object(
        {"ErrorType": "aws_durable_execution_sdk_python.concurrency.models.BatchCompletionError"}
    )
    assert type(official) is BatchCompletionError


def test_dict_round_trip_in_official_shape() -> None:
    result = make()
    data = result.to_dict()
    assert data["completionReason"] == "FAILURE_TOLERANCE_EXCEEDED"
    assert data["all"][1] == {
        "index": 1,
        "status": "FAILED",
        "result": None,
        "error": {"ErrorMessage": "boom", "ErrorType": "ValueError"},
    }
    assert data["all"][0] == {"index": 0, "status": "SUCCEEDED", "result": "a", "error": None}
    assert BatchResult.from_dict(data) == result


def test_from_dict_infers_missing_reason() -> None:
    data = {
        "all": [
            {"index": 0, "status": "SUCCEEDED", "result": 1},
            {"index": 1, "status": "FAILED", "result": None},
        ]
    }
    assert BatchResult.from_dict(data).completion_reason is CompletionReason.FAILURE_TOLERANCE_EXCEEDED
    tolerant = BatchResult.from_dict(data, CompletionConfig.all_completed())
    assert tolerant.completion_reason is CompletionReason.ALL_COMPLETED


def test_from_items_min_successful() -> None:
    items = [BatchItem(0, S, 1), BatchItem(1, ST)]
    assert (
        BatchResult.from_items(items, CompletionConfig(min_successful=1)).completion_reason
        is CompletionReason.MIN_SUCCESSFUL_REACHED
    )
