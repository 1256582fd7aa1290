"""Process isolation: each invocation of a durable function in its own OS process (opt-in).

`LocalDurableService(isolation="process")` registers every durable handler as an `IsolatedHandler`:
its `durable_invoke` (contract 2) hands the invocation to an invocation process (`python -P -m
durable_mp.local.isolated_child`), as Lambda hands it to an execution environment, and serves the
process's checkpoint and state calls over a private socketpair of JSON frames (frames.py) from the
invocation's thread, with the service's own in-process client. Nothing pickled crosses it. The handler
travels by reference: `package.module:attr` or `path/to/file.py:attr`, imported in the process (once) with
the service's `sys.path`. As Lambda reuses warm environments, a process whose invocation ended normally
waits for the next invocation of the same function (at most `MAX_WARM` wait per function; module state
survives between them, as on Lambda); one that crashed or overran is discarded. A cold start costs about
0.2-0.3 s (the interpreter and the SDK's imports), a warm invocation a few ms more than one on a thread
(`python -m loadtests.bench_isolation`).

What the service sees, as on Lambda:
- the process exits without an output frame (SIGKILL, `os._exit`, a segfault): `RuntimeExited`, recorded
  as a `Runtime.ExitError` InvocationCompleted and re-invoked after the service's back-off;
- the invocation overruns its timeout: the service records `Sandbox.Timedout` (invocations.py) and the
  process is killed `KILL_GRACE_S` later, if it has not ended (`InvocationTimedOut`: recorded as the
  same `Sandbox.Timedout` if the service's own timer has not fired by then);
- `durable_invoke` raises in the process: `Runtime.ExitError` too, with the exception's text.

The per-function concurrency cap (`ServiceLimits.max_function_concurrency`) counts invocations in flight,
so it bounds these processes too. `close()` kills the processes still running (the service's close).
"""

from __future__ import annotations

import importlib
import importlib.util
import os
import signal
import socket
import subprocess
import sys
import threading
import time
from typing import Any

from durable_mp.local import frames
from durable_mp.references import reference_of, resolve_attribute
from durable_mp.service.client import as_service_error

ISOLATIONS = ("thread", "process")
KILL_GRACE_S = 0.05  # after the invocation's deadline, before its process is killed
MAX_WARM = 8  # idle invocation processes kept per function, as Lambda keeps environments warm
CHILD_MODULE = "durable_mp.local.isolated_child"
_PACKAGE_ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


class RuntimeExited(Exception):
    """The invocation's process ended without returning an output (Lambda: Runtime.ExitError)."""

    error_type = "Runtime.ExitError"


class InvocationTimedOut(RuntimeExited):
    """The invocation's process was killed at its deadline (Lambda: Sandbox.Timedout)."""

    timed_out = True  # invocations.py records it as the service's own timeout


class IsolationError(ValueError):
    """A handler that cannot run in its own process (no importable reference)."""


def resolve_handler(reference: str) -> Any:
    """The object `package.module:attr` or `path/to/file.py:attr` names (attr may be dotted)."""
    target, sep, attr = reference.rpartition(":")
    if not sep or not target or not attr:
        raise IsolationError(f"{reference!r} is not MODULE:ATTR or FILE.py:ATTR")
    if target.endswith(".py"):
        path = os.path.abspath(target)
        name = os.path.splitext(os.path.basename(path))[0]
        module = sys.modules.get(name)
        if module is None or os.path.abspath(getattr(module, "__file__", "") or "") != path:
            folder = os.path.dirname(path)
            if folder not in sys.path:
                sys.path.insert(0, folder)
            spec = importlib.util.spec_from_file_location(name, path)
            if spec is None or spec.loader is None:
                raise IsolationError(f"cannot load {path}")
            module = importlib.util.module_from_spec(spec)
            sys.modules[name] = module
            spec.loader.exec_module(module)
    else:
        module = importlib.import_module(target)
    return resolve_attribute(module, attr)


def handler_reference(name: str, handler: Any, reference: str | None = None) -> str:
    """The reference an isolated invocation imports `handler` by: `reference` checked, else the handler's
    `module:qualname`; IsolationError (before anything runs) when it does not import back to `handler`."""
    if reference is None:
        reference, problem = reference_of(handler)
        if reference is None:
            raise IsolationError(
                f"{name}: isolation='process' imports the handler in each invocation's process, but "
                f"{getattr(handler, '__qualname__', handler)!r} has no importable reference: {problem}. Define "
                "it at module level in an importable module, or pass reference='package.module:attr' (or "
                "'file.py:attr')."
            )
    try:
        found = _loaded(reference, handler)
        if found is None:
            found = resolve_handler(reference)
    except Exception as exc:  # noqa: BLE001 - any import failure means it cannot be isolated
        raise IsolationError(
            f"{name}: the handler reference {reference!r} does not import ({type(exc).__name__}: {exc})"
        ) from None
    if found is not handler:
        raise IsolationError(f"{name}: {reference!r} names another object than the handler registered")
    return reference


def _loaded(reference: str, handler: Any) -> Any:
    """For `file.py:attr` naming the file `handler`'s module was loaded from (under any module name): the
    object it names, without loading the file again here; else None."""
    target, _, attr = reference.rpartition(":")
    module = sys.modules.get(getattr(handler, "__module__", "") or "")
    if not target.endswith(".py") or module is None:
        return None
    if os.path.abspath(getattr(module, "__file__", "") or "") != os.path.abspath(target):
        return None
    obj: Any = module
    for part in attr.split("."):
        obj = getattr(obj, part)
    return obj


def _exit_text(code: int) -> str:
    if code < 0:
        try:
            sig = signal.Signals(-code).name
        except ValueError:
            sig = str(-code)
        return "signal: killed" if sig == "SIGKILL" else f"signal: {sig}"
    return f"exit status {code}"


