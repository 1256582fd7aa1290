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
Transient service errors are retried in-process with backoff before giving up.
"""

from __future__ import annotations

import threading
import time
from typing import Any

from durable_mp.exceptions import CheckpointError, PayloadTooLargeError, SuspendExecution
from durable_mp.service.client import DurableServiceClient, ServiceError
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
RETRY_DELAYS = (0.05, 0.1, 0.2, 0.4, 0.8, 1.6)


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
    ) -> None:
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
        self._cond = threading.Condition()
        self._send_lock = threading.Lock()
        self._error: BaseException | None = None
        self._flusher: threading.Thread | None = None
        self._closed = False

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
            self._queued_bytes += sum(update_size(u) for u in updates)
            full = len(self._queue) >= MAX_REQUEST_UPDATES or self._queued_bytes >= MAX_REQUEST_BYTES
        if sync or full or self.mode == "eager":
            self.flush()
        else:
            self._wake_flusher()

    def flush(self) -> None:
        """Send everything queued; return once acknowledged. Raises the error of any failed send."""
        with self._send_lock:
            self._raise_pending_error()
            while True:
                with self._cond:
                    if not self._queue:
                        return
                    batch = self._take_batch()
                self._send(batch)

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
        """Send one request (caller holds the send lock), retrying transient failures."""
        attempt = 0
        while True:
            try:
                response = self.client.checkpoint(self.replay.execution_arn, self.token, batch)
                break
            except ServiceError as exc:
                if exc.retriable and attempt < len(RETRY_DELAYS):
                    time.sleep(RETRY_DELAYS[attempt])
                    attempt += 1
                    continue
                self._error = CheckpointError.from_service_error(exc)
                raise self._error from exc
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
            self._cond.notify()

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
            except BaseException:  # noqa: BLE001 - kept in self._error, raised to the handler's thread
                pass
