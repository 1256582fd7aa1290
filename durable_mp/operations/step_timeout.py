"""Step timeouts (durable-mp): end a step attempt that runs longer than `StepConfig.timeout`.

Where the step runs decides how:

- In a worker process (a step inside a process-executed map item or parallel branch), the checkpointer
  is the worker's channel sink, which has `arm_step_deadline`: before the body runs, the worker tells
  the parent the step's deadline and the update to record if it passes (the RETRY or FAIL the retry
  strategy chose for a `StepTimeoutError`, decided in advance because the strategy lives in the
  worker). At the deadline the parent kills the worker (SIGKILL), records that update, and runs the
  item again on a fresh worker, which replays up to the step. Nothing of the killed attempt survives:
  its process is gone, and no message from its task is read after the kill.
- In the handler's own process (the root context, inline and thread branches) a thread cannot be
  killed: the body runs in a daemon thread, the attempt ends at the deadline with `StepTimeoutError`,
  and the body keeps running in the background until it returns on its own; its result (or error) is
  discarded and it can write no checkpoint (a step body has no durable operations).
"""

from __future__ import annotations

import contextvars
import threading
from collections.abc import Callable
from typing import Any

from durable_mp.exceptions import StepTimeoutError
from durable_mp.types import StepContext
from durable_mp.wire import OpRef


def timeout_error(ref: OpRef, attempt: int, seconds: int) -> StepTimeoutError:
    return StepTimeoutError(
        f"step {ref.name or ref.id} attempt {attempt} did not finish within its timeout of {seconds} s"
    )


def call_with_timeout(
    func: Callable[[StepContext], Any],
    step_context: StepContext,
    seconds: int,
    error: StepTimeoutError,
    sink: Any,
    ref: OpRef,
    on_timeout: Callable[[StepTimeoutError], dict[str, Any]],
) -> Any:
    """Run one attempt of a step under its timeout; raise `error` if it overruns (see the module doc).

    `on_timeout(error)` builds the update the parent records when it kills a worker at the deadline."""
    arm = getattr(sink, "arm_step_deadline", None)
    if arm is not None:
        arm(ref.id, seconds, on_timeout(error))
        return func(step_context)
    return _in_daemon_thread(func, step_context, seconds, error, ref)


def _in_daemon_thread(
    func: Callable[[StepContext], Any],
    step_context: StepContext,
    seconds: int,
    error: StepTimeoutError,
    ref: OpRef,
) -> Any:
    done = threading.Event()
    box: list[Any] = []

    def body() -> None:
        try:
            box.append((True, func(step_context)))
        except BaseException as exc:  # noqa: BLE001 - handed back to the step's thread
            box.append((False, exc))
        finally:
            done.set()

    run = contextvars.copy_context().run
    threading.Thread(
        target=run, args=(body,), name=f"durable-mp-step-{ref.name or ref.id[:12]}", daemon=True
    ).start()
    if not done.wait(seconds):
        raise error
    ok, value = box[0]
    if ok:
        return value
    raise value
