"""durable-mp: durable functions for AWS Lambda in Python, with map and parallel on a process pool.

Layout (see docs/architecture.md): the modules a user imports are this package, `config`, `retries`,
`waits`, `serdes`, `exceptions`, `types`, `replay_safe`, `logger` and `testing`. Everything else
(`wire`, `ids`, `state/`, `operations/`, `concurrency/`, `service/`, `local/`) is internal. This
module re-exports the public API under the official SDK's names, so a handler ports by changing its
imports from `aws_durable_execution_sdk_python` to `durable_mp`.

The names are imported on first use (module `__getattr__`): `import durable_mp` costs almost nothing, and a
worker process that imports `durable_mp.concurrency.worker_entry` does not pay for the handler side.
`from durable_mp import *` and every `from durable_mp import Name` work as before.
"""

from __future__ import annotations

from importlib import import_module
from typing import TYPE_CHECKING, Any

from durable_mp.__about__ import __version__

if TYPE_CHECKING:  # the same names, eagerly, for type checkers and IDEs
    from durable_mp.concurrency.batch import (
        BatchCompletionError,
        BatchItem,
        BatchResult,
    )
    from durable_mp.concurrency.coordinator import (
        add_progress_hook,
        remove_progress_hook,
    )
    from durable_mp.concurrency.policy import (
        CompletionReason,
    )
    from durable_mp.config import (
        BatchItemStatus,
        CompletionConfig,
        CompletionDecision,
        CompletionItemStatus,
        CompletionOutcome,
        CompletionStatus,
        Duration,
        ParallelBranch,
        complete_batch,
        continue_batch,
    )
    from durable_mp.context import (
        DurableContext,
        durable_parallel_branch,
        durable_step,
        durable_wait_for_callback,
        durable_with_child_context,
    )
    from durable_mp.exceptions import (
        CallbackError,
        CallbackExternalError,
        CallbackSubmitterError,
        CallbackTimeoutError,
        ChildContextError,
        CompensationError,
        DurableExecutionsError,
        DurableOperationError,
        ExecutionError,
        InvocationError,
        InvokeError,
        PluginLoadError,
        RetryableSerDesError,
        SagaError,
        SerDesError,
        StepError,
        StepTimeoutError,
        ValidationError,
        WaitForConditionError,
        WorkerCrashed,
    )
    from durable_mp.execution import (
        durable_execution,
    )
    from durable_mp.operations.saga import (
        CompensationFailure,
        CompensationOutcome,
        durable_saga,
    )
    from durable_mp.planning import (
        MapPlan,
        OperationBudgetError,
        plan_map,
    )
    from durable_mp.retries import (
        WithRetryConfig,
        with_retry,
    )
    from durable_mp.termination import (
        TerminationManager,
    )
    from durable_mp.types import (
        CallbackId,
        ExecutionArn,
        OperationId,
        StepContext,
    )

