"""What a worker process sends its parent besides checkpoints: plugin hooks and log records.

Both travel in the branch's checkpoint buffer (`worker_entry.ChannelSink`), between the updates, so
they cost no extra message and keep their order. The parent takes the buffer apart in `deliver`:
updates go to its checkpointer, hooks to its plugins, records to its logging (handlers, formatters
and filters the parent configured), with their level, logger name, message and extra fields.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any, NamedTuple

from durable_mp.logger import emit_forwarded, forwardable_record, lowest_enabled_level
from durable_mp.plugins.forward import HOOK
from durable_mp.state import ExecutionState

LOG = "log"  # buffer entry (LOG, fields): a log record


class Forwarding(NamedTuple):
    """What a worker forwards for one branch: plugin hooks (with the invocation's updated ids) and logs.

    A NamedTuple: it travels with every task, and pickles at a tuple's cost.
    """

    hooks: bool
    updated_ids: frozenset[str]
    log_level: int | None


def forwarding_for(state: ExecutionState) -> Forwarding:
    """The parent's choice for the branches of one batch."""
    plugins = state.plugins
    return Forwarding(
        hooks=plugins is not None,
        updated_ids=getattr(plugins, "updated_ids", frozenset()),
        log_level=lowest_enabled_level(),
    )


def deliver(state: ExecutionState, entries: list[Any], submit: Any) -> None:
    """Hand a worker's buffer on in order: runs of updates to `submit(updates)`, hooks, log records."""
    run: list[dict[str, Any]] = []
    for entry in entries:
        if isinstance(entry, dict):
            run.append(entry)
            continue
        if run:
            submit(run)
            run = []
        kind, body = entry
        if kind == LOG:
            emit_forwarded(body)
        elif kind == HOOK and state.plugins is not None:
            state.plugins.deliver(body)
    if run:
        submit(run)


class _ForwardingHandler(logging.Handler):
    """On the worker's root logger: every record goes into the running branch's buffer."""

    def __init__(self) -> None:
        super().__init__()
        self.sink: Any = None

    def emit(self, record: logging.LogRecord) -> None:
        sink = self.sink
        if sink is None:
            return
        try:
            sink.add((LOG, forwardable_record(record)))
        except Exception:  # noqa: BLE001 - a record that cannot be forwarded is dropped, as logging does
            self.handleError(record)


_handler = _ForwardingHandler()


@contextmanager
def forward_logs(sink: Any, level: int | None) -> Iterator[None]:
    """While a branch runs in this worker, forward its records at `level` and above to the parent."""
    if level is None:
        yield
        return
    root = logging.getLogger()
    if _handler not in root.handlers:
        root.addHandler(_handler)
    if root.level != level:
        root.setLevel(level)  # (clears every logger's level cache: only when it changes)
    _handler.sink = sink
    try:
        yield
    finally:
        _handler.sink = None
