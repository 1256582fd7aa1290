"""durable-mp: durable functions for AWS Lambda in Python, with map and parallel on a process pool.

Layout (see docs/architecture.md): the modules a user imports are this package, `config`, `retries`,
`waits`, `serdes`, `exceptions`, `types`, `replay_safe`, `logger` and `testing`. Everything else
(`wire`, `ids`, `state/`, `operations/`, `concurrency/`, `service/`, `local/`) is internal. This
module re-exports the public API under the official SDK's names, so a handler ports by changing its
imports from `aws_durable_execution_sdk_python` to `durable_mp`.
"""

from durable_mp.__about__ import __version__
from durable_mp.concurrency.batch import BatchCompletionError, BatchItem, BatchResult
from durable_mp.concurrency.coordinator import add_progress_hook, remove_progress_hook
from durable_mp.concurrency.policy import CompletionReason
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
from durable_mp.execution import durable_execution
from durable_mp.operations.saga import CompensationFailure, CompensationOutcome, durable_saga
from durable_mp.planning import MapPlan, OperationBudgetError, plan_map
from durable_mp.retries import WithRetryConfig, with_retry
from durable_mp.termination import TerminationManager
from durable_mp.types import CallbackId, ExecutionArn, OperationId, StepContext

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
