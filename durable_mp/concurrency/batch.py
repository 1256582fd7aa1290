"""The result of a map or parallel: `BatchResult`, its `BatchItem`s and `BatchCompletionError`.

`BatchResult.to_dict()` is exactly the official shape, `{"all": [{"index", "status", "result",
"error"}...], "completionReason"}`, so the checkpointed Map/Parallel SUCCEED payload (this dict
through `ExtendedTypeSerDes`) is byte-identical to the official SDK's.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any, Generic, TypeVar, cast

from durable_mp.concurrency.policy import CompletionReason, infer_completion_reason
from durable_mp.config import BatchItemStatus, CompletionConfig, CompletionItemStatus
from durable_mp.exceptions import (
    ChildContextError,
    DurableOperationError,
    ErrorObject,
    register_operation_error,
)

logger = logging.getLogger(__name__)

R = TypeVar("R")

_SUCCEEDED = BatchItemStatus.SUCCEEDED
_FAILED = BatchItemStatus.FAILED
_STARTED = BatchItemStatus.STARTED


class BatchCompletionError(DurableOperationError):
    """Raised by `BatchResult.throw_if_error` when a custom `should_complete` ended the batch as
    failed (CUSTOM_COMPLETION_FAILED), even though no item failed."""

    def __init__(
        self,
        completion_reason: CompletionReason = CompletionReason.CUSTOM_COMPLETION_FAILED,
        message: str | None = None,
        error_type: str | None = None,
        data: str | None = None,
        stack_trace: list[str] | None = None,
    ) -> None:
        super().__init__(
            message or f"Batch completed as failed by should_complete ({completion_reason.value})",
            error_type,
            data,
            stack_trace,
        )
        self.completion_reason = completion_reason


register_operation_error(BatchCompletionError)


@dataclass(frozen=True)
class BatchItem(Generic[R]):
    """One map item or parallel branch: its index, status, result (when SUCCEEDED) and error (when
    FAILED; may be None if the failure carried no ErrorObject)."""

    index: int
    status: BatchItemStatus
    result: R | None = None
    error: ErrorObject | None = None

    def to_dict(self) -> dict[str, Any]:
        """The official dict shape."""
        return {
            "index": self.index,
            "status": self.status.value,
            "result": self.result,
            "error": self.error.to_dict() if self.error else None,
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> BatchItem[R]:
        """Read the official dict shape back."""
        error = data.get("error")
        return cls(
            data["index"],
            BatchItemStatus(data["status"]),
            data.get("result"),
            ErrorObject.from_dict(error) if error else None,
        )


@dataclass(frozen=True)
class BatchResult(Generic[R]):
    """What `context.map` and `context.parallel` return.

    `all` holds every item that started, in index order (items never started are left out);
    items still running when the batch completed are STARTED. The operation itself succeeds even
    when items failed: look at `failed()`, `get_errors()` or call `throw_if_error()`.
    """

    all: list[BatchItem[R]]
    completion_reason: CompletionReason

    @classmethod
    def from_dict(
        cls, data: dict[str, Any], completion_config: CompletionConfig | None = None
    ) -> BatchResult[R]:
        """Read `to_dict()` back; a missing completionReason is inferred from the items and config."""
        items: list[BatchItem[R]] = [BatchItem.from_dict(item) for item in data["all"]]
        reason = data.get("completionReason")
        if reason is None:
            result = cls.from_items(items, completion_config)
            logger.warning(
                "BatchResult without completionReason: inferred %s from the item statuses",
                result.completion_reason.value,
            )
            return result
        return cls(items, CompletionReason(reason))

    @classmethod
    def from_items(
        cls, items: list[BatchItem[R]], completion_config: CompletionConfig | None = None
    ) -> BatchResult[R]:
        """A result whose reason is inferred from `items` (taken as the whole batch) and the config."""
        succeeded = sum(1 for item in items if item.status is _SUCCEEDED)
        failed = sum(1 for item in items if item.status is _FAILED)
        snapshot = tuple(CompletionItemStatus(index=item.index, status=item.status) for item in items)
        return cls(items, infer_completion_reason(len(items), completion_config, succeeded, failed, snapshot))

    def to_dict(self) -> dict[str, Any]:
        """The official dict shape: {"all": [...], "completionReason": ...}."""
        return {
            "all": [item.to_dict() for item in self.all],
            "completionReason": self.completion_reason.value,
        }

    def succeeded(self) -> list[BatchItem[R]]:
        """The items that succeeded."""
        return [item for item in self.all if item.status is _SUCCEEDED]

    def failed(self) -> list[BatchItem[R]]:
        """The items that failed."""
        return [item for item in self.all if item.status is _FAILED]

    def started(self) -> list[BatchItem[R]]:
        """The items still running when the batch completed."""
        return [item for item in self.all if item.status is _STARTED]

    @property
    def status(self) -> BatchItemStatus:
        """FAILED if an item failed or a custom decision said so; SUCCEEDED otherwise."""
        if self.completion_reason is CompletionReason.CUSTOM_COMPLETION_FAILED:
            return _FAILED
        if self.completion_reason is CompletionReason.CUSTOM_COMPLETION_SUCCEEDED:
            return _SUCCEEDED
        return _FAILED if self.has_failure else _SUCCEEDED

    @property
    def has_failure(self) -> bool:
        """Whether any item failed."""
        return any(item.status is _FAILED for item in self.all)

    def throw_if_error(self) -> None:
        """Raise for the first failed item (a `ChildContextError` whose `__cause__` is the item's error
        rebuilt), or `BatchCompletionError` if a custom decision failed the batch."""
        first = next((item for item in self.all if item.status is _FAILED), None)
        if first is not None:
            if first.error is None:
                raise ChildContextError(message=f"Batch item {first.index} failed without an ErrorObject.")
            first.error.raise_as_operation_error(ChildContextError)
        if self.completion_reason is CompletionReason.CUSTOM_COMPLETION_FAILED:
            raise BatchCompletionError(self.completion_reason)

    def get_results(self) -> list[R]:
        """The results of the items that succeeded, in index order (None is a valid result)."""
        return [cast(R, item.result) for item in self.all if item.status is _SUCCEEDED]

    def get_errors(self) -> list[ErrorObject | None]:
        """One entry per failed item, in index order (None when the item carried no ErrorObject)."""
        return [item.error for item in self.all if item.status is _FAILED]

    @property
    def success_count(self) -> int:
        """How many items succeeded."""
        return sum(1 for item in self.all if item.status is _SUCCEEDED)

    @property
    def failure_count(self) -> int:
        """How many items failed."""
        return sum(1 for item in self.all if item.status is _FAILED)

    @property
    def started_count(self) -> int:
        """How many items were still running."""
        return sum(1 for item in self.all if item.status is _STARTED)

    @property
    def total_count(self) -> int:
        """How many items started (the length of `all`)."""
        return len(self.all)
