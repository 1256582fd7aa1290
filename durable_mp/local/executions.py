"""The service's record of one durable execution: its operations, history and invocation state.

Operation and event dicts are never mutated once stored: a change replaces the dict, so a dict handed
to a handler or a caller stays valid (contract 1). Timestamps are epoch milliseconds.
Everything here is changed only with the service lock held.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from durable_mp.local.limits import Usage
from durable_mp.local.timers import Timer

TERMINAL = frozenset({"SUCCEEDED", "FAILED", "TIMED_OUT", "STOPPED"})


@dataclass(slots=True, eq=False)
class Invocation:
    """One handler invocation in flight."""

    request_id: str
    start_ms: int
    token_prefix: str
    timeout_timer: Timer | None = None


@dataclass(slots=True, eq=False)
class CallbackWatch:
    """Deadlines of one open callback (epoch ms, 0 = none) and their timers."""

    op_id: str
    heartbeat_s: int
    timeout_at: int
    heartbeat_at: int
    timers: list[Timer] = field(default_factory=list)


@dataclass(slots=True, eq=False)
class Execution:
    arn: str
    name: str
    function_name: str
    function_arn: str
    input_payload: str
    start_ms: int
    timeout_s: int
    status: str = "RUNNING"
    end_ms: int | None = None
    result: str | None = None
    error: dict[str, Any] | None = None
    parent_arn: str | None = None
    parent_op_id: str | None = None
    tenant_id: str | None = None
    # what the handler checkpointed for the EXECUTION itself (a result too large to return)
    checkpointed_result: str | None = None
    checkpointed_error: dict[str, Any] | None = None
    ops: dict[str, dict[str, Any]] = field(default_factory=dict)
    events: list[dict[str, Any]] = field(default_factory=list)
    real_start: float | None = None  # time.time() at start: a skipping service times out in real seconds
    # runtime state (not persisted except `inflight`, `crashes`, `callbacks`, `callback_outcomes`,
    # `updated_ids`)
    token: str | None = None
    inflight: Invocation | None = None
    deferred: list[Callable[[], list[dict[str, Any]]]] = field(default_factory=list)
    crashes: int = 0
    callbacks: dict[str, CallbackWatch] = field(default_factory=dict)  # open callbacks, by callback id
    # callbacks closed (sent or timed out) but not yet applied to their operation, because an invocation
    # was running: callback id -> (op id, status, result, error); applied when it ends, or on resume
    callback_outcomes: dict[str, tuple[str, str, str | None, dict[str, Any] | None]] = field(
        default_factory=dict
    )
    # ids of operations the service changed (wait ended, retry due, callback or invoke done) since the last
    # invocation event was built: that event's UpdatedOperationIds (insertion-ordered, no repeats)
    updated_ids: dict[str, None] = field(default_factory=dict)
    timers: dict[str, Timer] = field(default_factory=dict)  # by op id (wait end, retry) and "" (backoff)
    deadline_timer: Timer | None = None
    last_checkpoint: tuple[str, list[dict[str, Any]], dict[str, Any]] | None = None
    wake_pending: bool = False
    usage: Usage | None = None  # rebuilt from ops and events when None (read back from a store)
    # pause_execution: checkpoints are answered without a token and no invocation starts until resumed
    paused: bool = False

    def note_updated(self, changed: list[dict[str, Any]]) -> list[dict[str, Any]]:
        """Record operations the service changed for the next invocation's UpdatedOperationIds."""
        for op in changed:
            self.updated_ids[op["Id"]] = None
        return changed

    def take_updated(self) -> list[str]:
        """The UpdatedOperationIds of the invocation being started (and forget them)."""
        taken, self.updated_ids = list(self.updated_ids), {}
        return taken

    @property
    def op_id(self) -> str:
        return self.arn.rsplit("/", 1)[1]

    @property
    def running(self) -> bool:
        return self.status == "RUNNING"

    def describe(self) -> dict[str, Any]:
        """The GetDurableExecution fields (timestamps still in epoch ms)."""
        out: dict[str, Any] = {
            "DurableExecutionArn": self.arn,
            "DurableExecutionName": self.name,
            "FunctionArn": f"{self.function_arn}:$LATEST",
            "InputPayload": self.input_payload,
            "StartTimestamp": self.start_ms,
            "Status": self.status,
            "Version": "$LATEST",
        }
        if self.result is not None:
            out["Result"] = self.result
        if self.error is not None:
            out["Error"] = self.error
        if self.end_ms is not None:
            out["EndTimestamp"] = self.end_ms
        return out

    def summary(self) -> dict[str, Any]:
        """The ListDurableExecutionsByFunction item."""
        return summary(self.arn, self.name, self.function_arn, self.status, self.start_ms, self.end_ms)


def summary(
    arn: str, name: str, function_arn: str, status: str, start_ms: int, end_ms: int | None
) -> dict[str, Any]:
    """The ListDurableExecutionsByFunction item of an execution (timestamps in epoch ms)."""
    out: dict[str, Any] = {
        "DurableExecutionArn": arn,
        "DurableExecutionName": name,
        "FunctionArn": f"{function_arn}:$LATEST",
        "Status": status,
        "StartTimestamp": start_ms,
    }
    if end_ms is not None:
        out["EndTimestamp"] = end_ms
    return out
