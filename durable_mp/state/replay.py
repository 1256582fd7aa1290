"""The replay index: every operation this execution has recorded, by id.

Filled from the invocation input (and its pages) and kept current from checkpoint responses. Operations
look up their recorded outcome here; `subtree` extracts what a map/parallel branch needs to replay in
another process.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterable
from typing import Any

from durable_mp import ids
from durable_mp.wire import EXECUTION, Operation


class ReplayState:
    def __init__(self, execution_arn: str, operations: Iterable[Operation] = ()) -> None:
        self.execution_arn = execution_arn
        self.ops: dict[str, Operation] = {}
        self._lock = threading.Lock()
        self._children: dict[str | None, list[str]] | None = None
        self.execution_op: Operation | None = None
        # Called with the operations whose status a checkpoint response changed (plugins' on_operation_change).
        self.on_change: Callable[[list[Operation], dict[str, Operation]], None] | None = None
        for op in operations:
            self._put(op)

    def _put(self, op: Operation) -> None:
        if op.type == EXECUTION:
            self.execution_op = op
        if self._children is not None and op.id not in self.ops:
            self._children.setdefault(op.parent_id, []).append(op.id)
        self.ops[op.id] = op

    def get(self, op_id: str) -> Operation | None:
        return self.ops.get(op_id)

    def merge(self, op_dicts: Iterable[dict[str, Any]]) -> None:
        """Record operations from a checkpoint response or a state page."""
        on_change = self.on_change
        if on_change is None:
            with self._lock:
                for d in op_dicts:
                    self._put(Operation.from_dict(d))
            return
        changed: list[Operation] = []
        with self._lock:
            for d in op_dicts:
                op = Operation.from_dict(d)
                previous = self.ops.get(op.id)
                if previous is None or previous.status != op.status:
                    changed.append(op)
                self._put(op)
            snapshot = dict(self.ops) if changed else None
        if snapshot is not None:
            on_change(changed, snapshot)

    def merge_parsed(self, ops: Iterable[Operation]) -> None:
        with self._lock:
            for op in ops:
                self._put(op)

    @property
    def has_prior_operations(self) -> bool:
        return any(op.type != EXECUTION for op in self.ops.values())

    @property
    def input_payload(self) -> str | None:
        return self.execution_op.input_payload if self.execution_op else None

    @property
    def execution_start_ms(self) -> int:
        op = self.execution_op
        return op.start_ms if op and op.start_ms is not None else 0

    def children_of(self, parent_id: str | None) -> list[str]:
        with self._lock:
            if self._children is None:
                self._children = {}
                for op in self.ops.values():
                    self._children.setdefault(op.parent_id, []).append(op.id)
            return list(self._children.get(parent_id, ()))

    def subtree(self, context_id: str, flat_parent: str | None = None) -> list[Operation]:
        """The operations a branch whose context id is `context_id` may replay.

        NESTED branches: the context itself and all its descendants by ParentId. FLAT branches write no
        context of their own and their operations point at the batch (`flat_parent`): they are found by
        walking the deterministic ids H(f"{context_id}-{n}") until a run of misses, plus descendants.
        """
        found: list[Operation] = []
        own = self.ops.get(context_id)
        if own is not None:
            found.append(own)
        stack = [context_id]
        if flat_parent is not None:
            misses, n = 0, 0
            while misses < 16:
                n += 1
                op = self.ops.get(ids.child_id(context_id, n))
                if op is None:
                    misses += 1
                    continue
                misses = 0
                found.append(op)
                stack.append(op.id)
        while stack:
            for child in self.children_of(stack.pop()):
                found.append(self.ops[child])
                stack.append(child)
        return found
