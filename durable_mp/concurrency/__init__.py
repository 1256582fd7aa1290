"""Map and parallel: the batch result (`batch`), the completion policy (`policy`), the coordinator that
runs items under `max_concurrency` (`coordinator`) and the executors it runs them on (`executors`).

`models` re-exports the result types under the official SDK's module name.
"""
