"""Configuration of durable operations: frozen dataclasses and enums, official names and defaults.

Everything here is validated when it is built, so a bad value fails before any checkpoint is sent:
counts, limits and percentages raise `durable_mp.exceptions.ValidationError` naming the field.

durable-mp adds two keyword fields to `MapConfig` and `ParallelConfig`: `executor` (where items run:
"processes", "threads" or "inline"; None picks the default) and `workers` (how many worker processes
or threads: a positive int, "auto", or None for the default). `MapConfig` also takes `item_batcher`
(several items per durable child context, see `ItemBatcher`), `executor="invoke"` (each batch runs in
a child durable execution) and `function_name` (the function those children run). docs/scaling.md
has the arithmetic.
"""

from __future__ import annotations

import math
import random
import string
from collections.abc import Callable
from dataclasses import dataclass, field
from enum import Enum, StrEnum
from typing import TYPE_CHECKING, Any, Generic, TypeVar

from durable_mp.exceptions import InvalidConfigError, ValidationError

if TYPE_CHECKING:
    from durable_mp.retries import RetryDecision
    from durable_mp.serdes import SerDes
    from durable_mp.types import SummaryGenerator

P = TypeVar("P")
R = TypeVar("R")
T = TypeVar("T")

Numeric = int | float

SECONDS_PER_MINUTE = 60
SECONDS_PER_HOUR = 3_600
SECONDS_PER_DAY = 86_400
SECONDS_PER_WEEK = 7 * SECONDS_PER_DAY
SECONDS_PER_MONTH = 30 * SECONDS_PER_DAY
SECONDS_PER_YEAR = 365 * SECONDS_PER_DAY


@dataclass(frozen=True)
class Duration:
    """A length of time in whole seconds (`seconds`, never negative).

    The `from_*` constructors truncate to whole seconds. Calendar units are fixed lengths:
    a week is 7 days, a month 30 days and a year 365 days.
    """

    seconds: int = 0

    def __post_init__(self) -> None:
        if self.seconds < 0:
            raise ValidationError(f"Duration seconds must be positive, got: {self.seconds}")

    def to_seconds(self) -> int:
        """The duration in seconds."""
        return self.seconds

    @classmethod
    def from_seconds(cls, value: float) -> Duration:
        """A duration of `value` seconds."""
        return cls(seconds=int(value))

    @classmethod
    def from_minutes(cls, value: float) -> Duration:
        """A duration of `value` minutes."""
        return cls(seconds=int(value * SECONDS_PER_MINUTE))

    @classmethod
    def from_hours(cls, value: float) -> Duration:
        """A duration of `value` hours."""
        return cls(seconds=int(value * SECONDS_PER_HOUR))

    @classmethod
    def from_days(cls, value: float) -> Duration:
        """A duration of `value` days."""
        return cls(seconds=int(value * SECONDS_PER_DAY))

    @classmethod
    def from_weeks(cls, value: float) -> Duration:
        """A duration of `value` weeks of 7 days."""
        return cls(seconds=int(value * SECONDS_PER_WEEK))

    @classmethod
    def from_months(cls, value: float) -> Duration:
        """A duration of `value` months of exactly 30 days."""
        return cls(seconds=int(value * SECONDS_PER_MONTH))

    @classmethod
    def from_years(cls, value: float) -> Duration:
        """A duration of `value` years of exactly 365 days."""
        return cls(seconds=int(value * SECONDS_PER_YEAR))


class NestingType(Enum):
    """How map items and parallel branches are recorded.

    NESTED: each item is its own CONTEXT operation (visible in history).
    FLAT: items write no CONTEXT of their own; their operations hang off the map/parallel operation
    (fewer operations, less history), keeping the same operation ids as NESTED.
    """

    NESTED = "NESTED"
    FLAT = "FLAT"


class BatchItemStatus(Enum):
    """The status of one map item or parallel branch."""

    SUCCEEDED = "SUCCEEDED"
    FAILED = "FAILED"
    STARTED = "STARTED"


class CompletionOutcome(Enum):
    """Whether a custom completion decision ends the batch as a success or a failure."""

    SUCCEEDED = "SUCCEEDED"
    FAILED = "FAILED"


