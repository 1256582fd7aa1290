"""Per-execution state shared by every context of one invocation.

`replay` (what was recorded), `checkpointer` (what we send), and the invocation-wide settings the
operations need. In a worker process the same object exists with the branch's slice of the replay
state and a checkpointer that forwards to the parent.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import Enum
from typing import Any, Protocol

from durable_mp.state.replay import ReplayState


class ReplayStatus(Enum):
    """Whether a context is re-running recorded operations (REPLAY) or running new ones (NEW)."""

    REPLAY = "replay"
    NEW = "new"


class CheckpointSink(Protocol):
    @property
    def revoked(self) -> bool: ...

    def submit(self, update: dict[str, Any], *, sync: bool = False, required: bool = False) -> None: ...

    def submit_many(self, updates: list[dict[str, Any]]) -> None: ...

    def flush(self) -> None: ...


@dataclass
class ExecutionState:
    replay: ReplayState
    checkpointer: CheckpointSink
    lambda_context: Any = None
    termination: Any = None  # durable_mp.termination.TerminationManager | None
    executor: str | None = None  # process-wide default for map/parallel ("processes", "threads", "inline")
    workers: int | str | None = None
    log_during_replay: bool = False
    logger_factory: Any = None
    # The invocation's plugin hooks: a durable_mp.plugins.PluginExecutor in the parent, a forwarder to
    # the parent in a worker process, None without plugins.
    plugins: Any = None
    extras: dict[str, Any] = field(default_factory=dict)

    @property
    def execution_arn(self) -> str:
        return self.replay.execution_arn

    @property
    def durable_execution_arn(self) -> str:
        """The official SDK's name for `execution_arn`."""
        return self.replay.execution_arn
