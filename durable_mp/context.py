"""DurableContext: the handle a durable handler receives, and the decorators that go with it.

Every method consumes exactly one slot of this context's operation counter (the official id scheme) and
delegates to one module of `durable_mp.operations`. The context itself only knows ids, replay
validation and the replay status.
"""

from __future__ import annotations

import functools
import logging
import random
import threading
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, TypeVar, cast

from durable_mp import ids
from durable_mp.config import (
    CallbackConfig,
    ChildConfig,
    Duration,
    InvokeConfig,
    MapConfig,
    ParallelBranch,
    ParallelConfig,
    StepConfig,
    WaitForCallbackConfig,
)
from durable_mp.exceptions import NonDeterministicExecutionError, ValidationError
from durable_mp.logger import Logger, LogInfo
from durable_mp.names import validate_operation_name
from durable_mp.operations.callback import (
    Callback,  # noqa: F401 (public here, as officially)
    create_callback,
)
from durable_mp.operations.child import run_child
from durable_mp.operations.combinators import all_of, all_settled, any_of, race
from durable_mp.operations.invoke import run_invoke
from durable_mp.operations.saga import CompensationOutcome, Saga, compensate, step_with_compensation
from durable_mp.operations.step import run_step
from durable_mp.operations.wait import cancel_wait, run_wait
from durable_mp.operations.wait_for_callback import run_wait_for_callback
from durable_mp.operations.wait_for_condition import run_wait_for_condition
from durable_mp.plugins.calls import operation_replayed
from durable_mp.state import ExecutionState, ReplayStatus
from durable_mp.types import StepContext, WaitForCallbackContext, WaitForConditionCheckContext
from durable_mp.waits import WaitForConditionConfig
from durable_mp.wire import STEP, Operation, OpRef

# An operation returns T, the result type of its function; replayed results are deserialized (Any), hence
# the `cast(T, ...)` on the operations below.
T = TypeVar("T")
R = TypeVar("R")
U = TypeVar("U")


@dataclass(frozen=True)
class ExecutionContext:
    """Read-only metadata of the running durable execution (`DurableContext.execution_context`)."""

    durable_execution_arn: str