@dataclass(frozen=True)
class CompletionDecision:
    """What a `should_complete` predicate answers; build it with `continue_batch()` / `complete_batch()`.

    `outcome` is required when `complete` is True and must be None otherwise.
    """

    complete: bool
    outcome: CompletionOutcome | None = None

    def __post_init__(self) -> None:
        if self.complete and self.outcome is None:
            raise ValidationError("outcome is required when complete is True")
        if not self.complete and self.outcome is not None:
            raise ValidationError("outcome must be None when complete is False")


_CONTINUE = CompletionDecision(complete=False)


def continue_batch() -> CompletionDecision:
    """Keep the batch running."""
    return _CONTINUE


def complete_batch(outcome: CompletionOutcome = CompletionOutcome.SUCCEEDED) -> CompletionDecision:
    """Complete the batch now, as `outcome` (SUCCEEDED by default)."""
    return CompletionDecision(complete=True, outcome=outcome)


@dataclass(frozen=True)
class CompletionItemStatus:
    """One item in a `CompletionStatus`: its index, optional name, and status (None: not started yet)."""

    index: int
    name: str | None = None
    status: BatchItemStatus | None = None


@dataclass(frozen=True)
class CompletionStatus:
    """The progress snapshot handed to a `should_complete` predicate.

    `items[i]` is always item i, whatever order items finished in.
    """

    success_count: int
    failure_count: int
    completed_count: int
    total_count: int
    items: tuple[CompletionItemStatus, ...] = ()


@dataclass(frozen=True)
class CompletionConfig:
    """When a map or parallel completes.

    - `min_successful`: complete as soon as this many items succeeded.
    - `tolerated_failure_count`: the batch fails once more than this many items failed.
    - `tolerated_failure_percentage` (0-100): the batch fails once failures exceed this share of ALL items.
    - `should_complete`: a custom predicate (CompletionStatus -> CompletionDecision); it cannot be
      combined with the three thresholds. It is called before any item runs and after every change,
      so it must handle zero progress, be deterministic, side-effect free and monotonic.

    With everything unset the batch fails fast: the first failure completes it. The batch always
    completes once every item has finished.
    """

    min_successful: int | None = None
    tolerated_failure_count: int | None = None
    tolerated_failure_percentage: int | float | None = None
    should_complete: Callable[[CompletionStatus], CompletionDecision] | None = None

    def __post_init__(self) -> None:
        if self.min_successful is not None and self.min_successful < 1:
            raise ValidationError(f"min_successful must be at least 1, got: {self.min_successful}")
        if self.tolerated_failure_count is not None and self.tolerated_failure_count < 0:
            raise ValidationError(
                f"tolerated_failure_count must be non-negative, got: {self.tolerated_failure_count}"
            )
        if (
            self.tolerated_failure_percentage is not None
            and not 0 <= self.tolerated_failure_percentage <= 100
        ):
            raise ValidationError(
                "tolerated_failure_percentage must be between 0 and 100, got: "
                f"{self.tolerated_failure_percentage}"
            )
        if self.should_complete is not None:
            if not callable(self.should_complete):
                raise ValidationError("should_complete must be callable")
            if (
                self.min_successful is not None
                or self.tolerated_failure_count is not None
                or self.tolerated_failure_percentage is not None
            ):
                raise ValidationError(
                    "should_complete cannot be combined with min_successful, "
                    "tolerated_failure_count, or tolerated_failure_percentage"
                )

    def _validate_for_total(self, total: int) -> None:
        """Check the config against the number of items (called before the batch starts)."""
        if self.min_successful is not None and self.min_successful > total:
            raise ValidationError(
                f"min_successful cannot be greater than total items: {self.min_successful} > {total}"
            )

    @staticmethod
    def first_successful() -> CompletionConfig:
        """Complete at the first success."""
        return CompletionConfig(min_successful=1)

    @staticmethod
    def all_completed() -> CompletionConfig:
        """Run every item whatever fails (100% failures tolerated)."""
        return CompletionConfig(tolerated_failure_percentage=100)

    @staticmethod
    def all_successful() -> CompletionConfig:
        """Every item must succeed: the first failure fails the batch."""
        return CompletionConfig(tolerated_failure_count=0, tolerated_failure_percentage=0)


