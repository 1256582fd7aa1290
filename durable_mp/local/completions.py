"""Wake-ups for the HTTP server when executions end: a held synchronous Invoke awaits one of these futures.

One thread blocks in `service.wait_until` for all watched executions at once, so no thread is held per
pending Invoke; ended executions resolve their futures on the event loop (`call_soon_threadsafe`).
"""

from __future__ import annotations

import asyncio
import threading
from typing import Any

from durable_mp.service.client import ServiceError


class CompletionWatcher:
    """Resolves asyncio futures when executions end, from one thread blocked in `service.wait_until`."""

    def __init__(self, service: Any, loop: asyncio.AbstractEventLoop) -> None:
        self._service = service
        self._loop = loop
        self._guard = threading.Lock()
        self._waiting: dict[str, list[asyncio.Future[None]]] = {}
        self._thread: threading.Thread | None = None

    def wait(self, arn: str) -> asyncio.Future[None]:
        """A future (of the loop) done once execution `arn` is no longer RUNNING. Call on the loop thread."""
        future: asyncio.Future[None] = self._loop.create_future()
        with self._guard:
            self._waiting.setdefault(arn, []).append(future)
            if self._thread is None:
                self._thread = threading.Thread(target=self._run, name="durable-mp-http-watcher", daemon=True)
                self._thread.start()
        if self._service.status(arn) != "RUNNING":  # ended before we were registered: no wake-up will come
            self._resolve([arn])
        return future

    def _run(self) -> None:
        ended: list[str] = []

        def any_ended() -> bool:
            with self._guard:
                ended.extend(arn for arn in self._waiting if self._service.status(arn) != "RUNNING")
            return bool(ended)

        while True:
            try:
                self._service.wait_until(any_ended)
            except ServiceError:  # the service closed
                return
            self._resolve(ended)
            ended.clear()

    def _resolve(self, arns: list[str]) -> None:
        with self._guard:
            futures = [f for arn in arns for f in self._waiting.pop(arn, ())]
        if futures:
            self._loop.call_soon_threadsafe(self._set, futures)

    @staticmethod
    def _set(futures: list[asyncio.Future[None]]) -> None:
        for future in futures:
            if not future.done():
                future.set_result(None)


__all__ = ["CompletionWatcher"]