_EXPORTS: dict[str, str] = {
    "BatchCompletionError": "durable_mp.concurrency.batch",
    "BatchItem": "durable_mp.concurrency.batch",
    "BatchResult": "durable_mp.concurrency.batch",
    "add_progress_hook": "durable_mp.concurrency.coordinator",
    "remove_progress_hook": "durable_mp.concurrency.coordinator",
    "CompletionReason": "durable_mp.concurrency.policy",
    "BatchItemStatus": "durable_mp.config",
    "CompletionConfig": "durable_mp.config",
    "CompletionDecision": "durable_mp.config",
    "CompletionItemStatus": "durable_mp.config",
    "CompletionOutcome": "durable_mp.config",
    "CompletionStatus": "durable_mp.config",
    "Duration": "durable_mp.config",
    "ParallelBranch": "durable_mp.config",
    "complete_batch": "durable_mp.config",
    "continue_batch": "durable_mp.config",
    "DurableContext": "durable_mp.context",
    "durable_parallel_branch": "durable_mp.context",
    "durable_step": "durable_mp.context",
    "durable_wait_for_callback": "durable_mp.context",
    "durable_with_child_context": "durable_mp.context",
    "CallbackError": "durable_mp.exceptions",
    "CallbackExternalError": "durable_mp.exceptions",
    "CallbackSubmitterError": "durable_mp.exceptions",
    "CallbackTimeoutError": "durable_mp.exceptions",
    "ChildContextError": "durable_mp.exceptions",
    "CompensationError": "durable_mp.exceptions",
    "DurableExecutionsError": "durable_mp.exceptions",
    "DurableOperationError": "durable_mp.exceptions",
    "ExecutionError": "durable_mp.exceptions",
    "InvocationError": "durable_mp.exceptions",
    "InvokeError": "durable_mp.exceptions",
    "PluginLoadError": "durable_mp.exceptions",
    "RetryableSerDesError": "durable_mp.exceptions",
    "SagaError": "durable_mp.exceptions",
    "SerDesError": "durable_mp.exceptions",
    "StepError": "durable_mp.exceptions",
    "StepTimeoutError": "durable_mp.exceptions",
    "ValidationError": "durable_mp.exceptions",
    "WaitForConditionError": "durable_mp.exceptions",
    "WorkerCrashed": "durable_mp.exceptions",
    "durable_execution": "durable_mp.execution",
    "CompensationFailure": "durable_mp.operations.saga",
    "CompensationOutcome": "durable_mp.operations.saga",
    "durable_saga": "durable_mp.operations.saga",
    "MapPlan": "durable_mp.planning",
    "OperationBudgetError": "durable_mp.planning",
    "plan_map": "durable_mp.planning",
    "WithRetryConfig": "durable_mp.retries",
    "with_retry": "durable_mp.retries",
    "TerminationManager": "durable_mp.termination",
    "CallbackId": "durable_mp.types",
    "ExecutionArn": "durable_mp.types",
    "OperationId": "durable_mp.types",
    "StepContext": "durable_mp.types",
}

__all__ = [
    "BatchCompletionError",
    "BatchItem",
    "BatchItemStatus",
    "BatchResult",
    "CallbackError",
    "CallbackExternalError",
    "CallbackId",
    "CallbackSubmitterError",
    "CallbackTimeoutError",
    "ChildContextError",
    "CompensationError",
    "CompensationFailure",
    "CompensationOutcome",
    "CompletionConfig",
    "CompletionDecision",
    "CompletionItemStatus",
    "CompletionOutcome",
    "CompletionReason",
    "CompletionStatus",
    "DurableContext",
    "DurableExecutionsError",
    "DurableOperationError",
    "Duration",
    "ExecutionArn",
    "ExecutionError",
    "InvocationError",
    "InvokeError",
    "MapPlan",
    "OperationBudgetError",
    "OperationId",
    "ParallelBranch",
    "PluginLoadError",
    "RetryableSerDesError",
    "SagaError",
    "SerDesError",
    "StepContext",
    "StepError",
    "StepTimeoutError",
    "TerminationManager",
    "ValidationError",
    "WaitForConditionError",
    "WithRetryConfig",
    "WorkerCrashed",
    "__version__",
    "add_progress_hook",
    "complete_batch",
    "continue_batch",
    "durable_execution",
    "durable_parallel_branch",
    "durable_saga",
    "durable_step",
    "durable_wait_for_callback",
    "durable_with_child_context",
    "plan_map",
    "remove_progress_hook",
    "with_retry",
]


def __getattr__(name: str) -> Any:
    """Import a public name (or a submodule, e.g. `durable_mp.config`) on first use."""
    module = _EXPORTS.get(name)
    if module is not None:
        value = getattr(import_module(module), name)
    elif not name.startswith("__"):
        try:
            value = import_module(f"{__name__}.{name}")
        except ModuleNotFoundError as exc:
            if exc.name != f"{__name__}.{name}":
                raise
            raise AttributeError(f"module {__name__!r} has no attribute {name!r}") from None
    else:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted({*globals(), *__all__})
