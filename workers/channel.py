"""A running task's line to the parent process.

Inside a task running on a `WorkerPool`::

    from durable_mp_workers import channel

    channel.send({"progress": 0.5})          # fire and forget: the parent gets TaskMessage(task_id, obj)
    answer = channel.request({"need": "x"})  # blocks until the parent calls pool.reply(task_id, answer)

`in_worker()` tells whether this code runs in a pool worker. Both calls are thread-safe; a `request()` holds
the channel until its reply arrives, so requests from several threads of one task are answered in turn.
Objects are pickled (cloudpickle when plain pickle cannot), so they must be picklable.
"""

from __future__ import annotations

from _thread import allocate_lock

from . import protocol
from .framing import BlockingChannel

_channel: BlockingChannel | None = None
_task_id = 0  # the running task, 0 between tasks
_lock = allocate_lock()
_pipelined: list[bytearray] = []  # TASK frames read ahead (while a task waited for a reply, or polled)
_cancelled: set[int] = set()  # tasks sent ahead that the parent cancelled: they are skipped


def in_worker() -> bool:
    """True in a pool worker process."""
    return _channel is not None


def send(obj: object) -> None:
    """Send `obj` to the parent, which receives it as `TaskMessage(task_id, obj)`."""
    channel, task_id = _current("send")
    payload = _encode(obj)
    with _lock:
        channel.send(protocol.head(protocol.MESSAGE, task_id), payload)


def request(obj: object) -> object:
    """Send `obj` to the parent (`TaskMessage(..., wants_reply=True)`) and return its `pool.reply(...)`."""
    channel, task_id = _current("request")
    payload = _encode(obj)
    with _lock:
        channel.send(protocol.head(protocol.REQUEST, task_id), payload)
        body = channel.recv()
        while body[0] != protocol.REPLY:  # the parent sent the next tasks ahead (a pipeline)
            _read_ahead(body)
            body = channel.recv()
    kind, reply_to = protocol.parse_head(body)
    if kind != protocol.REPLY or reply_to != task_id:
        raise RuntimeError(
            f"worker channel out of step: expected the reply to task {task_id}, "
            f"got message kind {kind} for task {reply_to}"
        )
    return protocol.loads(memoryview(body)[protocol.HEAD :])


def next_task() -> bytearray:
    """The worker main loop's next TASK frame, in the order sent, skipping those cancelled meanwhile: what
    the parent sent is read first (without blocking), so a CANCEL sent before this task began is seen."""
    channel = _channel
    assert channel is not None
    for body in channel.available():
        _read_ahead(body)
    while True:
        while _pipelined:
            body = _pipelined.pop(0)
            task_id = int.from_bytes(body[1 : protocol.HEAD], "little")
            if task_id not in _cancelled:
                return body
            _cancelled.discard(task_id)
            channel.send(protocol.head(protocol.SKIPPED, task_id), b"")
        _read_ahead(channel.recv())


def _read_ahead(body: bytearray) -> None:
    """A frame that arrived before it was wanted: a task sent ahead, or the cancellation of one."""
    kind, task_id = protocol.parse_head(body)
    if kind == protocol.TASK:
        _pipelined.append(body)
    elif kind == protocol.CANCEL:
        _cancelled.add(task_id)
    else:
        raise RuntimeError(f"worker channel out of step: unexpected message kind {kind} for task {task_id}")


def fileno() -> int:
    """The channel's file descriptor in this worker process."""
    channel, _ = _current("fileno")
    return channel.fileno()


def attach(channel: BlockingChannel) -> None:
    """Called once by the worker main loop: this process is a worker talking on `channel`."""
    global _channel
    _channel = channel


def detach() -> None:
    """Forget the channel (in a process forked by a task: the channel belongs to the worker)."""
    global _channel, _task_id
    _channel, _task_id = None, 0
    _pipelined.clear()
    _cancelled.clear()


def set_task(task_id: int) -> None:
    """Called by the worker main loop around each task (0 when no task runs)."""
    global _task_id
    _task_id = task_id


def _current(what: str) -> tuple[BlockingChannel, int]:
    if _channel is None or not _task_id:
        raise RuntimeError(
            f"durable_mp_workers.channel.{what}() works only inside a task running on a WorkerPool "
            "worker (check durable_mp_workers.channel.in_worker())"
        )
    return _channel, _task_id


def _encode(obj: object) -> bytes:
    try:
        return protocol.dumps(obj)
    except Exception as exc:
        from .errors import TaskPicklingError

        raise TaskPicklingError(
            f"cannot pickle {_describe(obj)} to send it to the parent process: {type(exc).__name__}: {exc}"
        ) from exc


def _describe(obj: object) -> str:
    text = repr(obj)
    return text if len(text) <= 200 else text[:197] + "..."
