"""The local durable execution service: an in-process emulator of the Lambda durable execution service.

`LocalDurableService` is the facade (contract 3); `ServiceLimits` the quotas it enforces, `Latency` an
optional delay on handlers' calls; `stores` holds where executions are kept.
"""

from durable_mp.local.latency import Latency
from durable_mp.local.limits import ServiceLimits
from durable_mp.local.service import LocalDurableService
from durable_mp.local.stores import ExecutionStore, MemoryStore, SqliteStore

__all__ = ["ExecutionStore", "Latency", "LocalDurableService", "MemoryStore", "ServiceLimits", "SqliteStore"]
