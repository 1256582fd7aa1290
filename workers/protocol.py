"""The messages on a worker's channel, and how their bodies are encoded.

A frame body (see `framing`) is a 9-byte head, the message kind (1 byte) and the task id (8 bytes,
little-endian), followed by a pickle. The parent may send a worker several TASK frames at once (a
pipeline: see `WorkerPool.pipeline`); the worker runs them in order. The parent routes a message by its
head without unpickling it, and a large payload is never copied to prepend the head.

Parent -> worker: the first frame is CONFIG (task id 0; pickle of `(sys_path, parent_pid, preload,
environ)`), then
    TASK   pickle (cloudpickle) of `(fn, args)`
    REPLY  pickle of the reply to the task's pending `channel.request()`
    CANCEL (empty) the task was sent ahead and must not begin: the worker answers SKIPPED if it had not
           begun it (else the task runs on, and the parent stops the worker when it hears from it)
Worker -> parent:
    READY    (task id 0, its pid as 8 bytes) once it has booted and imported what it preloads
    MESSAGE  pickle of the object the task gave to `channel.send()`
    REQUEST  pickle of the object the task gave to `channel.request()`; a REPLY must follow
    DONE     pickle of the task's return value
    SKIPPED  (empty) the task was cancelled before it began: it never ran
    FAILED   pickle of `(exception pickle or None, type name, message, traceback text)`

This module runs in the worker at start-up: it imports only the C pickler.
"""

from __future__ import annotations

try:
    from _pickle import dumps as _dumps
    from _pickle import loads
except ImportError:  # an interpreter without the C pickler
    from pickle import dumps as _dumps
    from pickle import loads

CONFIG, TASK, REPLY, MESSAGE, REQUEST, DONE, FAILED, READY, CANCEL, SKIPPED = range(10)
HEAD = 9

__all__ = [
    "CANCEL",
    "CONFIG",
    "DONE",
    "FAILED",
    "HEAD",
    "MESSAGE",
    "READY",
    "REPLY",
    "REQUEST",
    "SKIPPED",
    "TASK",
    "dumps",
    "head",
    "loads",
    "parse_head",
]


def head(kind: int, task_id: int) -> bytes:
    """The 9-byte head of a message."""
    return bytes((kind,)) + task_id.to_bytes(8, "little")


def parse_head(body: bytearray) -> tuple[int, int]:
    """`(kind, task_id)` of a frame body."""
    return body[0], int.from_bytes(body[1:HEAD], "little")


def dumps(obj: object) -> bytes:
    """Pickle with the fast C pickler; fall back to cloudpickle for lambdas, closures and local classes."""
    try:
        return _dumps(obj, 5)
    except Exception:  # noqa: BLE001 - whatever the C pickler refuses, cloudpickle tries (and raises its own)
        import cloudpickle

        data: bytes = cloudpickle.dumps(obj, 5)
        return data
