"""The template: one clean, single-threaded process that has imported the worker side once, and forks workers.

Started by the parent (`process.Template`) as ``python -P -m durable_mp_workers --template <fd>``, where `<fd>`
is its end of a control socket. A fresh interpreter that imports the worker side costs about 0.1 s of CPU;
a worker forked from the template costs a fork (a few ms) and is ready at once, whatever the number of
workers: on a cold start N workers cost one boot, not N, and a worker replaced after a crash is ready in
milliseconds. The template never starts a thread, so forking it is safe.

Control messages (parent -> template), each one `send_fds` datagram-like message on the stream:
    b"F" + pickle of the modules to import first, with one fd: the new worker's end of its channel.
    The template imports what it was not given yet, forks, closes its copy of the fd and answers
    b"P" + 8-byte pid. The child runs `worker.main(fd)` (which reads its own CONFIG on its channel).
Template -> parent:
    b"P" + pid after each fork; b"X" + 8-byte pid + 8-byte signed exit code (as
    `Popen.returncode`) when a worker it forked has exited (it reaps them: none stays a zombie).
Each message is framed with `framing` (8-byte length).

Garbage collection, as CPython recommends for a process that forks without exec: off in the template (it
only imports and forks), everything it imported frozen (`gc.freeze()`) before each fork, and on again in
each worker. A worker's collections then never walk the objects it shares with the template, so they stay
shared pages instead of being copied on the first collection, and cost nothing to collect. The template exits when the control socket closes
(the parent closed it or died) and, on Linux, the kernel kills it with its parent (PR_SET_PDEATHSIG); each
worker dies with the template the same way.
"""

from __future__ import annotations

import gc
import os
import select
import signal
import socket
import sys

from . import protocol
from .framing import header, take_frames


def main(fd: int) -> None:
    """Serve fork requests on the control socket `fd` until it closes."""
    from .worker import _die_with_parent, _import_now

    gc.disable()
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C is for the parent, which then stops the pool
    ctl = socket.socket(fileno=fd)
    ctl.setblocking(True)
    wake_read, wake_write = os.pipe()  # SIGCHLD -> a byte here, so the loop reaps without a thread
    os.set_blocking(wake_read, False)
    os.set_blocking(wake_write, False)
    signal.set_wakeup_fd(wake_write)
    signal.signal(signal.SIGCHLD, lambda *_: None)
    line = _Line(ctl)
    try:
        sys.path[:], parent_pid, preload = protocol.loads(line.next_blocking())
        _die_with_parent(parent_pid)
        _import_now(preload)
        while True:
            while (body := line.next()) is not None:
                _import_now(protocol.loads(body[1:]))
                fd = line.fds.pop(0)
                gc.freeze()
                pid = os.fork()
                if pid == 0:  # the worker: nothing of the template's control line stays open in it
                    gc.enable()
                    signal.set_wakeup_fd(-1)
                    signal.signal(signal.SIGCHLD, signal.SIG_DFL)
                    for own in (ctl.fileno(), wake_read, wake_write, *line.fds):
                        os.close(own)
                    _serve_as_worker(fd)
                os.close(fd)
                _send(ctl, b"P" + pid.to_bytes(8, "little"))
            ready, _, _ = select.select([ctl.fileno(), wake_read], [], [])
            if wake_read in ready:
                _drain(wake_read)
                _reap(ctl)
            if ctl.fileno() in ready:
                line.read()
    except (EOFError, BrokenPipeError, ConnectionResetError):
        return  # the parent closed the control socket or is gone


def _serve_as_worker(fd: int) -> None:
    from .worker import main as worker_main

    code = 0
    try:
        worker_main(fd)
    except BaseException:  # noqa: BLE001 - a worker that fails ends with an error code, never returns here
        code = 1
    os._exit(code)


def _reap(ctl: socket.socket) -> None:
    """Report every worker that has exited (and reap it)."""
    while True:
        try:
            pid, status = os.waitpid(-1, os.WNOHANG)
        except ChildProcessError:
            return
        if pid == 0:
            return
        code = os.waitstatus_to_exitcode(status)
        _send(ctl, b"X" + pid.to_bytes(8, "little") + code.to_bytes(8, "little", signed=True))


def _drain(fd: int) -> None:
    try:
        while os.read(fd, 4096):
            pass
    except BlockingIOError:
        pass


def _send(ctl: socket.socket, body: bytes) -> None:
    ctl.sendall(header(len(body)) + body)


class _Line:
    """The control socket's incoming side: framed messages, and the fds that came with them, in order."""

    def __init__(self, ctl: socket.socket) -> None:
        self.ctl = ctl
        self.buf = bytearray()
        self.messages: list[bytearray] = []
        self.fds: list[int] = []

    def read(self) -> None:
        """Read what arrived (EOFError when the socket closed)."""
        data, fds, _, _ = socket.recv_fds(self.ctl, 1 << 16, 64)
        if not data:
            raise EOFError("the parent closed the control socket")
        self.buf += data
        self.messages += take_frames(self.buf)
        self.fds.extend(fds)

    def next(self) -> bytearray | None:
        """The next whole message read so far, if any."""
        return self.messages.pop(0) if self.messages else None

    def next_blocking(self) -> bytearray:
        while (body := self.next()) is None:
            self.read()
        return body
