"""The store interface: the service keeps live state in memory and writes every change through a store.

`commit` is called with the service lock held, once per accepted change (a checkpoint, an asynchronous
completion, an invocation start or end), before the change is acknowledged to anyone. A store that
returns from `commit` has made the change durable to the extent it promises.

A service reads from its store only what it needs: at start the unfinished executions (to resume them);
later, one execution when it is asked about one it does not hold (`load`, by ARN or through `find` /
`find_callback`), and the summaries of a function's executions for a listing. So start-up does not
grow with the executions that have ended.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any, Protocol

from durable_mp.local.executions import Execution


class ExecutionStore(Protocol):
    def load_running(self) -> list[Execution]:
        """The unfinished executions, in start order, with operations (in start order) and history."""
        ...

    def load(self, arn: str) -> Execution | None:
        """One execution with operations and history; None if the store has none with that ARN."""
        ...

    def find(self, function_name: str, name: str) -> str | None:
        """The ARN of `function_name`'s execution named `name`, if any."""
        ...

    def find_callback(self, callback_id: str) -> str | None:
        """The ARN of the execution that opened callback `callback_id`, if any."""
        ...

    def summaries(self, function_name: str) -> list[dict[str, Any]]:
        """`Execution.summary()` of each of the function's executions, in start order."""
        ...

    def create(self, ex: Execution) -> None:
        """Save a new execution (with its first events)."""
        ...

    def commit(self, ex: Execution, ops: Iterable[dict[str, Any]], events_from: int, execution: bool) -> None:
        """Save the changed `ops`, the events `ex.events[events_from:]`, and the execution row if `execution`."""
        ...

    def close(self) -> None: ...
