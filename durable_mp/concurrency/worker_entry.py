"""The part of a map/parallel branch that runs inside a worker process.

A task is `run_job(key, spec, ops, arn, log_during_replay)`. The batch's blob (function and items, or
branch functions) is fetched from the parent once per worker and batch, then cached. Checkpoints go
to the parent over the worker's channel, fire and forget (starts ride along with the next finished
piece of work), except those the code must see acknowledged (a callback id, an at-most-once start),
which are requests. A step with a timeout announces its deadline to the parent, which kills the worker
at that deadline (see durable_mp/operations/step_timeout.py). The parent keeps every update in order and
flushes before it reports the branch's outcome, so nothing acknowledged to the user is ever lost.
"""

from __future__ import annotations

import sys
import threading
from collections import OrderedDict
from typing import Any, cast

import cloudpickle

from durable_mp.concurrency.branch import BranchSpec, Outcome, run_branch
from durable_mp.concurrency.forwarding import Forwarding, forward_logs
from durable_mp.log_level import apply_from_environment
from durable_mp.plugins.forward import WorkerHooks
from durable_mp.state import ExecutionState
from durable_mp.state.checkpoint import check_payload
from durable_mp.state.replay import ReplayState
from durable_mp.wire import Operation

_blobs: OrderedDict[str, tuple[Any, Forwarding]] = OrderedDict()
_MAX_BLOBS = 4


class ChannelSink:
    """A checkpointer that forwards updates to the parent process.

    Starts, and the branch's own end, are buffered: they travel with the next update that records
    completed work (a step's SUCCEED, FAIL or RETRY is sent at once, so a worker that dies loses no
    finished step), or with the task's result. A short item costs two messages, not one per update.
    """

    revoked = False

    def __init__(self, replay: ReplayState, branch_id: str) -> None:
        from durable_mp_workers import channel

        self.channel = channel
        self.replay = replay
        self.branch_id = branch_id
        self.buffer: list[Any] = []
        # The branch's threads (a nested map or parallel runs on threads in the worker) share the buffer:
        # an entry added while another thread takes the buffer to send it would be lost.
        self._lock = threading.Lock()

    def add(self, entry: Any) -> None:
        """Buffer a plugin hook or a log record (it travels with the next update sent)."""
        with self._lock:
            self.buffer.append(entry)

    def submit(self, update: dict[str, Any], *, sync: bool = False, required: bool = False) -> None:
        check_payload(update)
        if required:
            self._send_buffer()
            op = self.channel.request(("ckpt_sync", update))
            if isinstance(op, Operation):
                self.replay.merge_parsed([op])
            return
        with self._lock:
            self.buffer.append(update)
            if update["Action"] != "START" and update["Id"] != self.branch_id:
                self._send_locked()

    def submit_many(self, updates: list[dict[str, Any]]) -> None:
        for update in updates:
            self.submit(update)

    def arm_step_deadline(self, step_id: str, seconds: int, on_timeout: dict[str, Any]) -> None:
        """A step with a timeout starts: the parent kills this worker if the step has not ended (no
        SUCCEED, FAIL or RETRY of `step_id` received) `seconds` from now, and records `on_timeout`."""
        check_payload(on_timeout)
        self._send_buffer()  # the step's START reaches the parent before its deadline
        self.channel.send(("step_deadline", (step_id, seconds, on_timeout)))

    def request(self, message: tuple[str, Any]) -> Any:
        """A request to the parent, after everything buffered (so the parent sees it in order)."""
        self._send_buffer()
        return self.channel.request(message)

    def _send_buffer(self) -> None:
        with self._lock:
            self._send_locked()

    def _send_locked(self) -> None:
        if self.buffer:
            batch, self.buffer = self.buffer, []
            self.channel.send(("ckpt", batch))

    def take_buffer(self) -> list[Any]:
        with self._lock:
            batch, self.buffer = self.buffer, []
        return batch

    def flush(self) -> None:
        """Nothing to do here: the parent flushes before it reports this branch's outcome."""


def _batch(key: str) -> tuple[Any, Forwarding]:
    """The batch's work and what to forward to the parent, fetched once per worker and batch."""
    entry = _blobs.get(key)
    if entry is None:
        from durable_mp_workers import channel

        blob, forwarding, path = cast(
            "tuple[bytes, Forwarding, list[str]]", channel.request(("blob", key))
        )  # the parent's reply
        # The parent's sys.path now, not when this worker started (it may have started at decoration, before
        # the handler's module or a test runner added to it): what the blob refers to imports the same here.
        sys.path[:] = path
        entry = _blobs[key] = (cloudpickle.loads(blob), forwarding)
        while len(_blobs) > _MAX_BLOBS:
            _blobs.popitem(last=False)
    return entry


def run_job(
    key: str,
    spec: BranchSpec,
    ops: list[Operation],
    arn: str,
    log_during_replay: bool,
) -> tuple[list[Any], Outcome]:
    """Run one branch; return what is still buffered (the parent takes it first) and the outcome.

    The buffer also carries plugin hooks and log records, in the order they happened (see forwarding).
    """
    apply_from_environment()  # DURABLE_MP_LOG_LEVEL: this process's log records to stderr
    batch, forwarding = _batch(key)
    replay = ReplayState(arn, ops)
    sink = ChannelSink(replay, spec.op_id)
    state = ExecutionState(
        replay=replay, checkpointer=sink, executor="threads", log_during_replay=log_during_replay
    )
    if forwarding.hooks:
        state.plugins = WorkerHooks(sink, forwarding.updated_ids)
    with forward_logs(sink, forwarding.log_level):
        outcome = run_branch(state, spec, batch.func_for(spec.index), batch.item_serdes)
    return sink.take_buffer(), outcome
