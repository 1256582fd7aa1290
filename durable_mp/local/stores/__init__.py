"""Where the local service keeps executions: `MemoryStore` (default) or `SqliteStore` (durable)."""

from durable_mp.local.stores.base import ExecutionStore
from durable_mp.local.stores.memory import MemoryStore
from durable_mp.local.stores.sqlite import SqliteStore

__all__ = ["ExecutionStore", "MemoryStore", "SqliteStore"]