EXECUTORS: frozenset[str] = frozenset({"processes", "threads", "inline"})
MAP_EXECUTORS: frozenset[str] = EXECUTORS | {"invoke"}
AUTO_WORKERS = "auto"


class ItemsPerBatchUnit(Enum):
    """What `ItemBatcher` limits are counted in (the official SDK 1.x name)."""

    COUNT = "COUNT"
    BYTES = "BYTES"


@dataclass(frozen=True)
class ItemBatcher(Generic[T]):
    """Group map items into batches: one durable child context (one operation) and one executor task each.

    - `max_items_per_batch`: at most this many items in a batch (0: no count limit).
    - `max_item_bytes_per_batch`: at most this many bytes of items (their JSON) in a batch (0: no byte
      limit); an item larger than the limit gets a batch of its own.
    - `batch_input`: a JSON value carried with every batch sent to a child execution
      (`executor="invoke"`); the map function still receives one item at a time.

    At least one limit must be set. Batches are cut in index order, so the same items and the same
    batcher always give the same batches (and the same operation ids).
    """

    max_items_per_batch: int = 0
    max_item_bytes_per_batch: int | float = 0
    batch_input: T | None = None

    def __post_init__(self) -> None:
        count, size = self.max_items_per_batch, self.max_item_bytes_per_batch
        if isinstance(count, bool) or not isinstance(count, int) or count < 0:
            raise ValidationError(f"max_items_per_batch must be a non-negative int, got: {count!r}")
        if isinstance(size, bool) or not isinstance(size, (int, float)) or size < 0:
            raise ValidationError(f"max_item_bytes_per_batch must be a non-negative number, got: {size!r}")
        if count == 0 and size == 0:
            raise ValidationError(
                "ItemBatcher needs max_items_per_batch or max_item_bytes_per_batch (0 means no limit)"
            )

    @property
    def unit(self) -> ItemsPerBatchUnit:
        """BYTES when a byte limit is set, else COUNT."""
        return ItemsPerBatchUnit.BYTES if self.max_item_bytes_per_batch else ItemsPerBatchUnit.COUNT


def _validate_max_concurrency(max_concurrency: int | None) -> None:
    if max_concurrency is not None and max_concurrency < 1:
        raise ValidationError(f"max_concurrency must be at least 1, got: {max_concurrency}")


def _validate_executor(
    executor: str | None, workers: int | str | None, allowed: frozenset[str] = EXECUTORS
) -> None:
    """Check durable-mp's `executor` and `workers` fields."""
    if executor is not None and executor not in allowed:
        names = ", ".join(repr(e) for e in sorted(allowed))
        raise InvalidConfigError(f"executor must be one of {names} or None, got: {executor!r}")
    if workers is None or workers == AUTO_WORKERS:
        return
    if isinstance(workers, bool) or not isinstance(workers, int) or workers < 1:
        raise InvalidConfigError(f"workers must be a positive int, 'auto' or None, got: {workers!r}")


@dataclass(frozen=True)
class ParallelConfig:
    """How a parallel runs.

    - `max_concurrency`: branches in flight at once (None: no limit).
    - `completion_config`: defaults to `CompletionConfig.all_successful()`.
    - `serdes`: serializes the whole BatchResult (and each branch result when `item_serdes` is None).
    - `item_serdes`: serializes each branch's result.
    - `summary_generator`: a summary checkpointed instead of a result over 256 KB.
    - `nesting_type`: NESTED (default) or FLAT.
    - `executor` (durable-mp): "processes", "threads" or "inline"; None for the default.
    - `workers` (durable-mp): worker count, a positive int or "auto"; None for the default.
    """

    max_concurrency: int | None = None
    completion_config: CompletionConfig = field(default_factory=CompletionConfig.all_successful)
    serdes: SerDes[Any] | None = None
    item_serdes: SerDes[Any] | None = None
    summary_generator: SummaryGenerator[Any] | None = None
    nesting_type: NestingType = NestingType.NESTED
    executor: str | None = field(default=None, kw_only=True)
    workers: int | str | None = field(default=None, kw_only=True)

    def __post_init__(self) -> None:
        _validate_max_concurrency(self.max_concurrency)
        _validate_executor(self.executor, self.workers)


