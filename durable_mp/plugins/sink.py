"""The checkpointer as plugins see it: START updates give `on_operation_start` before they are queued,
SUCCEED/FAIL updates give `on_operation_end` once checkpointed (with the recorded operation when the
response carried it). Worker processes' updates are submitted here by the parent, so their operations
reach the parent's plugins exactly like those of thread branches.
"""

from __future__ import annotations

from typing import Any

from durable_mp.plugins.dispatch import PluginExecutor
from durable_mp.state import CheckpointSink
from durable_mp.state.replay import ReplayState
from durable_mp.wire import EXECUTION, FAIL, START, SUCCEED

_ENDS = frozenset({SUCCEED, FAIL})


class PluginSink:
    """Wraps the invocation's checkpointer when plugins are registered."""

    def __init__(self, inner: CheckpointSink, replay: ReplayState, plugins: PluginExecutor) -> None:
        self.inner, self.replay, self.plugins = inner, replay, plugins

    @property
    def revoked(self) -> bool:
        return self.inner.revoked

    def _before(self, update: dict[str, Any]) -> None:
        if update["Action"] == START and update["Type"] != EXECUTION:
            self.plugins.operation_started(update, self.replay.get(update["Id"]))

    def _after(self, update: dict[str, Any]) -> None:
        if update["Action"] in _ENDS and update["Type"] != EXECUTION:
            self.plugins.operation_ended(update, self.replay.get(update["Id"]))

    def submit(self, update: dict[str, Any], *, sync: bool = False, required: bool = False) -> None:
        self._before(update)
        self.inner.submit(update, sync=sync, required=required)
        self._after(update)

    def submit_many(self, updates: list[dict[str, Any]]) -> None:
        for update in updates:
            self._before(update)
        self.inner.submit_many(updates)
        if any(update["Action"] in _ENDS for update in updates):
            self.inner.flush()  # end hooks follow the confirmed checkpoint, as for a thread's sync submit
        for update in updates:
            self._after(update)

    def flush(self) -> None:
        self.inner.flush()

    def __getattr__(self, name: str) -> Any:  # the checkpointer's other attributes (token, requests, ...)
        return getattr(self.inner, name)
