"""One worker as the parent sees it (process, socket, framing state), and how workers are started.

A worker is ``python -P -m durable_mp_workers <fd>``: a fresh interpreter, started with `subprocess.Popen` (vfork + exec,
safe in a parent that runs threads), holding one end of an AF_UNIX socketpair. The parent keeps the other
end, non-blocking and non-inheritable (so nothing the parent's own code starts holds it), and a pidfd of the
worker process (Linux), which becomes readable when the process exits: the pool notices a worker's death
from the process itself, even if a descendant holds a copy of the channel. The first frame the parent sends
is the worker's configuration (`sys.path`, parent pid, modules to import at once: `preload`).

Workers ask the kernel to kill them when their parent dies (PR_SET_PDEATHSIG). Linux counts as the parent
the *thread* that started the process, so a worker started from a short-lived thread would die with it:
workers are therefore started from the main thread, or from one daemon thread that lives as long as the
process. A worker that was closed or killed is reaped by another daemon thread as soon as it exits, so it
never lingers as a zombie while the pool sits idle.
"""

from __future__ import annotations

import os
import queue
import signal
import socket
import subprocess
import sys
import threading
from collections import deque
from collections.abc import Callable
from typing import TypeVar

from . import protocol
from .framing import FrameReader, Outbox

_T = TypeVar("_T")
_PACKAGE_ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


class WorkerProcess:
    """The parent's handle on one worker: its process, its end of the channel, and what it is doing."""

    __slots__ = ("_ps", "fd", "outbox", "pidfd", "proc", "reader", "ready", "sock", "tasks", "tasks_run")

    def __init__(self, proc: subprocess.Popen[bytes], sock: socket.socket) -> None:
        self.proc = proc
        self.sock = sock
        self.fd = sock.fileno()
        self.pidfd = _open_pidfd(proc.pid)  # readable once the process has exited (None if unsupported)
        self.reader = FrameReader(self.fd)
        self.outbox = Outbox(self.fd)
        # the tasks sent to it, in order: the first runs (once `ready`), the others wait in its channel
        self.tasks: deque[tuple[int, bytes]] = deque()
        self.ready = False  # it has booted (imported what it preloads) and said so
        self.tasks_run = 0
        self._ps: object = None

    @property
    def task_id(self) -> int:
        """The task it runs (or will run first, while it boots); 0 when it holds none."""
        return self.tasks[0][0] if self.tasks else 0

    @property
    def pid(self) -> int:
        return self.proc.pid

    def rss(self) -> int:
        """Resident memory of the worker process, in bytes."""
        if self._ps is None:
            import psutil

            self._ps = psutil.Process(self.proc.pid)
        return self._ps.memory_info().rss  # type: ignore[attr-defined, no-any-return]

    def close(self) -> None:
        """Close the parent's end: an idle worker sees EOF and exits by itself."""
        self.sock.close()

    def close_pidfd(self) -> None:
        if self.pidfd is not None:
            os.close(self.pidfd)
            self.pidfd = None

    def kill(self) -> None:
        """SIGKILL the worker now and close the channel (reap it later with `proc.poll()` / `proc.wait()`)."""
        try:
            self.proc.send_signal(signal.SIGKILL)
        except ProcessLookupError:
            pass
        self.sock.close()


_preload: set[str] = set()


def preload(*modules: str) -> None:
    """Have workers started from now on import `modules` as soon as they boot, while idle, rather than
    during their first task (a worker started at an invocation's yield is then ready for the next one)."""
    _preload.update(modules)


def _open_pidfd(pid: int) -> int | None:
    """A pidfd for `pid` (Linux 5.3+; non-inheritable), so the pool sees the process exit itself rather
    than only its channel's EOF, which a leaked copy of the channel could delay indefinitely."""
    pidfd_open = getattr(os, "pidfd_open", None)
    if pidfd_open is None:
        return None
    try:
        return int(pidfd_open(pid))
    except OSError:  # an old kernel, or a seccomp filter that forbids it: channel EOF still works
        return None