@dataclass(frozen=True)
class ParallelBranch(Generic[T]):
    """A parallel branch with a name for the history (default names are "parallel-branch-{i}").

    Calling it calls `func`.
    """

    func: Callable[..., T]
    name: str | None = None

    def __call__(self, *args: Any, **kwargs: Any) -> T:
        return self.func(*args, **kwargs)


class StepSemantics(Enum):
    """How often one attempt of a step may run.

    AT_LEAST_ONCE_PER_RETRY (default): START is not awaited; an interrupted attempt runs again.
    AT_MOST_ONCE_PER_RETRY: START is awaited; an interrupted attempt goes to the retry strategy.
    """

    AT_MOST_ONCE_PER_RETRY = "AT_MOST_ONCE_PER_RETRY"
    AT_LEAST_ONCE_PER_RETRY = "AT_LEAST_ONCE_PER_RETRY"


SUB_TYPE_CHARACTERS: frozenset[str] = frozenset(string.ascii_letters + string.digits + "-_")
SUB_TYPE_MAX_LENGTH = 32


def _validate_sub_type(sub_type: str | None) -> None:
    """A custom sub_type is 1 to 32 characters from A-Z, a-z, 0-9, '-' and '_' (None or "": the default)."""
    if not sub_type:
        return
    if len(sub_type) > SUB_TYPE_MAX_LENGTH or not set(sub_type) <= SUB_TYPE_CHARACTERS:
        raise ValidationError(
            f"sub_type must be 1 to {SUB_TYPE_MAX_LENGTH} characters from "
            f"A-Z, a-z, 0-9, hyphen, and underscore, got: {sub_type!r}"
        )


@dataclass(frozen=True)
class StepConfig:
    """How a step runs: `retry_strategy` (None: the default strategy), `step_semantics`, `serdes` for
    its result, and keyword-only `sub_type` (default "Step"; changing it breaks in-flight replays) and
    `timeout` (durable-mp: a Duration of at least 1 s; an attempt that runs longer fails with
    `StepTimeoutError` and the retry strategy decides what follows; see docs/steps_and_sagas.md)."""

    retry_strategy: Callable[[Exception, int], RetryDecision] | None = None
    step_semantics: StepSemantics = StepSemantics.AT_LEAST_ONCE_PER_RETRY
    serdes: SerDes[Any] | None = None
    sub_type: str | None = field(default=None, kw_only=True)
    timeout: Duration | None = field(default=None, kw_only=True)

    def __post_init__(self) -> None:
        _validate_sub_type(self.sub_type)
        if self.timeout is not None and (not isinstance(self.timeout, Duration) or self.timeout.seconds < 1):
            raise ValidationError(
                f"StepConfig.timeout must be a Duration of at least 1 second, got {self.timeout!r}"
            )


@dataclass(frozen=True)
class ChildConfig(Generic[T]):
    """How a child context runs: `serdes` for its result, `sub_type` (default "RunInChildContext"),
    `summary_generator` (checkpointed instead of a result over 256 KB, with ReplayChildren) and
    `is_virtual` (write no checkpoints of its own; used by FLAT nesting)."""

    serdes: SerDes[Any] | None = None
    sub_type: str | None = None
    summary_generator: SummaryGenerator[Any] | None = None
    is_virtual: bool = False

    def __post_init__(self) -> None:
        _validate_sub_type(self.sub_type)


