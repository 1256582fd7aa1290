"""In-memory store: keeps the execution objects themselves, so a commit costs nothing.

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

    def load_all(self) -> list[Execution]:
        return list(self._executions.values())

    def create(self, ex: Execution) -> None:
        self._executions[ex.arn] = ex

    def commit(self, ex: Execution, ops: Iterable[dict[str, Any]], events_from: int, execution: bool) -> None:
        return None

    def close(self) -> None:
        return None
