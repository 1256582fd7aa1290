"""The worker process: receive a task, run it, send back its result or its exception, repeat.

Tasks run one at a time, in the order sent; the parent may send several ahead (they wait in the channel,
or in `channel`'s list when they arrived while a task waited for a reply).

Started by the pool as ``python -P -m durable_mp_workers <fd>`` where `<fd>` is this worker's end of a socketpair. At
start-up it imports only the standard library's C pickler and this package's small modules; unpickling a
task imports whatever the task needs (cloudpickle included, for functions pickled by value).

It exits by itself when the parent goes away: the next read of the channel sees EOF and the loop ends, and
on Linux the kernel kills it at once (PR_SET_PDEATHSIG), even in the middle of a task.

The channel stays private to this process: non-inheritable (so `os.system` and `subprocess` children of a
task do not get it) and closed in any child a task forks.
"""

from __future__ import annotations

import os
import sys

from . import channel, protocol
from .framing import BlockingChannel

_PR_SET_PDEATHSIG = 1
_SIGKILL = 9


def main(fd: int) -> None:
    """Serve tasks on the channel `fd` until the parent closes it."""
    import _signal  # type: ignore[import-not-found]  # the C module under `signal` (no stubs): a fast start

    _signal.signal(_signal.SIGINT, _signal.SIG_IGN)  # Ctrl-C is for the parent, which then stops the pool
    _keep_channel_private(fd)
    chan = BlockingChannel(fd)
    try:
        sys.path[:], parent_pid, preload, env = protocol.loads(memoryview(chan.recv())[protocol.HEAD :])
        _die_with_parent(parent_pid)
        if env != os.environ:  # a worker forked from the template: the parent's environment now
            os.environ.clear()
            os.environ.update(env)
        channel.attach(chan)
        _import_now(preload)
        chan.send(protocol.head(protocol.READY, 0), os.getpid().to_bytes(8, "little"))
        while True:
            body = channel.next_task()
            task_id = int.from_bytes(body[1 : protocol.HEAD], "little")
            channel.set_task(task_id)
            head, payload = _run(memoryview(body)[protocol.HEAD :])
            del body
            channel.set_task(0)
            chan.send(protocol.head(head, task_id), payload)
    except (EOFError, BrokenPipeError, ConnectionResetError):
        return  # the parent closed the channel or is gone


def _run(task: memoryview) -> tuple[int, bytes]:
    """Run one pickled `(fn, args)`: `(DONE, result pickle)` or `(FAILED, failure pickle)`."""
    try:
        fn, args = protocol.loads(task)
        del task
        result = fn(*args)
    except BaseException as exc:  # noqa: BLE001 - the task's failure, whatever it is, goes to the parent
        return protocol.FAILED, _failure(exc)
    try:
        return protocol.DONE, protocol.dumps(result)
    except Exception as exc:  # noqa: BLE001 - pickling runs the result's code: any error fails the task
        from .errors import TaskPicklingError

        error = TaskPicklingError(
            f"the result of task {_name(fn)} cannot be pickled to cross to the parent "
            f"process: {type(exc).__name__}: {exc}. Return plain data instead"
        )
        return protocol.FAILED, _failure(error)


def _failure(exc: BaseException) -> bytes:
    """The FAILED payload: the exception pickled if it survives a round trip, and always its description."""
    import traceback

    text = "".join(traceback.format_exception(exc))
    try:
        pickled: bytes | None
        pickled = protocol.dumps(exc)
        protocol.loads(pickled)
    except Exception:  # noqa: BLE001 - an exception that cannot round-trip is sent as its text only
        pickled = None
    return protocol.dumps((pickled, _name(type(exc)), str(exc), text))


def _name(obj: object) -> str:
    module = getattr(obj, "__module__", None)
    qualname = getattr(obj, "__qualname__", None) or repr(obj)
    return f"{module}.{qualname}" if module not in (None, "builtins") else qualname


def _import_now(modules: list[str]) -> None:
    """Import what the pool asked to preload (a failure is left for the task that needs it to report)."""
    import importlib

    for name in modules:
        try:
            importlib.import_module(name)
        except Exception:  # noqa: BLE001, S110 - the first task that imports it raises the real error
            pass


def _keep_channel_private(fd: int) -> None:
    """No child of the task's code gets the channel: it is not inherited across exec (os.system,
    subprocess with close_fds=False), and a plain fork() child closes its copy at once. A process that
    held it could keep the channel open after this worker died and write frames the parent unpickles."""
    os.set_inheritable(fd, False)

    def close_in_child() -> None:
        channel.detach()
        try:
            os.close(fd)
        except OSError:
            pass

    os.register_at_fork(after_in_child=close_in_child)


def _die_with_parent(parent_pid: int) -> None:
    """On Linux, have the kernel SIGKILL this process when its parent dies; exit now if it already did."""
    if sys.platform.startswith("linux"):
        try:
            import ctypes

            ctypes.CDLL(None, use_errno=True).prctl(_PR_SET_PDEATHSIG, _SIGKILL, 0, 0, 0)
        except (OSError, AttributeError):
            pass  # no prctl here: EOF on the channel still ends the worker
    if os.getppid() != parent_pid:
        os._exit(0)
