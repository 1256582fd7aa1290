"""Which executor a map/parallel gets, and why (the reason is logged and shown by `durable-mp run`).

In order: inside a worker process, nested batches run on threads (a worker does not start workers); then
the batch's `executor=`, the execution's (`durable_execution(executor=...)`), `DURABLE_MP_EXECUTOR`. With
none of them set the default is processes, except on a Lambda whose memory buys about one vCPU
(`AWS_LAMBDA_FUNCTION_MEMORY_SIZE` <= 1,769 MB) when the worker count is automatic (`workers="auto"` or
unset, and no `DURABLE_MP_WORKERS`): one core cannot run two workers at once, so processes would only add
their start and their pipes, and the batch runs on threads. An explicit `executor="processes"` (or a
worker count) still gets processes.
"""

from __future__ import annotations

import os

from durable_mp_workers.sizing import ENV_OVERRIDE, LAMBDA_MB_PER_VCPU

EXECUTOR_ENV = "DURABLE_MP_EXECUTOR"
DEFAULT = "default"  # the reason when nothing chose (processes; a boot bridge too if the count is automatic)
MEMORY_ENV = "AWS_LAMBDA_FUNCTION_MEMORY_SIZE"


def choose_executor(
    configured: str | None, execution_default: str | None, workers: int | str | None
) -> tuple[str, str]:
    """`(executor, reason)` for a batch: its config's executor, the execution's, its `workers=` setting."""
    from durable_mp_workers.channel import in_worker

    if in_worker():
        return ("inline" if configured == "inline" else "threads"), "nested in a worker process"
    if configured:
        return configured, f"executor={configured!r} in the batch's config"
    if execution_default:
        return execution_default, f"executor={execution_default!r} of durable_execution"
    from_env = os.environ.get(EXECUTOR_ENV)
    if from_env:
        return from_env, f"{EXECUTOR_ENV}={from_env}"
    memory = one_vcpu_lambda_memory(workers)
    if memory is not None:
        return "threads", (
            f"auto: Lambda memory {memory} MB buys about one vCPU (<= {LAMBDA_MB_PER_VCPU:,} MB), so worker "
            'processes cannot help; set executor="processes" to use them'
        )
    return "processes", DEFAULT


def automatic_workers(workers: int | str | None) -> bool:
    """Whether nobody chose the worker count (`workers="auto"` or unset, and no DURABLE_MP_WORKERS)."""
    return workers in (None, "auto") and not (os.environ.get(ENV_OVERRIDE) or "").strip()


def one_vcpu_lambda_memory(workers: int | str | None) -> int | None:
    """The Lambda memory size (MB) when it buys at most one vCPU and the worker count is automatic."""
    if not automatic_workers(workers):
        return None
    memory = (os.environ.get(MEMORY_ENV) or "").strip()
    if memory.isdigit() and int(memory) <= LAMBDA_MB_PER_VCPU:
        return int(memory)
    return None
