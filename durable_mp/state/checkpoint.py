"""Checkpoint batching and token flow: the only code that sends updates to the service.

Three modes, chosen per execution:

- ``eager``: every update is sent at once, in its own request, by the thread that made it.
- ``batched`` (default): updates the code does not wait for are queued; a flusher thread sends the queue
  after a short window (or as soon as it reaches 250 updates / 750 KB). An update the code waits for
  (``sync=True``) is sent at once by its own thread, together with everything queued before it, so a
  sequential step costs one request (START + SUCCEED) and no thread hop.
- ``optimistic``: like batched, but only acknowledgements the code really needs (``required=True``: a
  callback id, an at-most-once start, the final flush) are waited for.

Tokens are single use: sends are serialised under one lock and each response's token replaces the last.
A response without a token means the service revoked it: the invocation must stop and return PENDING.

No update is ever dropped silently. Transient service errors (throttling, 5xx, connection errors:
`durable_mp.errors_classify`) are retried in-process with back-off for as long as the invocation has time
before its yield point (`time_left`), so an outage of a minute is survived by a long enough invocation.
Any other failure of a send, whatever the client raised, is kept as a `CheckpointError`: every later
submit and flush (in particular the handler's final flush) raises it, so the invocation ends with an
error - the execution fails (a permanent error) or Lambda retries the invocation (anything else) - and the
updates the service never acknowledged are redone by the retry's replay.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from typing import Any

from durable_mp.exceptions import CheckpointError, PayloadTooLargeError, SuspendExecution
from durable_mp.service.client import DurableServiceClient, as_service_error, call_with_backoff
from durable_mp.state.replay import ReplayState
from durable_mp.wire import (
    EXECUTION,
    MAX_PAYLOAD_BYTES,
    MAX_REQUEST_BYTES,
    MAX_REQUEST_UPDATES,
    payload_size,
    update_size,
)

MODES = ("eager", "batched", "optimistic")


class TokenRevoked(SuspendExecution):
    """The service revoked this invocation's checkpoint token: stop and return PENDING."""

    def __init__(self) -> None:
        super().__init__("checkpoint token revoked by the service")


def check_payload(update: dict[str, Any]) -> None:
    """Refuse an update whose payload the service would reject, before anything is sent."""
    if update["Type"] == EXECUTION:  # the execution's own result may be up to Lambda's 6 MB response
        return
    size = payload_size(update.get("Payload"))
    if size > MAX_PAYLOAD_BYTES:
        what = update.get("Name") or update["Id"]
        raise PayloadTooLargeError(
            size, MAX_PAYLOAD_BYTES, f"the payload of {update['Type']} operation {what!r}"
        )


