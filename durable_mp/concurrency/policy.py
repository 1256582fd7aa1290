"""When a map or parallel is complete, and why: `CompletionConfig` evaluated as the official SDK does.

A `CompletionPolicy` is a pure state machine over item outcomes: the coordinator tells it which item
started, succeeded or failed, and asks whether the batch is complete and for what reason. Each call is
O(1), except with a custom `should_complete` predicate, which gets a snapshot of every item.

Rules (the official SDK's completion semantics):
- Tolerance is exceeded when `failed > tolerated_failure_count` or
  `failed / total * 100 > tolerated_failure_percentage` (a share of ALL items). With no criterion at
  all the batch fails fast: one failure exceeds the tolerance. A custom predicate disables tolerance.
- The batch is complete when the predicate says so, when every item is done, when
  `succeeded >= min_successful`, or when the tolerance is exceeded.
- The reason is the first that holds of: FAILURE_TOLERANCE_EXCEEDED, CUSTOM_COMPLETION_FAILED /
  CUSTOM_COMPLETION_SUCCEEDED, ALL_COMPLETED, MIN_SUCCESSFUL_REACHED (ALL_COMPLETED otherwise).
- The reason is fixed when the batch first completes: outcomes that race in afterwards are recorded
  but do not change it.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from enum import Enum

from durable_mp.config import (
    BatchItemStatus,
    CompletionConfig,
    CompletionDecision,
    CompletionItemStatus,
    CompletionOutcome,
    CompletionStatus,
)
from durable_mp.exceptions import InvalidStateError, ValidationError


class CompletionReason(Enum):
    """Why a map or parallel completed."""

    ALL_COMPLETED = "ALL_COMPLETED"
    MIN_SUCCESSFUL_REACHED = "MIN_SUCCESSFUL_REACHED"
    FAILURE_TOLERANCE_EXCEEDED = "FAILURE_TOLERANCE_EXCEEDED"
    CUSTOM_COMPLETION_SUCCEEDED = "CUSTOM_COMPLETION_SUCCEEDED"
    CUSTOM_COMPLETION_FAILED = "CUSTOM_COMPLETION_FAILED"


@dataclass(frozen=True, slots=True)
class CompletionRules:
    """The criteria of one CompletionConfig over `total` items, as pure functions of the counts.

    This is the official SDK's `concurrency.models.CompletionPolicy` (exported there under that name):
    `from_config`, `has_criteria`, `is_tolerance_exceeded`, `should_continue`, `evaluate` (the custom
    predicate, once per state), `is_complete` and `reason`.
    """

    total: int
    min_successful: int | None = None
    tolerated_failure_count: int | None = None
    tolerated_failure_percentage: int | float | None = None
    should_complete: Callable[[CompletionStatus], CompletionDecision] | None = None

    @classmethod
    def from_config(cls, total: int, config: CompletionConfig | None) -> CompletionRules:
        if config is None:
            return cls(total)
        return cls(
            total,
            config.min_successful,
            config.tolerated_failure_count,
            config.tolerated_failure_percentage,
            config.should_complete,
        )

    @property
    def has_criteria(self) -> bool:
        """Whether any threshold is set (with none, one failure exceeds the tolerance: fail fast)."""
        return (
            self.min_successful is not None
            or self.tolerated_failure_count is not None
            or self.tolerated_failure_percentage is not None
        )

    def is_tolerance_exceeded(self, failed: int) -> bool:
        if self.should_complete is not None:
            return False
        if not self.has_criteria:
            return failed > 0
        if self.tolerated_failure_count is not None and failed > self.tolerated_failure_count:
            return True
        return (
            self.tolerated_failure_percentage is not None
            and self.total > 0
            and failed / self.total * 100 > self.tolerated_failure_percentage
        )

    def should_continue(self, failed: int) -> bool:
        """Whether more items may be scheduled (tolerance not exceeded)."""
        return not self.is_tolerance_exceeded(failed)

    def evaluate(
        self, succeeded: int, failed: int, items: tuple[CompletionItemStatus, ...] = ()
    ) -> CompletionDecision | None:
        """The custom predicate's decision for these counts, or None without a predicate."""
        if self.should_complete is None:
            return None
        return self.should_complete(
            CompletionStatus(succeeded, failed, succeeded + failed, self.total, items)
        )

    def is_complete(
        self,
        succeeded: int,
        failed: int,
        items: tuple[CompletionItemStatus, ...] = (),
        decision: CompletionDecision | None = None,
    ) -> bool:
        """Whether a completion criterion holds (the predicate, all done, or min_successful reached)."""
        if self.should_complete is not None:
            if decision is None:
                decision = self.evaluate(succeeded, failed, items)
            if decision is not None and decision.complete:
                return True
        if succeeded + failed >= self.total:
            return True
        return self.min_successful is not None and succeeded >= self.min_successful

    def reason(
        self,
        succeeded: int,
        failed: int,
        items: tuple[CompletionItemStatus, ...] = (),
        decision: CompletionDecision | None = None,
    ) -> CompletionReason:
        """The completion reason for these counts (ALL_COMPLETED when no criterion holds)."""
        if decision is None:
            decision = self.evaluate(succeeded, failed, items)
        return self.outcome(succeeded, failed, decision) or CompletionReason.ALL_COMPLETED

    def outcome(
        self, succeeded: int, failed: int, decision: CompletionDecision | None
    ) -> CompletionReason | None:
        """The reason the batch is complete with these counts, or None when it is not complete."""
        if self.is_tolerance_exceeded(failed):
            return CompletionReason.FAILURE_TOLERANCE_EXCEEDED
        if decision is not None and decision.complete:
            if decision.outcome is CompletionOutcome.FAILED:
                return CompletionReason.CUSTOM_COMPLETION_FAILED
            return CompletionReason.CUSTOM_COMPLETION_SUCCEEDED
        if succeeded + failed >= self.total:
            return CompletionReason.ALL_COMPLETED
        if self.min_successful is not None and succeeded >= self.min_successful:
            return CompletionReason.MIN_SUCCESSFUL_REACHED
        return None


