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
import time
from collections import deque
from collections.abc import Callable
from typing import TypeVar

from . import protocol
from .framing import FrameReader, Outbox, header, take_frames

_T = TypeVar("_T")
_PACKAGE_ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


class WorkerProcess:
    """The parent's handle on one worker: its process, its end of the channel, and what it is doing."""

    __slots__ = ("_ps", "fd", "outbox", "pidfd", "proc", "reader", "ready", "sock", "tasks", "tasks_run")

    def __init__(self, proc: subprocess.Popen[bytes] | ForkedProc, sock: socket.socket) -> None:
        self.proc = proc
        self.sock = sock
        self.fd = sock.fileno()
        # readable once the process has exited (None if unsupported, or until a forked worker's pid is known)
        self.pidfd = _open_pidfd(proc.pid) if proc.pid else None
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
        """Its process id (for a forked worker, once the template has forked it: waited for, briefly)."""
        if isinstance(self.proc, ForkedProc):
            self.proc.wait_forked(10)
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

    def know_pid(self, pid: int) -> None:
        """The worker said its pid (in READY): a forked worker's handle and pidfd get it if they lack it."""
        if isinstance(self.proc, ForkedProc) and not self.proc.pid:
            self.proc.forked(pid)
        if self.pidfd is None and self.proc.pid == pid:
            self.pidfd = _open_pidfd(pid)

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


def start_workers(count: int, method: str = "template") -> list[WorkerProcess]:
    """Start `count` workers (without waiting for them to boot: they read their first task when ready):
    forked from the template (`method="template"`, see `durable_mp_workers.template`), or each its own
    interpreter (`"subprocess"`, also where fork is not available)."""
    if not sys.executable:
        raise RuntimeError("cannot start worker processes: sys.executable is empty (embedded interpreter?)")
    env = _worker_env()
    if method == "template" and can_fork():
        return _on_lasting_thread(lambda: [_fork_one(env) for _ in range(count)])
    config = protocol.dumps((sys.path, os.getpid(), sorted(_preload), dict(os.environ)))
    return _on_lasting_thread(lambda: [_start_one(env, config) for _ in range(count)])


def _worker_env() -> dict[str, str]:
    env = dict(os.environ)
    path = env.get("PYTHONPATH")
    env["PYTHONPATH"] = f"{_PACKAGE_ROOT}{os.pathsep}{path}" if path else _PACKAGE_ROOT
    return env


def can_fork() -> bool:
    """Whether workers can be forked from the template here (Linux, with fork and fd passing)."""
    return hasattr(os, "fork") and hasattr(socket, "send_fds") and sys.platform.startswith("linux")


def _start_one(env: dict[str, str], config: bytes) -> WorkerProcess:
    parent_end, child_end = socket.socketpair()
    try:
        proc = _interpreter(["-m", "durable_mp_workers"], child_end, env)
    except BaseException:
        parent_end.close()
        raise
    finally:
        child_end.close()
    return _attach(WorkerProcess(proc, parent_end), config)


def _interpreter(args: list[str], child_end: socket.socket, env: dict[str, str]) -> subprocess.Popen[bytes]:
    fd = child_end.fileno()
    # -P: the current directory does not go first on sys.path, so a `workers` package of the user's cannot
    # stand in for this one; PYTHONPATH points at this one.
    return subprocess.Popen(
        [sys.executable, "-P", *args, str(fd)], pass_fds=(fd,), stdin=subprocess.DEVNULL, env=env
    )


def _attach(worker: WorkerProcess, config: bytes) -> WorkerProcess:
    worker.sock.setblocking(False)
    worker.outbox.send(protocol.head(protocol.CONFIG, 0), config)
    worker.outbox.flush()  # now: it boots and preloads at once, even if nobody polls the pool for a while
    return worker


def _fork_one(env: dict[str, str]) -> WorkerProcess:
    """A worker forked by the template (started first if it is not running): returns at once, before the
    template has booted; the worker's pid is known when the template has forked it."""
    template = Template.running(env)
    parent_end, child_end = socket.socketpair()
    try:
        proc = template.fork(child_end, sorted(_preload))
    except BaseException:
        parent_end.close()
        raise
    finally:
        child_end.close()
    config = protocol.dumps((sys.path, template.pid, sorted(_preload), dict(os.environ)))
    return _attach(WorkerProcess(proc, parent_end), config)


