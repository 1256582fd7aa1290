"""The store interface: the service keeps live state in memory and writes every change through a store.

`commit` is called with the service lock held, once per accepted change (a checkpoint, an asynchronous
completion, an invocation start or end), before the change is acknowledged to anyone. A store that
returns from `commit` has made the change durable to the extent it promises.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any, Protocol

from durable_mp.local.executions import Execution


class ExecutionStore(Protocol):
    def load_all(self) -> list[Execution]:
        """Every execution saved so far, with operations (in start order) and history."""
        ...

    def create(self, ex: Execution) -> None:
        """Save a new execution (with its first events)."""
        ...

    def commit(self, ex: Execution, ops: Iterable[dict[str, Any]], events_from: int, execution: bool) -> None:
        """Save the changed `ops`, the events `ex.events[events_from:]`, and the execution row if `execution`."""
        ...

    def close(self) -> None: ...