class Checkpointer:
    def __init__(
        self,
        client: DurableServiceClient,
        replay: ReplayState,
        token: str,
        *,
        mode: str = "batched",
        window: float = 0.005,
        time_left: Callable[[], float] = lambda: float("inf"),
        on_request: Callable[[float], None] | None = None,
        sleep: Callable[[float], None] = time.sleep,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        """`time_left()`: seconds the invocation may still spend retrying a transient failure;
        `on_request(seconds)`: told how long each acknowledged request took (the termination margin)."""
        if mode not in MODES:
            raise ValueError(f"checkpoint mode must be one of {MODES}, got {mode!r}")
        self.client = client
        self.replay = replay
        self.token = token
        self.mode = mode
        self.window = window
        self.revoked = False
        self.requests = 0
        self._queue: list[dict[str, Any]] = []
        self._queued_bytes = 0
        self._enqueued = 0  # updates ever queued; the n-th update queued is acknowledged once _acked >= n
        self._acked = 0  # updates acknowledged (batches are taken from the front of the queue, in order)
        self._sending = False  # a thread is sending the queue (others wait for their update's ack)
        self._cond = threading.Condition()
        self._send_lock = threading.Lock()
        self._error: BaseException | None = None
        self._flusher: threading.Thread | None = None
        self._closed = False
        self._time_left = time_left
        self._on_request = on_request
        self._sleep = sleep
        self._clock = clock

    # -- public ---------------------------------------------------------------------------------------

    def submit(self, update: dict[str, Any], *, sync: bool = False, required: bool = False) -> None:
        """Queue (or send) one update. With sync, return only once the service has acknowledged it."""
        if self.mode == "optimistic" and not required:
            sync = False
        self._enqueue([update], sync)

    def submit_many(self, updates: list[dict[str, Any]]) -> None:
        """Queue several updates nobody waits for (one lock, one wake-up): a worker's buffered batch."""
        self._enqueue(updates, False)

    def _enqueue(self, updates: list[dict[str, Any]], sync: bool) -> None:
        for update in updates:
            check_payload(update)
        self._raise_pending_error()
        with self._cond:
            self._queue.extend(updates)
            self._enqueued += len(updates)
            self._queued_bytes += sum(update_size(u) for u in updates)
            full = len(self._queue) >= MAX_REQUEST_UPDATES or self._queued_bytes >= MAX_REQUEST_BYTES
        if sync or full or self.mode == "eager":
            self.flush()
        else:
            self._wake_flusher()

    def flush(self) -> None:
        """Send everything queued; return once acknowledged. Raises the error of any failed send.

        Group commit: while one thread sends, updates queued meanwhile wait and go together in its next
        request; a thread whose updates another thread is sending only waits for their acknowledgement
        (it does not queue up behind the send to find its work done), so concurrent branches share calls.
        """
        with self._cond:
            target = self._enqueued
        while True:
            with self._cond:
                while self._sending and self._acked < target and self._error is None and not self.revoked:
                    self._cond.wait()
                self._raise_pending_error()
                if self._acked >= target:
                    return
                self._sending = True
            try:
                self._send_queue()
            finally:
                with self._cond:
                    self._sending = False
                    self._cond.notify_all()

    def _send_queue(self) -> None:
        """Send what is queued until the queue is empty (this thread is the sender)."""
        with self._send_lock:
            while True:
                with self._cond:
                    if not self._queue:
                        return
                    batch = self._take_batch()
                self._send(batch)
                with self._cond:
                    self._acked += len(batch)
                    self._cond.notify_all()

    def close(self) -> None:
        with self._cond:
            self._closed = True
            self._cond.notify_all()

    # -- internals ------------------------------------------------------------------------------------

    def _raise_pending_error(self) -> None:
        if self._error is not None:
            raise self._error
        if self.revoked:
            raise TokenRevoked()

    def _take_batch(self) -> list[dict[str, Any]]:
        if self.mode == "eager":
            batch, self._queue = self._queue[:1], self._queue[1:]
        elif len(self._queue) <= MAX_REQUEST_UPDATES and self._queued_bytes <= MAX_REQUEST_BYTES:
            batch, self._queue = self._queue, []
        else:
            size, n = 0, 0
            for u in self._queue[:MAX_REQUEST_UPDATES]:
                size += update_size(u)
                if n and size > MAX_REQUEST_BYTES:
                    break
                n += 1
            batch, self._queue = self._queue[:n], self._queue[n:]
        self._queued_bytes = sum(update_size(u) for u in self._queue) if self._queue else 0
        return batch

    def _send(self, batch: list[dict[str, Any]]) -> None:
        """Send one request (caller holds the send lock), retrying transient failures while time allows.
        Any failure is kept in `self._error` before it is raised: the batch is never dropped silently."""

        def attempt() -> dict[str, Any]:
            started = self._clock()
            response = self.client.checkpoint(self.replay.execution_arn, self.token, batch)
            if self._on_request is not None:
                self._on_request(self._clock() - started)
            return response

        try:
            response = call_with_backoff(
                attempt,
                self._time_left,
                sleep=self._sleep,
                clock=self._clock,
            )
        except Exception as exc:
            self._error = CheckpointError.from_service_error(as_service_error(exc))
            raise self._error from exc
        except BaseException as exc:  # KeyboardInterrupt, SystemExit: the updates were not acknowledged
            self._error = CheckpointError(f"a checkpoint of {len(batch)} updates was interrupted: {exc!r}")
            raise
        self.requests += 1
        token = response.get("CheckpointToken")
        state = response.get("NewExecutionState") or {}
        ops = state.get("Operations")
        if ops:
            self.replay.merge(ops)
        if token:
            self.token = token
        elif any(u["Type"] != EXECUTION for u in batch):
            self.revoked = True
            raise TokenRevoked()

    def _wake_flusher(self) -> None:
        if self._flusher is None:
            with self._cond:
                if self._flusher is None:
                    self._flusher = threading.Thread(
                        target=self._flush_loop, name="durable-mp-checkpoint", daemon=True
                    )
                    self._flusher.start()
                    return
        with self._cond:
            self._cond.notify_all()  # sync waiters share the condition: notify() could wake one of them

    def _flush_loop(self) -> None:
        while True:
            with self._cond:
                while not self._queue and not self._closed:
                    self._cond.wait()
                if self._closed:
                    return
            time.sleep(self.window)
            try:
                self.flush()
            except BaseException as exc:  # noqa: BLE001 - raised to the handler's thread by its next flush
                if self._error is None and not self.revoked:
                    self._error = CheckpointError(f"the background checkpoint flush failed: {exc!r}")
                    self._error.__cause__ = exc