class _Environment:
    """One invocation process and this end of its channel."""

    __slots__ = ("invocations", "proc", "sock")

    def __init__(self, proc: subprocess.Popen[bytes], sock: socket.socket) -> None:
        self.proc, self.sock, self.invocations = proc, sock, 0


class IsolatedHandler:
    """A durable handler whose every invocation runs in an invocation process of its own (see the module
    docstring); up to `max_warm` processes that ended an invocation normally wait, warm, for the next."""

    def __init__(self, reference: str, *, max_warm: int = MAX_WARM, memory_limit_in_mb: int = 1769) -> None:
        self.reference = reference
        self.max_warm = max_warm
        self.memory_limit_in_mb = memory_limit_in_mb
        self.started = 0  # processes started (cold starts), for tests and benchmarks
        self._live: set[_Environment] = set()
        self._warm: list[_Environment] = []
        self._lock = threading.Lock()
        self._closed = False

    def __repr__(self) -> str:
        return f"IsolatedHandler({self.reference!r})"

    def durable_invoke(self, event: dict[str, Any], lambda_context: Any, client: Any) -> dict[str, Any]:
        remaining = lambda_context.get_remaining_time_in_millis() / 1000
        deadline = time.monotonic() + remaining + KILL_GRACE_S
        env = self._take()
        ended = False
        try:
            try:
                env.sock.settimeout(None)
                frames.send(env.sock, self._start_frame(event, lambda_context, remaining))
            except OSError:  # a warm process that died while it waited: start a fresh one
                self._discard(env)
                env = self._spawn()
                frames.send(env.sock, self._start_frame(event, lambda_context, remaining))
            env.invocations += 1
            output = self._serve(env.sock, env.proc, client, deadline)
            ended = True
            return output
        finally:
            if not (ended and self._keep(env)):
                self._discard(env)

    def _take(self) -> _Environment:
        with self._lock:
            while self._warm:
                env = self._warm.pop()
                if env.proc.poll() is None:
                    return env
                self._live.discard(env)
                env.sock.close()
        return self._spawn()

    def _spawn(self) -> _Environment:
        ours, theirs = socket.socketpair()
        env = dict(os.environ)
        env["PYTHONPATH"] = os.pathsep.join(p for p in (_PACKAGE_ROOT, env.get("PYTHONPATH")) if p)
        try:
            with self._lock:
                if self._closed:
                    ours.close()
                    raise RuntimeExited("the local service is closed")
                try:
                    proc = subprocess.Popen(
                        [sys.executable, "-P", "-u", "-m", CHILD_MODULE, str(theirs.fileno())],
                        pass_fds=(theirs.fileno(),),
                        env=env,
                    )
                except BaseException:
                    ours.close()
                    raise
                environment = _Environment(proc, ours)
                self._live.add(environment)
                self.started += 1
        finally:
            theirs.close()
        return environment

    def _keep(self, env: _Environment) -> bool:
        with self._lock:
            if self._closed or len(self._warm) >= self.max_warm:
                return False
            self._warm.append(env)
            return True

    def _discard(self, env: _Environment) -> None:
        env.sock.close()
        if env.proc.poll() is None:
            env.proc.kill()
        env.proc.wait()
        with self._lock:
            self._live.discard(env)

    def _start_frame(self, event: dict[str, Any], ctx: Any, remaining: float) -> dict[str, Any]:
        return {
            "reference": self.reference,
            "sys_path": sys.path,
            "event": event,
            "context": {
                "request_id": ctx.aws_request_id,
                "function_name": ctx.function_name,
                "function_arn": ctx.invoked_function_arn,
                "deadline": time.time() + remaining,
                "memory_limit_in_mb": getattr(ctx, "memory_limit_in_mb", self.memory_limit_in_mb),
                "tenant_id": getattr(ctx, "tenant_id", None),
            },
        }

    def _serve(
        self, sock: socket.socket, proc: subprocess.Popen[bytes], client: Any, deadline: float
    ) -> dict[str, Any]:
        while True:
            left = deadline - time.monotonic()
            if left <= 0:
                proc.kill()
                raise InvocationTimedOut(f"killed after overrunning the invocation timeout (pid {proc.pid})")
            sock.settimeout(left)
            try:
                msg = frames.recv(sock)
            except TimeoutError:
                continue
            if msg is None:
                raise RuntimeExited(f"{_exit_text(proc.wait())} (pid {proc.pid})")
            if "output" in msg:
                return msg["output"]  # type: ignore[no-any-return]
            if "raised" in msg:
                raise RuntimeExited(f"{msg['raised']} (pid {proc.pid})")
            frames.send(sock, self._answer(client, msg["call"], msg["args"]))

    @staticmethod
    def _answer(client: Any, call: str, args: list[Any]) -> dict[str, Any]:
        try:
            if call == "checkpoint":
                return {"ok": client.checkpoint(*args)}
            if call == "get_execution_state":
                return {"ok": client.get_execution_state(*args)}
            raise ValueError(f"unknown call {call!r}")
        except Exception as exc:  # noqa: BLE001 - the service's answer, sent back as the error it is
            err = as_service_error(exc)
            return {
                "error": {
                    "code": err.code,
                    "message": err.message,
                    "status": err.status,
                    "retriable": err.retriable,
                }
            }

    def close(self) -> None:
        """Kill the invocation processes, running or warm (the service is closing)."""
        with self._lock:
            self._closed = True
            live = list(self._live)
            self._warm.clear()
        for env in live:
            if env.proc.poll() is None:
                env.proc.kill()
        for env in live:
            env.proc.wait()
            env.sock.close()
