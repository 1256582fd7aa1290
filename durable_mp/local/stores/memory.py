"""In-memory store: keeps the execution objects themselves, so a commit costs next to nothing.

Reusing one `MemoryStore` in a new `LocalDurableService` (after `close()`) resumes its executions,
as with a database file.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from durable_mp.local.executions import Execution


class MemoryStore:
    def __init__(self) -> None:
        self._executions: dict[str, Execution] = {}
        self._callbacks: dict[str, str] = {}  # callback id -> ARN

    def load_running(self) -> list[Execution]:
        return [ex for ex in self._executions.values() if ex.running]

    def load(self, arn: str) -> Execution | None:
        return self._executions.get(arn)

    def find(self, function_name: str, name: str) -> str | None:
        for ex in self._executions.values():
            if ex.name == name and ex.function_name == function_name:
                return ex.arn
        return None

    def find_callback(self, callback_id: str) -> str | None:
        return self._callbacks.get(callback_id)

    def summaries(self, function_name: str) -> list[dict[str, Any]]:
        return [ex.summary() for ex in self._executions.values() if ex.function_name == function_name]

    def create(self, ex: Execution) -> None:
        self._executions[ex.arn] = ex

    def commit(self, ex: Execution, ops: Iterable[dict[str, Any]], events_from: int, execution: bool) -> None:
        for op in ops:
            if op["Type"] == "CALLBACK":
                self._callbacks[op["CallbackDetails"]["CallbackId"]] = ex.arn

    def close(self) -> None:
        return None
