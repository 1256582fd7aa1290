"""The local durable execution service: an in-process emulator of the Lambda durable execution service.

`LocalDurableService` is the facade (contract 3); `stores` holds where executions are kept.
"""

from durable_mp.local.service import LocalDurableService
from durable_mp.local.stores import ExecutionStore, MemoryStore, SqliteStore

__all__ = ["ExecutionStore", "LocalDurableService", "MemoryStore", "SqliteStore"]
