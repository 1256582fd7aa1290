"""The program of an isolated invocation process: `python -P -m durable_mp.local.isolated_child FD`.

One invocation at a time, as one Lambda execution environment serves them. FD is this end of a socketpair
to the local service (isolation.py). Each invocation starts with a frame holding the handler's reference,
the parent's `sys.path`, the event, and the lambda context's fields (its deadline as wall-clock time, so
the start-up of a cold process counts against the invocation, as on Lambda). The handler is imported by
reference once per process and called through contract 2 with a client that forwards each checkpoint
and state call over the channel (one call at a time); the invocation ends with a frame holding its
output, or the exception it raised (then the process exits). The process waits, warm, for the next
invocation until the service closes the channel; it exits when the service's process is gone.
"""

from __future__ import annotations

import os
import socket
import sys
import threading
import time
from typing import Any

from durable_mp.local import frames


class ForwardingClient:
    """Contract 1 inside the process: each call is a request frame, answered by one reply frame."""

    def __init__(self, sock: socket.socket) -> None:
        self._sock = sock
        self._lock = threading.Lock()

    def _call(self, name: str, *args: Any) -> dict[str, Any]:
        from durable_mp.service.client import ServiceError

        with self._lock:
            frames.send(self._sock, {"call": name, "args": list(args)})
            reply = frames.recv(self._sock)
        if reply is None:
            raise ServiceError("ServiceException", "the local service closed the channel", status=500)
        if "error" in reply:
            e = reply["error"]
            raise ServiceError(e["code"], e["message"], status=e["status"], retriable=e["retriable"])
        return reply["ok"]  # type: ignore[no-any-return]

    def checkpoint(
        self, execution_arn: str, checkpoint_token: str, updates: list[dict[str, Any]]
    ) -> dict[str, Any]:
        return self._call("checkpoint", execution_arn, checkpoint_token, updates)

    def get_execution_state(
        self, execution_arn: str, checkpoint_token: str, marker: str | None = None, max_items: int = 1000
    ) -> dict[str, Any]:
        return self._call("get_execution_state", execution_arn, checkpoint_token, marker, max_items)


def _exit_with_parent(parent: int) -> None:
    """End this process when the service's process is gone (it was killed): never an orphan."""
    while os.getppid() == parent:
        time.sleep(0.5)
    os._exit(1)


def main(fd: int) -> int:
    threading.Thread(target=_exit_with_parent, args=(os.getppid(),), daemon=True).start()
    sock = socket.socket(fileno=fd)
    sock.set_inheritable(False)  # never leaks into the worker processes a map starts
    from durable_mp.local.isolation import resolve_handler
    from durable_mp.local.lambda_context import LambdaContext
    from durable_mp.log_level import apply_from_environment

    apply_from_environment()  # DURABLE_MP_LOG_LEVEL (durable-mp run --log-level): records to stderr

    handlers: dict[str, Any] = {}
    client = ForwardingClient(sock)
    while (start := frames.recv(sock)) is not None:  # the service closes the channel: exit
        sys.path[:] = start["sys_path"]
        c = start["context"]
        context = LambdaContext(
            request_id=c["request_id"],
            function_name=c["function_name"],
            function_arn=c["function_arn"],
            timeout_s=max(0.0, c["deadline"] - time.time()),
            memory_limit_in_mb=c["memory_limit_in_mb"],
            tenant_id=c["tenant_id"],
        )
        try:
            handler = handlers.get(start["reference"])
            if handler is None:
                handler = handlers[start["reference"]] = resolve_handler(start["reference"])
            output = handler.durable_invoke(start["event"], context, client)
            frames.send(sock, {"output": output})
        except BaseException as exc:  # noqa: BLE001 - reported to the service: a crashed invocation
            frames.send(sock, {"raised": f"{type(exc).__name__}: {exc}"})
            return 1  # the service discards a crashed environment
    return 0


if __name__ == "__main__":
    sys.exit(main(int(sys.argv[1])))
