"""Sagas (durable-mp): steps with a compensation, run in reverse order when the work must be undone.

- `step_with_compensation(ctx, func, compensation, ...)` runs `func` as an ordinary step. Once it has
  succeeded, `compensation` is registered on that context with the step's result. The registration is
  not stored anywhere: the step's SUCCEED is the durable record, and a replay re-registers the same
  compensations in the same order because it replays the same steps (a failed step registers nothing).
  So the compensation must be code of the handler, called again on replay (never a pickle).
- `compensate(ctx, pending, name)` runs the registered compensations in reverse order inside one child
  context (a CONTEXT of subtype RunInChildContext, named "compensate" unless named otherwise), each as
  a step ("compensate-<step name>") with its own retry strategy. A compensation that fails for good is
  reported and the next one still runs. The child context's result is the outcome, so a compensation
  that succeeded is never run again: not on replay, not after a crash between two compensations.
- `Saga` is the block form (`with context.saga(): ...`, or the `durable_saga` decorator): when the
  block raises an ordinary error, the compensations registered inside it run and `SagaError` is raised
  from the block's error, carrying the outcome. Suspensions and invocation-ending errors pass through.

Histories hold only steps and child contexts, so any reader of the official operation types can read them.
"""

from __future__ import annotations

import functools
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Self, TypeVar

from durable_mp.config import ChildConfig, StepConfig
from durable_mp.exceptions import (
    CompensationError,
    ErrorObject,
    SagaError,
    StepError,
    UnrecoverableError,
    ValidationError,
)
from durable_mp.types import StepContext

if TYPE_CHECKING:
    from types import TracebackType

    from durable_mp.context import DurableContext

T = TypeVar("T")


@dataclass(frozen=True)
class CompensationFailure:
    """A compensation that failed for good: its step `name` and the `error` it failed with."""

    name: str
    error: ErrorObject


@dataclass(frozen=True)
class CompensationOutcome:
    """What `compensate()` did: the names of the compensations that `succeeded` and those that `failed`,
    both in the order they ran (the reverse of registration)."""

    succeeded: list[str] = field(default_factory=list)
    failed: list[CompensationFailure] = field(default_factory=list)

    @property
    def all_succeeded(self) -> bool:
        return not self.failed

    def to_dict(self) -> dict[str, Any]:
        return {
            "succeeded": list(self.succeeded),
            "failed": [{"name": f.name, "error": f.error.to_dict()} for f in self.failed],
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> CompensationOutcome:
        return cls(
            list(data.get("succeeded", [])),
            [
                CompensationFailure(f["name"], ErrorObject.from_dict(f["error"]))
                for f in data.get("failed", [])
            ],
        )

    def describe(self) -> str:
        done = ", ".join(self.succeeded) or "none"
        failed = ", ".join(f"{f.name} ({f.error.type}: {f.error.message})" for f in self.failed) or "none"
        return f"compensated: {done}; failed: {failed}"


@dataclass(frozen=True)
class _Registration:
    name: str
    compensation: Callable[[StepContext, Any], Any]
    result: Any
    config: StepConfig | None


class _Registry:
    """The compensations registered on one context and not yet run, in registration order."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.pending: list[_Registration] = []

    def add(self, registration: _Registration) -> None:
        with self.lock:
            self.pending.append(registration)

    def take(self, since: int = 0) -> list[_Registration]:
        """Remove and return the registrations from position `since` on."""
        with self.lock:
            taken, self.pending = self.pending[since:], self.pending[:since]
            return taken

    def __len__(self) -> int:
        return len(self.pending)


def _registry(ctx: DurableContext) -> _Registry:
    with ctx._lock:
        registry = ctx.__dict__.get("_saga_registry")
        if registry is None:
            registry = ctx.__dict__["_saga_registry"] = _Registry()
        return registry


def step_with_compensation(
    ctx: DurableContext,
    func: Callable[[StepContext], T],
    compensation: Callable[[StepContext, T], Any],
    name: str | None,
    config: StepConfig | None,
    compensation_config: StepConfig | None,
) -> T:
    if not callable(compensation):
        raise ValidationError(
            f"compensation must be a callable (step_context, result), got {type(compensation).__name__}"
        )
    step_name = name or getattr(func, "_original_name", None)
    result = ctx.step(func, name=step_name, config=config)
    registry = _registry(ctx)
    label = step_name or getattr(compensation, "_original_name", None) or f"#{len(registry) + 1}"
    registry.add(_Registration(label, compensation, result, compensation_config))
    return result


def compensate(
    ctx: DurableContext, name: str | None, raise_on_failure: bool, since: int = 0
) -> CompensationOutcome:
    """Run the compensations registered on `ctx` (from position `since` on) in reverse order."""
    pending = _registry(ctx).take(since)
    if not pending:
        return CompensationOutcome()

    def run_all(child: DurableContext) -> dict[str, Any]:
        outcome: dict[str, Any] = {"succeeded": [], "failed": []}
        for reg in reversed(pending):
            step_name = f"compensate-{reg.name}"
            try:
                child.step(_bind(reg), name=step_name, config=reg.config)
            except StepError as exc:
                error = ErrorObject(exc.message, exc.error_type, exc.data, exc.stack_trace)
                outcome["failed"].append({"name": step_name, "error": error.to_dict()})
            else:
                outcome["succeeded"].append(step_name)
        return outcome

    outcome = CompensationOutcome.from_dict(
        ctx.run_in_child_context(run_all, name=name or "compensate", config=ChildConfig())
    )
    if raise_on_failure and not outcome.all_succeeded:
        raise CompensationError(f"some compensations failed: {outcome.describe()}", outcome=outcome)
    return outcome


def _bind(reg: _Registration) -> Callable[[StepContext], Any]:
    def run(step_context: StepContext) -> Any:
        return reg.compensation(step_context, reg.result)

    return run


class Saga:
    """`with context.saga():` compensates what the block registered when the block raises (see module doc).

    The outcome of the last compensation is kept in `outcome` (None while nothing was compensated).
    """

    def __init__(self, ctx: DurableContext, name: str | None = None) -> None:
        self.ctx, self.name = ctx, name
        self.outcome: CompensationOutcome | None = None
        self._since: list[int] = []

    def __enter__(self) -> Self:
        self._since.append(len(_registry(self.ctx)))
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        since = self._since.pop()
        if exc is None or not isinstance(exc, Exception) or isinstance(exc, UnrecoverableError):
            return  # success, a suspension, or the end of the invocation: nothing to undo now
        self.outcome = compensate(self.ctx, self.name, raise_on_failure=False, since=since)
        raise SagaError(
            f"saga failed ({type(exc).__name__}: {exc}); {self.outcome.describe()}", outcome=self.outcome
        ) from exc


def durable_saga(func: Callable[..., T]) -> Callable[..., T]:
    """Decorate `func(context, *args)` so that it runs as `with context.saga(): ...`."""

    @functools.wraps(func)
    def wrapper(context: DurableContext, *args: Any, **kwargs: Any) -> T:
        with Saga(context, None):
            return func(context, *args, **kwargs)

    return wrapper
