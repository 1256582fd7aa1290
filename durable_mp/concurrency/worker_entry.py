"""The part of a map/parallel branch that runs inside a worker process.

A task is `run_job(key, spec, ops, arn, log_during_replay)`. The batch's blob (function and items, or
branch functions) is fetched from the parent once per worker and batch, then cached. Checkpoints go
to the parent over the worker's channel: buffered for at most 20 ms (or until the task returns) and
fire and forget, except those the code must see acknowledged (a callback id, an at-most-once start),
which are requests. The parent keeps every update in order and
flushes before it reports the branch's outcome, so nothing acknowledged to the user is ever lost.
"""

from __future__ import annotations

import time
from collections import OrderedDict
from typing import Any

import cloudpickle

from durable_mp.concurrency.branch import BranchSpec, Outcome, run_branch
from durable_mp.state import ExecutionState
from durable_mp.state.checkpoint import check_payload
from durable_mp.state.replay import ReplayState
from durable_mp.wire import Operation

_blobs: OrderedDict[str, Any] = OrderedDict()
_MAX_BLOBS = 4


class ChannelSink:
    """A checkpointer that forwards updates to the parent process.

    Updates the code does not wait for are buffered and sent in one message at most `WINDOW` seconds
    after the first of them (or with the task's result), so a short item costs one message, not one per
    update, while a long item's progress still reaches the parent within the window.
    """

    revoked = False
    WINDOW = 0.02

    def __init__(self, replay: ReplayState) -> None:
        from workers import channel

        self.channel = channel
        self.replay = replay
        self.buffer: list[dict[str, Any]] = []
        self.first_at = 0.0

    def submit(self, update: dict[str, Any], *, sync: bool = False, required: bool = False) -> None:
        check_payload(update)
        if required:
            self._send_buffer()
            op = self.channel.request(("ckpt_sync", update))
            if isinstance(op, Operation):
                self.replay.merge_parsed([op])
            return
        now = time.monotonic()
        if not self.buffer:
            self.first_at = now
        self.buffer.append(update)
        if now - self.first_at >= self.WINDOW:
            self._send_buffer()

    def _send_buffer(self) -> None:
        if self.buffer:
            batch, self.buffer = self.buffer, []
            self.channel.send(("ckpt", batch))

    def take_buffer(self) -> list[dict[str, Any]]:
        batch, self.buffer = self.buffer, []
        return batch

    def flush(self) -> None:
        """Nothing to do here: the parent flushes before it reports this branch's outcome."""


def _batch(key: str) -> Any:
    batch = _blobs.get(key)
    if batch is None:
        from workers import channel

        batch = cloudpickle.loads(channel.request(("blob", key)))
        _blobs[key] = batch
        while len(_blobs) > _MAX_BLOBS:
            _blobs.popitem(last=False)
    return batch


def run_job(
    key: str, spec: BranchSpec, ops: list[Operation], arn: str, log_during_replay: bool
) -> tuple[list[dict[str, Any]], Outcome]:
    """Run one branch; return the updates still buffered (the parent submits them first) and the outcome."""
    batch = _batch(key)
    replay = ReplayState(arn, ops)
    sink = ChannelSink(replay)
    state = ExecutionState(replay=replay, checkpointer=sink, executor="threads", log_during_replay=log_during_replay)
    outcome = run_branch(state, spec, batch.func_for(spec.index), batch.item_serdes)
    return sink.take_buffer(), outcome