def infer_completion_reason(
    total: int,
    config: CompletionConfig | None,
    succeeded: int,
    failed: int,
    items: tuple[CompletionItemStatus, ...] = (),
) -> CompletionReason:
    """The reason for a batch in this state, ALL_COMPLETED when no criterion holds (no validation).

    This is how a BatchResult without a recorded reason gets one.
    """
    return CompletionRules.from_config(total, config).reason(succeeded, failed, items)


class CompletionPolicy:
    """The completion state of one batch of `total` items under a `CompletionConfig`.

    Construction validates the config against the batch (`min_successful` <= `total`). Then:
    `mark_started(i)` when item i starts, `record(i, succeeded)` when it finishes (returns the
    completion reason once complete, else None), `check()` to ask without an event (e.g. before any
    item starts, which is when a custom predicate is first consulted), `can_start_more` to know whether
    more items may be scheduled. `names` gives the item names shown to a custom predicate.
    """

    def __init__(
        self, total: int, config: CompletionConfig | None = None, names: Sequence[str | None] | None = None
    ) -> None:
        if total < 0:
            raise ValidationError(f"total must be non-negative, got: {total}")
        if config is not None:
            config._validate_for_total(total)
        if names is not None and len(names) != total:
            raise ValidationError(f"names must have one entry per item: {len(names)} names for {total} items")
        self._rules = CompletionRules.from_config(total, config)
        self._status: list[BatchItemStatus | None] = [None] * total
        self._snapshot: list[CompletionItemStatus] | None = None
        if self._rules.should_complete is not None:
            self._snapshot = [CompletionItemStatus(i, names[i] if names else None) for i in range(total)]
        self._names = names
        self.succeeded_count = 0
        self.failed_count = 0
        self._reason: CompletionReason | None = None
        self._decision: CompletionDecision | None = None
        self._dirty = True

    @property
    def total(self) -> int:
        """The number of items in the batch."""
        return self._rules.total

    @property
    def completed_count(self) -> int:
        """Items that succeeded or failed."""
        return self.succeeded_count + self.failed_count

    @property
    def completion_reason(self) -> CompletionReason | None:
        """The reason fixed when the batch completed, or None while it runs (same as `check()`)."""
        return self.check()

    @property
    def is_complete(self) -> bool:
        """Whether the batch has completed (evaluating a custom predicate if the state changed)."""
        return self.check() is not None

    @property
    def can_start_more(self) -> bool:
        """Whether items may still be scheduled: the batch is not complete."""
        return self.check() is None

    def status_of(self, index: int) -> BatchItemStatus | None:
        """Item `index`'s status: None (not started), STARTED, SUCCEEDED or FAILED."""
        return self._status[index]

    def mark_started(self, index: int) -> None:
        """Item `index` started running."""
        self._check_index(index)
        current = self._status[index]
        if current is not None:
            raise InvalidStateError(f"item {index} cannot start: it is already {current.value}")
        self._set(index, BatchItemStatus.STARTED)

    def withdraw(self, indexes: range) -> None:
        """The items of `indexes` were started but never began (sent ahead to a busy worker, or queued on
        the boot bridge, when the batch completed): they count as never started."""
        for i in indexes:
            self._check_index(i)
            if self._status[i] is not BatchItemStatus.STARTED:
                raise InvalidStateError(f"item {i} cannot be withdrawn: it is {self._status[i]}")
            self._status[i] = None
            if self._snapshot is not None:
                self._snapshot[i] = CompletionItemStatus(i, self._names[i] if self._names else None)
                self._dirty = True

    def record(self, index: int, succeeded: bool) -> CompletionReason | None:
        """Item `index` finished; returns the completion reason if the batch is (now) complete."""
        self._check_index(index)
        current = self._status[index]
        if current is BatchItemStatus.SUCCEEDED or current is BatchItemStatus.FAILED:
            raise InvalidStateError(f"item {index} already finished as {current.value}")
        if succeeded:
            self.succeeded_count += 1
            self._set(index, BatchItemStatus.SUCCEEDED)
        else:
            self.failed_count += 1
            self._set(index, BatchItemStatus.FAILED)
        return self.check()

    def mark_started_many(self, indexes: range) -> None:
        """Every item of `indexes` started (a batch of items)."""
        if self._snapshot is not None or not indexes or not 0 <= indexes[0] <= indexes[-1] < self.total:
            for i in indexes:
                self.mark_started(i)
            return
        window = slice(indexes.start, indexes.stop)  # batches are contiguous ranges (step 1)
        if indexes.step != 1 or self._status[window].count(None) != len(indexes):
            for i in indexes:
                self.mark_started(i)
            return
        self._status[window] = [BatchItemStatus.STARTED] * len(indexes)

    def record_all_succeeded(self, indexes: range) -> bool:
        """Record that every item of `indexes` (started, contiguous) succeeded, in one slice assignment,
        if that cannot complete the batch (no predicate, thresholds monotonic); else record nothing and
        return False (the caller records them one by one)."""
        n = len(indexes)
        if (
            self._reason is not None
            or self._snapshot is not None
            or indexes.step != 1
            or self._rules.outcome(self.succeeded_count + n, self.failed_count, None) is not None
        ):
            return False
        window = slice(indexes.start, indexes.stop)
        if self._status[window].count(BatchItemStatus.STARTED) != n:
            return False
        self._status[window] = [BatchItemStatus.SUCCEEDED] * n
        self.succeeded_count += n
        return True

    def record_many(self, results: list[tuple[int, bool]]) -> CompletionReason | None:
        """Items finished, in this order: the same as `record` for each, in O(len) plain assignments
        when the batch cannot complete among them (the thresholds are monotonic in the counts)."""
        succeeded = sum(1 for _, ok in results if ok)
        if (
            self._reason is None
            and self._snapshot is None
            and self._rules.outcome(
                self.succeeded_count + succeeded, self.failed_count + len(results) - succeeded, None
            )
            is None
        ):
            status = self._status
            for index, ok in results:
                if status[index] is not BatchItemStatus.STARTED:
                    raise InvalidStateError(f"item {index} cannot finish: it is {status[index]}")
                status[index] = BatchItemStatus.SUCCEEDED if ok else BatchItemStatus.FAILED
            self.succeeded_count += succeeded
            self.failed_count += len(results) - succeeded
            return None
        for index, ok in results:
            self.record(index, ok)
        return self.check()

    def check(self) -> CompletionReason | None:
        """The completion reason if the batch is complete now, else None."""
        if self._reason is not None:
            return self._reason
        if self._dirty:
            if self._snapshot is not None:
                self._decision = self._rules.evaluate(
                    self.succeeded_count, self.failed_count, tuple(self._snapshot)
                )
            self._dirty = False
        self._reason = self._rules.outcome(self.succeeded_count, self.failed_count, self._decision)
        return self._reason

    def _set(self, index: int, status: BatchItemStatus) -> None:
        self._status[index] = status
        if self._snapshot is not None:
            self._snapshot[index] = CompletionItemStatus(
                index, self._names[index] if self._names else None, status
            )
            self._dirty = True

    def _check_index(self, index: int) -> None:
        if not 0 <= index < self._rules.total:
            raise ValidationError(
                f"item index {index} is out of range for a batch of {self._rules.total} items"
            )
