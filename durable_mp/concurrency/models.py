"""The official SDK's `concurrency.models` names, for code ported from it.

`CompletionPolicy` here is the official one: the criteria of a CompletionConfig as pure functions of the
counts (`durable_mp.concurrency.policy.CompletionRules`); the coordinator's stateful tracker built on it
is `durable_mp.concurrency.policy.CompletionPolicy`.
"""

from durable_mp.concurrency.batch import BatchCompletionError, BatchItem, BatchResult
from durable_mp.concurrency.policy import CompletionReason
from durable_mp.concurrency.policy import CompletionRules as CompletionPolicy
from durable_mp.config import BatchItemStatus

__all__ = [
    "BatchCompletionError",
    "BatchItem",
    "BatchItemStatus",
    "BatchResult",
    "CompletionPolicy",
    "CompletionReason",
]
