"""The local service's shared state, and how its parts reach each other.

`LocalDurableService` (service.py) is the public facade. Its work is done by five collaborators, each
one concern and one module, all sharing one `Core`:

```
 ExecutionBook    book.py         create, find (memory, then store), adopt on resume, finish, list
 CheckpointCalls  checkpoint_calls.py   CheckpointDurableExecution + GetDurableExecutionState, effects
 Callbacks        callbacks.py    callbacks (send, heartbeat, deadlines), waits and step-retry timers
 ChainedInvokes   chained.py      CHAINED_INVOKE: durable child executions and plain function calls
 Invocations      invocations.py  running the handler, crash/retry back-off, timeouts, the deadline
```

One lock (`Core.lock`) guards all of it: every collaborator method whose name does not say otherwise is
called with the lock held. Handlers run outside it, on their own threads.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from durable_mp.local import ids
from durable_mp.local.clock import Clock
from durable_mp.local.errors import invalid, service_error
from durable_mp.local.executions import Execution
from durable_mp.local.lambda_context import LambdaContext
from durable_mp.local.limits import ServiceLimits
from durable_mp.local.stores import ExecutionStore
from durable_mp.local.timers import TimerQueue

if TYPE_CHECKING:
    from durable_mp.local.book import ExecutionBook
    from durable_mp.local.callbacks import Callbacks
    from durable_mp.local.chained import ChainedInvokes
    from durable_mp.local.checkpoint_calls import CheckpointCalls
    from durable_mp.local.invocations import Invocations
    from durable_mp.local.latency import Latency


class Core:
    """Everything the collaborators share: configuration, registries, clock, timers, store, lock."""

    book: ExecutionBook
    checkpoints: CheckpointCalls
    callbacks: Callbacks
    chained: ChainedInvokes
    invocations: Invocations

    def __init__(
        self,
        *,
        store: ExecutionStore,
        skip_time: bool,
        invocation_timeout: float,
        region: str,
        account: str,
        limits: ServiceLimits,
        latency: Latency,
    ) -> None:
        self.lock = threading.Lock()
        self.changed = threading.Condition(self.lock)
        self.clock = Clock(skip=skip_time)
        self.timers = TimerQueue(self.clock, self.lock, self.is_idle, self.timer_failed)
        self.mint = ids.TokenMint()
        self.store = store
        self.invocation_timeout = invocation_timeout
        self.region, self.account = region, account
        self.limits = limits
        self.latency = latency
        self.executions: dict[str, Execution] = {}
        self.callback_index: dict[str, tuple[Execution, str]] = {}  # callback id -> (execution, op id)
        self.durable: dict[str, Any] = {}
        self.plain: dict[str, Callable[..., Any]] = {}
        self.busy = 0  # invocations and plain calls running: nothing is skipped meanwhile
        self.running: dict[str, int] = {}  # function name -> invocations in flight
        self.queued: dict[str, dict[str, Execution]] = {}  # function name -> executions waiting, by ARN
        self.closed = False
        self.timer_errors: list[BaseException] = []
        self.client: Any = None  # the in-process DurableServiceClient handed to handlers

    def is_idle(self) -> bool:
        return self.busy == 0

    def timer_failed(self, exc: BaseException) -> None:
        self.timer_errors.append(exc)

    def check_open(self) -> None:
        if self.closed:
            raise service_error("the local durable execution service is closed")

    def function_arn(self, fn_name: str) -> str:
        return ids.function_arn(fn_name, self.region, self.account)

    def context(self, fn_name: str, request_id: str, tenant_id: str | None) -> LambdaContext:
        return LambdaContext(
            request_id=request_id,
            function_name=fn_name,
            function_arn=self.function_arn(fn_name),
            timeout_s=self.invocation_timeout,
            tenant_id=tenant_id,
        )

    def skippable(self, ex: Execution) -> Callable[[], bool]:
        """Skip to this execution's timers only if no callback may still arrive and its handler is here."""
        return lambda: not ex.callbacks and ex.function_name in self.durable


def function_name(value: Any) -> tuple[str, str | None]:
    """A FunctionName argument -> (name, qualifier), or InvalidParameterValueException."""
    if not isinstance(value, str):
        raise invalid(f"FunctionName must be a string, got {type(value).__name__}")
    try:
        return ids.parse_function_name(value)
    except ValueError as exc:
        raise invalid(str(exc)) from None