class DurableContext:
    """The durable operations available to a handler (same API as the official SDK, plus more)."""

    def __init__(
        self,
        state: ExecutionState,
        *,
        parent_id: str | None = None,
        prefix: str | None = None,
        replaying: bool = False,
        logger: Logger | None = None,
    ) -> None:
        self.state = state
        self.lambda_context = state.lambda_context
        self._parent_id = parent_id
        self._prefix = prefix
        self._n = 0
        self._peeked: tuple[int, str] = (0, "")
        self._lock = threading.Lock()
        self._replaying = replaying
        self._logger = logger

    # -- ids and replay -------------------------------------------------------------------------------

    def _allocate(self, op_type: str, sub_type: str | None, name: str | None) -> OpRef:
        validate_operation_name(name, f"a {sub_type or op_type} operation")
        with self._lock:
            self._n += 1
            n = self._n
            peeked = self._peeked
        op_id = peeked[1] if peeked[0] == n else ids.child_id(self._prefix, n)
        return OpRef(op_id, op_type, sub_type, name, self._parent_id)

    def _begin(self, ref: OpRef) -> Operation | None:
        """Look up the recorded operation at `ref`, check it is the same operation, update replay status."""
        op = self.state.replay.get(ref.id)
        if op is not None:
            diff = ref.mismatch(op)
            if diff is not None:
                raise NonDeterministicExecutionError(
                    f"Non-deterministic operation identity at id={ref.id!r}: {diff}", step_id=ref.id
                )
            if self.state.plugins is not None:
                operation_replayed(self.state, op)
        if self._replaying and (op is None or (op.type == STEP and not op.is_terminal)):
            self._replaying = False
        return op

    def _finish(self, op: Operation | None) -> None:
        if not self._replaying:
            return
        if (
            op is not None
            and not op.is_terminal
            and op.type != STEP
            or self.state.replay.get(self._next_operation_id()) is None
        ):
            self._replaying = False

    def _child(self, op_id: str, *, parent_id: str | None = None, virtual: bool = False) -> DurableContext:
        """A context for the body of operation `op_id` (ids prefixed by it, ParentId `parent_id`; a
        `virtual` child keeps this context's ParentId)."""
        pid = self._parent_id if virtual else op_id if parent_id is None else parent_id
        return DurableContext(
            self.state,
            parent_id=pid,
            prefix=op_id,
            replaying=self._replaying,
            logger=self.logger.with_log_info(LogInfo(execution_arn=self.state.execution_arn, parent_id=pid))
            if self._logger is not None
            else None,
        )

    def is_replaying(self) -> bool:
        """True while this context re-runs operations already recorded in an earlier invocation."""
        return self._replaying

    # -- logging --------------------------------------------------------------------------------------

    @property
    def logger(self) -> Logger:
        """A replay-aware logger: silent while replaying unless the execution was configured otherwise."""
        if self._logger is None:
            info = LogInfo(execution_arn=self.state.execution_arn, parent_id=self._parent_id)
            factory = self.state.logger_factory
            self._logger = (
                Logger.from_factory(factory, info)
                if factory is not None
                else Logger.from_log_info(logging.getLogger("durable_mp.user"), info)
            )
        logger = self._logger
        if not self.state.log_during_replay:
            logger = logger.with_is_replaying(self.is_replaying)
        return logger

    def _op_logger(self, ref: OpRef, attempt: int | None = None) -> Logger:
        """The logger handed to user code running inside operation `ref` (a step, a check, a submitter)."""
        return self.logger.with_log_info(
            LogInfo(
                execution_arn=self.state.execution_arn,
                parent_id=ref.parent_id,
                operation_id=ref.id,
                name=ref.name,
                attempt=attempt,
            )
        )

    def set_logger(self, new_logger: Any) -> None:
        """Use `new_logger` (any LoggerInterface) for this context's log calls."""
        self._logger = Logger.from_log_info(
            new_logger, LogInfo(execution_arn=self.state.execution_arn, parent_id=self._parent_id)
        )

    # -- operations -----------------------------------------------------------------------------------

    def step(
        self,
        func: Callable[[StepContext], T],
        name: str | None = None,
        config: StepConfig | None = None,
    ) -> T:
        return cast(T, run_step(self, func, _resolve_name(name, func), config or StepConfig()))

    def wait(self, duration: Duration, name: str | None = None) -> None:
        run_wait(self, duration, name)

    def create_callback(self, name: str | None = None, config: CallbackConfig | None = None) -> Any:
        return create_callback(self, name, config)

    def wait_for_callback(
        self,
        submitter: Callable[[str, WaitForCallbackContext], Any],
        name: str | None = None,
        config: WaitForCallbackConfig | None = None,
    ) -> Any:
        return run_wait_for_callback(self, submitter, _resolve_name(name, submitter), config)

    def wait_for_condition(
        self,
        check: Callable[[T, WaitForConditionCheckContext], T],
        config: WaitForConditionConfig[T],
        name: str | None = None,
    ) -> T:
        if check is None:
            raise ValidationError("`check` is required for wait_for_condition")
        if not config:
            raise ValidationError("`config` is required for wait_for_condition")
        return cast(T, run_wait_for_condition(self, check, config, name))

    def invoke(
        self,
        function_name: str,
        payload: Any,
        name: str | None = None,
        config: InvokeConfig[Any, Any] | None = None,
    ) -> Any:
        return run_invoke(self, function_name, payload, name, config)

    def run_in_child_context(
        self,
        func: Callable[[DurableContext], T],
        name: str | None = None,
        config: ChildConfig[Any] | None = None,
    ) -> T:
        return cast(T, run_child(self, func, _resolve_name(name, func), config or ChildConfig()))

    def map(
        self,
        inputs: Sequence[U],
        func: Callable[[DurableContext, U, int, Sequence[U]], T],
        name: str | None = None,
        config: MapConfig[Any] | None = None,
    ) -> Any:
        from durable_mp.operations.batch import run_map  # not imported by a worker that never nests a map

        return run_map(self, inputs, func, name, config or MapConfig())

    def parallel(
        self,
        functions: Sequence[Callable[[DurableContext], T] | ParallelBranch[T]],
        name: str | None = None,
        config: ParallelConfig | None = None,
    ) -> Any:
        from durable_mp.operations.batch import run_parallel

        return run_parallel(self, functions, name, config or ParallelConfig())

    # -- combinators (durable-mp additions): each is one parallel operation --------------------------

    def all(self, functions: Sequence[Callable[[DurableContext], T]], name: str | None = None) -> list[T]:
        """Run every function as a durable branch; return all results in order, or raise the first error."""
        return all_of(self, functions, name)

    def any(self, functions: Sequence[Callable[[DurableContext], T]], name: str | None = None) -> T:
        """Return the first successful result; raise only when every branch failed."""
        return cast(T, any_of(self, functions, name))

    def race(self, functions: Sequence[Callable[[DurableContext], T]], name: str | None = None) -> T:
        """Return (or raise) the outcome of the first branch to finish, success or failure."""
        return cast(T, race(self, functions, name))

    def all_settled(self, functions: Sequence[Callable[[DurableContext], T]], name: str | None = None) -> Any:
        """Run every branch to completion; return the BatchResult with each outcome."""
        return all_settled(self, functions, name)

    # -- sagas (durable-mp): see durable_mp/operations/saga.py ---------------------------------------

    def step_with_compensation(
        self,
        func: Callable[[StepContext], T],
        compensation: Callable[[StepContext, T], Any],
        name: str | None = None,
        config: StepConfig | None = None,
        *,
        compensation_config: StepConfig | None = None,
    ) -> T:
        """Run `func` as a step; once it succeeded, register `compensation(step_context, result)` on this
        context, to be run (as a step with `compensation_config`) by `compensate()` or a failing `saga()`."""
        return step_with_compensation(self, func, compensation, name, config, compensation_config)

    def compensate(self, name: str | None = None, *, raise_on_failure: bool = False) -> CompensationOutcome:
        """Run this context's registered compensations in reverse order, each once, as durable steps.

        Returns the outcome (which succeeded, which failed); with `raise_on_failure`, a failed
        compensation raises `CompensationError` carrying it instead."""
        return compensate(self, name, raise_on_failure)

    def saga(self, name: str | None = None) -> Saga:
        """`with context.saga(): ...`: if the block raises, compensate what it registered, raise SagaError."""
        return Saga(self, name)

    # -- durable-mp additions ---------------------------------------------------------------------

    def cancel_wait(self, operation_id: str) -> None:
        """Cancel a pending wait of this execution (it ends CANCELLED; the code after it runs)."""
        cancel_wait(self, operation_id)

    def operations_used(self) -> int:
        """Operation ids this execution holds now (its EXECUTION included), out of its limit
        (3,000 by default: see `durable_mp.planning` and docs/scaling.md)."""
        from durable_mp.planning import operations_used

        return operations_used(self.state)

    def operations_limit(self) -> int:
        """The operation limit this execution plans against (`@durable_execution(max_operations=...)`)."""
        from durable_mp.planning import max_operations

        return max_operations(self.state.extras.get("max_operations"))

    def get_original_input(self) -> Any:
        """The execution's input, parsed from JSON (the `event` the handler received)."""
        import json

        raw = self.state.replay.input_payload
        return json.loads(raw) if raw and raw.strip() else {}

    def get_original_input_raw(self) -> str | None:
        """The execution's input exactly as the service recorded it."""
        return self.state.replay.input_payload

    def _next_operation_id(self) -> str:
        """The id the next operation of this context will take (computed once, reused by _allocate)."""
        n = self._n + 1
        peeked = self._peeked
        if peeked[0] != n:
            peeked = self._peeked = (n, ids.child_id(self._prefix, n))
        return peeked[1]

    def uuid(self, seed: str = "") -> uuid.UUID:
        """A uuid that is the same on every replay (derived from the next operation id; consumes none)."""
        from durable_mp import replay_safe

        return replay_safe.uuid_from_operation(self._next_operation_id(), seed)

    def now(self) -> datetime:
        """The execution's start time: a clock reading that is the same on every replay."""
        from durable_mp import replay_safe

        return replay_safe.timestamp_from_execution(self.state.replay.execution_start_ms)

    # -- the official SDK's context attributes and factories ---------------------------------------------

    @property
    def execution_context(self) -> ExecutionContext:
        """The execution's metadata: `execution_context.durable_execution_arn`."""
        return ExecutionContext(self.state.execution_arn)

    @property
    def is_virtual(self) -> bool:
        """True for a context that writes no CONTEXT of its own (a FLAT map item or parallel branch):
        its operations hang off the enclosing context while their ids are prefixed by its own id."""
        return self._parent_id != self._prefix

    @staticmethod
    def from_lambda_context(
        state: ExecutionState, lambda_context: Any, replay_status: ReplayStatus = ReplayStatus.NEW
    ) -> DurableContext:
        """The root context of an invocation."""
        context = DurableContext(state, replaying=replay_status is ReplayStatus.REPLAY)
        context.lambda_context = lambda_context
        return context

    def create_child_context(self, operation_id: str, *, is_virtual: bool = False) -> DurableContext:
        """The context of the body of operation `operation_id` (its ids prefixed by that id). A virtual
        child's operations report to this context's parent instead of `operation_id`."""
        if not is_virtual:
            return self._child(operation_id)
        return DurableContext(
            self.state,
            parent_id=self._parent_id,
            prefix=operation_id,
            replaying=self._replaying,
            logger=self.logger.with_log_info(
                LogInfo(execution_arn=self.state.execution_arn, parent_id=self._parent_id)
            )
            if self._logger is not None
            else None,
        )

    def random(self, seed: str = "") -> random.Random:
        """A random generator seeded deterministically from the next operation id."""
        from durable_mp import replay_safe

        return replay_safe.random_from_operation(self._next_operation_id(), seed)


