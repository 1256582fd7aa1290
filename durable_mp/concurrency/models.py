"""The official SDK's `concurrency.models` names, for code ported from it."""

from durable_mp.concurrency.batch import BatchCompletionError, BatchItem, BatchResult
from durable_mp.concurrency.policy import CompletionPolicy, CompletionReason

__all__ = ["BatchCompletionError", "BatchItem", "BatchResult", "CompletionPolicy", "CompletionReason"]