@dataclass(frozen=True)
class MapConfig(Generic[T]):
    """How a map runs.

    - `max_concurrency`: items in flight at once (None: no limit).
    - `completion_config`: defaults to fail fast (the first failed item completes the batch).
    - `serdes`, `item_serdes`, `summary_generator`, `nesting_type`: as in `ParallelConfig`.
    - `item_namer`: (item, index) -> name, replacing "map-item-{index}"; called for every item on
      every run, so it must be deterministic.
    - `executor`, `workers` (durable-mp): as in `ParallelConfig`, plus `executor="invoke"`: each batch
      of `item_batcher` runs in a child durable execution (a chained invoke); `max_concurrency` then
      bounds the children in flight.
    - `item_batcher` (durable-mp keyword): several items per durable child context (`ItemBatcher`).
    - `function_name` (durable-mp keyword, with `executor="invoke"`): the function the children run
      (default: this function itself).
    """

    max_concurrency: int | None = None
    completion_config: CompletionConfig = field(default_factory=CompletionConfig)
    serdes: SerDes[Any] | None = None
    item_serdes: SerDes[Any] | None = None
    summary_generator: SummaryGenerator[Any] | None = None
    nesting_type: NestingType = NestingType.NESTED
    item_namer: Callable[[T, int], str] | None = None
    executor: str | None = field(default=None, kw_only=True)
    workers: int | str | None = field(default=None, kw_only=True)
    item_batcher: ItemBatcher[Any] | None = field(default=None, kw_only=True)
    function_name: str | None = field(default=None, kw_only=True)

    def __post_init__(self) -> None:
        _validate_max_concurrency(self.max_concurrency)
        _validate_executor(self.executor, self.workers, MAP_EXECUTORS)
        if self.item_batcher is not None and not isinstance(self.item_batcher, ItemBatcher):
            raise InvalidConfigError(f"item_batcher must be an ItemBatcher, got: {self.item_batcher!r}")
        if self.executor == "invoke" and self.item_batcher is None:
            raise InvalidConfigError(
                'executor="invoke" needs item_batcher=ItemBatcher(...): each batch is one child execution'
            )
        if self.function_name is not None and (
            self.executor != "invoke" or not isinstance(self.function_name, str) or not self.function_name
        ):
            raise InvalidConfigError(
                f'function_name is a non-empty str used with executor="invoke", got: {self.function_name!r}'
            )


@dataclass(frozen=True)
class InvokeConfig(Generic[P, R]):
    """How a chained invoke runs: serdes for the payload and the result (None: JSON), and `tenant_id`."""

    serdes_payload: SerDes[P] | None = None
    serdes_result: SerDes[R] | None = None
    tenant_id: str | None = None


@dataclass(frozen=True)
class CallbackConfig:
    """How a callback runs.

    `timeout` and `heartbeat_timeout` (a zero Duration, the default, means none); `serdes` for the
    result (None: the raw string is returned); keyword-only `sub_type` (default "Callback").
    """

    timeout: Duration = field(default_factory=Duration)
    heartbeat_timeout: Duration = field(default_factory=Duration)
    serdes: SerDes[Any] | None = None
    sub_type: str | None = field(default=None, kw_only=True)

    def __post_init__(self) -> None:
        _validate_sub_type(self.sub_type)

    @property
    def timeout_seconds(self) -> int:
        """The timeout in seconds (0: none)."""
        return self.timeout.to_seconds()

    @property
    def heartbeat_timeout_seconds(self) -> int:
        """The heartbeat timeout in seconds (0: none)."""
        return self.heartbeat_timeout.to_seconds()


@dataclass(frozen=True)
class WaitForCallbackConfig(CallbackConfig):
    """A callback config plus the retry strategy of the submitter step."""

    retry_strategy: Callable[[Exception, int], RetryDecision] | None = None


class JitterStrategy(StrEnum):
    """Random noise added to retry delays so that many retries do not fire at once.

    NONE: the exact delay. FULL: uniform in [0, delay]. HALF: uniform in [delay/2, delay].
    """

    NONE = "NONE"
    FULL = "FULL"
    HALF = "HALF"

    def apply_jitter(self, delay: float) -> float:
        """The delay with this jitter applied."""
        if self is JitterStrategy.NONE:
            return delay
        if self is JitterStrategy.HALF:
            return delay / 2 + random.random() * (delay / 2)
        return random.random() * delay

    def finalize_delay(self, base_delay: float) -> int:
        """Apply the jitter, round up to whole seconds, and never go below 1 second."""
        return max(1, math.ceil(self.apply_jitter(base_delay)))