def _resolve_name(name: str | None, func: Callable[..., Any]) -> str | None:
    return name or getattr(func, "_original_name", None)


# -- decorators ------------------------------------------------------------------------------------------


def durable_step(func: Callable[..., T]) -> Callable[..., Callable[[StepContext], T]]:
    """Make `func(step_context, *args)` callable as `context.step(func(*args))`, named after `func`."""

    @functools.wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Callable[[StepContext], T]:
        def function_with_arguments(step_context: StepContext) -> T:
            return func(step_context, *args, **kwargs)

        function_with_arguments._original_name = func.__name__  # type: ignore[attr-defined]
        return function_with_arguments

    return wrapper


def durable_with_child_context(func: Callable[..., T]) -> Callable[..., Callable[[DurableContext], T]]:
    """Make `func(child_context, *args)` callable as `context.run_in_child_context(func(*args))`."""

    @functools.wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Callable[[DurableContext], T]:
        def function_with_arguments(child_context: DurableContext) -> T:
            return func(child_context, *args, **kwargs)

        function_with_arguments._original_name = func.__name__  # type: ignore[attr-defined]
        return function_with_arguments

    return wrapper


def durable_parallel_branch(
    name: str | None = None,
) -> Callable[[Callable[..., T]], Callable[..., ParallelBranch[T]]]:
    """Make `func(ctx, *args)` usable as `context.parallel([func(*args), ...])`, the branch named `name`."""

    def decorator(func: Callable[..., T]) -> Callable[..., ParallelBranch[T]]:
        @functools.wraps(func)
        def wrapper(*args: Any, **kwargs: Any) -> ParallelBranch[T]:
            def function_with_arguments(ctx: DurableContext) -> T:
                return func(ctx, *args, **kwargs)

            return ParallelBranch(function_with_arguments, name)

        return wrapper

    return decorator


def durable_wait_for_callback(
    func: Callable[..., Any],
) -> Callable[..., Callable[[str, WaitForCallbackContext], Any]]:
    """Make `func(callback_id, context, *args)` usable as `context.wait_for_callback(func(*args))`."""

    @functools.wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Callable[[str, WaitForCallbackContext], Any]:
        def submitter_with_arguments(callback_id: str, context: WaitForCallbackContext) -> Any:
            return func(callback_id, context, *args, **kwargs)

        submitter_with_arguments._original_name = func.__name__  # type: ignore[attr-defined]
        return submitter_with_arguments

    return wrapper