class ForkedProc:
    """A worker forked by the template, seen through the subset of `subprocess.Popen` the pool uses. Its
    pid arrives when the template has forked it; its exit code when the template has reaped it."""

    def __init__(self) -> None:
        self.pid = 0
        self.returncode: int | None = None
        self._exited = threading.Event()
        self._forked = threading.Event()

    def poll(self) -> int | None:
        return self.returncode

    def wait(self, timeout: float | None = None) -> int:
        deadline = None if timeout is None else time.monotonic() + timeout
        gone_since: float | None = None
        while not self._exited.wait(
            0.2 if deadline is None else max(0.0, min(0.2, deadline - time.monotonic()))
        ):
            if deadline is not None and time.monotonic() >= deadline:
                raise subprocess.TimeoutExpired(f"worker {self.pid}", timeout or 0)
            if self.pid and not _exists(self.pid):  # reaped, and its report has not come: do not wait forever
                gone_since = gone_since or time.monotonic()
                if time.monotonic() - gone_since > 1.0:
                    self._set_exit(-signal.SIGKILL)
        assert self.returncode is not None
        return self.returncode

    def send_signal(self, sig: int) -> None:
        """Signal the worker if it runs (one not forked yet has its channel closed with it, and exits)."""
        if self.pid and self.returncode is None:
            os.kill(self.pid, sig)

    def wait_forked(self, timeout: float) -> None:
        """Wait (up to `timeout` s) for the template to have forked it, so that its pid is known."""
        self._forked.wait(timeout)

    def forked(self, pid: int) -> None:
        self.pid = pid
        self._forked.set()

    def _set_exit(self, code: int) -> None:
        self.returncode = code
        self._exited.set()


def _exists(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


class Template:
    """The parent's side of the template process: fork requests, and a daemon thread that reads its replies
    and the exit codes of the workers it reaps."""

    _current: Template | None = None
    _lock = threading.Lock()

    def __init__(self, env: dict[str, str]) -> None:
        parent_end, child_end = socket.socketpair()
        try:
            self.proc = _interpreter(["-m", "durable_mp_workers", "--template"], child_end, env)
        finally:
            child_end.close()
        self.pid = self.proc.pid
        self.sock = parent_end
        self.alive = True
        self._pending: deque[ForkedProc] = deque()  # forked but not answered yet, in request order
        self._procs: dict[int, ForkedProc] = {}
        self._send_lock = threading.Lock()
        self._send(protocol.dumps((sys.path, os.getpid(), sorted(_preload))))
        threading.Thread(target=self._read, name="workers-template", daemon=True).start()

    @classmethod
    def running(cls, env: dict[str, str]) -> Template:
        """The live template, started now if there is none (on the thread that starts workers)."""
        with cls._lock:
            if cls._current is None or not cls._current.alive:
                cls._current = Template(env)
            return cls._current

    def fork(self, child_end: socket.socket, preload: list[str]) -> ForkedProc:
        proc = ForkedProc()
        with self._send_lock:
            if not self.alive:
                raise OSError("the worker template has exited")
            self._pending.append(proc)
            body = b"F" + protocol.dumps(preload)
            socket.send_fds(self.sock, [header(len(body)) + body], [child_end.fileno()])
        return proc

    def _send(self, body: bytes) -> None:
        with self._send_lock:
            self.sock.sendall(header(len(body)) + body)

    def _read(self) -> None:
        buf = bytearray()
        try:
            while True:
                chunk = self.sock.recv(1 << 16)
                if not chunk:
                    break
                buf += chunk
                for body in take_frames(buf):
                    self._on_message(bytes(body))
        except OSError:
            pass
        self._gone()

    def _on_message(self, body: bytes) -> None:
        kind = body[:1]
        if kind == b"P":
            pid = int.from_bytes(body[1:9], "little")
            with self._send_lock:
                proc = self._pending.popleft()
            self._procs[pid] = proc
            proc.forked(pid)
        elif kind == b"X":
            pid = int.from_bytes(body[1:9], "little")
            ended = self._procs.pop(pid, None)
            if ended is not None:
                ended._set_exit(int.from_bytes(body[9:17], "little", signed=True))

    def _gone(self) -> None:
        """The template exited: its workers die with it (PR_SET_PDEATHSIG); the next start makes a new one."""
        with self._send_lock:
            self.alive = False
            lost = [*self._pending, *self._procs.values()]
            self._pending.clear()
            self._procs.clear()
        for proc in lost:
            proc._set_exit(-signal.SIGKILL)
        self.sock.close()
        self.proc.wait()


def template_pid() -> int | None:
    """The pid of the running worker template, if any (it lives as long as this process)."""
    current = Template._current
    return current.pid if current is not None and current.alive else None


_spawner_lock = threading.Lock()
_Reply = queue.SimpleQueue[tuple[bool, object]]
_spawner_requests: queue.SimpleQueue[tuple[Callable[[], object], _Reply]] | None = None
_reaper_queue: queue.SimpleQueue[subprocess.Popen[bytes] | ForkedProc] | None = None


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


def reap_soon(proc: subprocess.Popen[bytes] | ForkedProc) -> None:
    """Have the reaper thread wait for `proc` (closed or killed), so it does not stay a zombie."""
    global _reaper_queue
    with _spawner_lock:
        if _reaper_queue is None:
            _reaper_queue = queue.SimpleQueue()
            threading.Thread(
                target=_reap_forever, args=(_reaper_queue,), name="workers-reaper", daemon=True
            ).start()
    _reaper_queue.put(proc)


def _reap_forever(procs: queue.SimpleQueue[subprocess.Popen[bytes] | ForkedProc]) -> None:
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
