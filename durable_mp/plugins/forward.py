"""Plugin hooks of map/parallel items running in a worker process.

The plugins live in the parent. In the worker, `WorkerHooks` stands in for the `PluginExecutor`: it
builds the same info objects and appends them to the branch's checkpoint buffer, between the updates,
so the parent receives hooks and checkpoints in the order the worker produced them and hands each hook
to its plugins (`PluginExecutor.deliver`) right after submitting the updates before it. Operation start
and end hooks need nothing here: the parent's checkpoint wrapper sees the forwarded updates.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any, Protocol

from durable_mp.exceptions import ErrorObject
from durable_mp.plugins.dispatch import context_end, replay_infos, user_function_hooks
from durable_mp.plugins.info import (
    PropagationInput,
    PropagationMetadata,
)
from durable_mp.wire import Operation, OperationStatus

HOOK = "hook"  # buffer entry (HOOK, info): an info for the parent's plugins


class _Buffer(Protocol):
    def add(self, entry: Any) -> None: ...

    def request(self, message: tuple[str, Any]) -> Any: ...


class WorkerHooks:
    """The hook surface of `PluginExecutor`, forwarding every hook to the parent."""

    def __init__(self, sink: _Buffer, updated_ids: frozenset[str]) -> None:
        self.sink, self.updated_ids = sink, updated_ids

    def operation_replayed(self, op: Operation) -> None:
        for info in replay_infos(op, self.updated_ids):
            self.sink.add((HOOK, info))

    def context_ended(
        self,
        identity: dict[str, Any],
        status: OperationStatus,
        error: ErrorObject | None = None,
        is_replayed: bool = False,
    ) -> None:
        self.sink.add((HOOK, context_end(identity, status, error, is_replayed)))

    @contextmanager
    def user_function(
        self, identity: dict[str, Any], attempt: int | None = None, is_replay_children: bool = False
    ) -> Iterator[None]:
        with user_function_hooks(
            lambda info: self.sink.add((HOOK, info)), identity, attempt, is_replay_children
        ):
            yield

    def propagation_metadata(self, info: PropagationInput) -> PropagationMetadata:
        answer = self.sink.request(("propagate", info))
        return answer if isinstance(answer, PropagationMetadata) else PropagationMetadata()