def start_workers(count: int) -> list[WorkerProcess]:
    """Start `count` workers (without waiting for them to boot: they read their first task when ready)."""
    if not sys.executable:
        raise RuntimeError("cannot start worker processes: sys.executable is empty (embedded interpreter?)")
    env = dict(os.environ)
    path = env.get("PYTHONPATH")
    env["PYTHONPATH"] = f"{_PACKAGE_ROOT}{os.pathsep}{path}" if path else _PACKAGE_ROOT
    config = protocol.dumps((sys.path, os.getpid(), sorted(_preload)))
    return _on_lasting_thread(lambda: [_start_one(env, config) for _ in range(count)])


def _start_one(env: dict[str, str], config: bytes) -> WorkerProcess:
    parent_end, child_end = socket.socketpair()
    try:
        fd = child_end.fileno()
        # -P: the current directory does not go first on sys.path, so a `workers` package of the user's
        # cannot stand in for this one; PYTHONPATH points at this one.
        proc = subprocess.Popen(
            [sys.executable, "-P", "-m", "durable_mp_workers", str(fd)],
            pass_fds=(fd,),
            stdin=subprocess.DEVNULL,
            env=env,
        )
    except BaseException:
        parent_end.close()
        raise
    finally:
        child_end.close()
    parent_end.setblocking(False)
    worker = WorkerProcess(proc, parent_end)
    worker.outbox.send(protocol.head(protocol.CONFIG, 0), config)
    worker.outbox.flush()  # now: it boots and preloads at once, even if nobody polls the pool for a while
    return worker


_spawner_lock = threading.Lock()
_Reply = queue.SimpleQueue[tuple[bool, object]]
_spawner_requests: queue.SimpleQueue[tuple[Callable[[], object], _Reply]] | None = None
_reaper_queue: queue.SimpleQueue[subprocess.Popen[bytes]] | None = None


def _on_lasting_thread(fn: Callable[[], _T]) -> _T:
    """Run `fn` on a thread that lives as long as the process: the main thread, or the spawner thread."""
    if threading.current_thread() is threading.main_thread():
        return fn()
    global _spawner_requests
    with _spawner_lock:
        if _spawner_requests is None:
            _spawner_requests = queue.SimpleQueue()
            threading.Thread(
                target=_serve, args=(_spawner_requests,), name="workers-spawner", daemon=True
            ).start()
    reply: _Reply = queue.SimpleQueue()
    _spawner_requests.put((fn, reply))
    ok, value = reply.get()
    if not ok:
        raise value  # type: ignore[misc]
    return value  # type: ignore[return-value]


def reap_soon(proc: subprocess.Popen[bytes]) -> None:
    """Have the reaper thread wait for `proc` (closed or killed), so it does not stay a zombie."""
    global _reaper_queue
    with _spawner_lock:
        if _reaper_queue is None:
            _reaper_queue = queue.SimpleQueue()
            threading.Thread(
                target=_reap_forever, args=(_reaper_queue,), name="workers-reaper", daemon=True
            ).start()
    _reaper_queue.put(proc)


def _reap_forever(procs: queue.SimpleQueue[subprocess.Popen[bytes]]) -> None:
    while True:
        procs.get().wait()


def _forget_threads() -> None:
    """In a forked child the helper threads do not exist: start new ones when needed."""
    global _spawner_requests, _reaper_queue
    _spawner_requests = _reaper_queue = None


os.register_at_fork(after_in_child=_forget_threads)


def _serve(requests: queue.SimpleQueue[tuple[Callable[[], object], _Reply]]) -> None:
    while True:
        fn, reply = requests.get()
        try:
            reply.put((True, fn()))
        except BaseException as exc:  # noqa: BLE001 - handed back to the caller, which re-raises it
            reply.put((False, exc))
