"""ServiceLimits: the quotas the local service enforces, and what each execution has used of them.

Defaults are the Lambda durable functions quotas (in bytes, 1 KB = 1,024 and 1 MB = 1,048,576, the units
Lambda's own error messages use, e.g. "6291456 bytes" for 6 MB):

| field                       | default      | what                                                         |
|-----------------------------|--------------|--------------------------------------------------------------|
| max_operations              | 3,000        | operations per execution (distinct operation ids, the        |
|                             |              | EXECUTION operation included)                                |
| count_retries               | False        | True: also count each step retry and wait_for_condition poll |
|                             |              | (every STEP RETRY), the stricter metered reading             |
| max_payload_bytes_written   | 104,857,600  | 100 MB of payload written per execution, cumulative: the     |
|                             |              | input, then every Payload and Error a checkpoint writes      |
| max_operation_payload_bytes | 262,144      | 256 KB per operation payload                                 |
| max_request_bytes           | 768,000      | 750 KB of payloads per checkpoint request                    |
| max_request_updates         | 250          | updates per checkpoint request                               |
| max_response_bytes          | 6,291,456    | 6 MB invocation response: a larger handler result must go    |
|                             |              | through an EXECUTION SUCCEED checkpoint                      |
| max_sync_input_bytes        | 6,291,456    | 6 MB input of a RequestResponse invoke                       |
| max_async_input_bytes       | 262,144      | 256 KB input of an Event invoke (the durable input limit)    |
| max_function_concurrency    | 1,000        | invocations of one function running at once (Lambda's        |
|                             |              | default account concurrency); more wait their turn, in order |

A checkpoint that would cross a limit is rejected whole (InvalidParameterValueException naming the limit
and the numbers); nothing of it is applied. `Usage` is kept per execution at run time (rebuilt from the
stored operations and history when an execution is read back) and is what `usage(arn)` reports.
"""

from __future__ import annotations

import dataclasses
import json
from dataclasses import dataclass
from typing import TYPE_CHECKING

from durable_mp.local.errors import invalid

if TYPE_CHECKING:
    from durable_mp.local.executions import Execution

KB = 1024
MB = 1024 * 1024


@dataclass(frozen=True, slots=True)
class ServiceLimits:
    max_operations: int = 3_000
    count_retries: bool = False
    max_payload_bytes_written: int = 100 * MB
    max_operation_payload_bytes: int = 256 * KB
    max_request_bytes: int = 750 * KB
    max_request_updates: int = 250
    max_response_bytes: int = 6 * MB
    max_sync_input_bytes: int = 6 * MB
    max_async_input_bytes: int = 256 * KB
    max_function_concurrency: int = 1_000

    def __post_init__(self) -> None:
        for f in dataclasses.fields(self):
            value = getattr(self, f.name)
            if f.name == "count_retries":
                if not isinstance(value, bool):
                    raise TypeError(f"ServiceLimits.count_retries must be a bool, got {value!r}")
            elif type(value) is not int or value < 1:
                raise ValueError(f"ServiceLimits.{f.name} must be a positive integer, got {value!r}")


@dataclass(slots=True)
class Usage:
    """What one execution has used: distinct operations, step retries, payload bytes written."""

    operations: int = 0
    retries: int = 0
    payload_bytes: int = 0

    def metered(self, limits: ServiceLimits) -> int:
        return self.operations + (self.retries if limits.count_retries else 0)

    def as_dict(self, limits: ServiceLimits) -> dict[str, int]:
        return {
            "Operations": self.operations,
            "MeteredOperations": self.operations + self.retries,
            "PayloadBytesWritten": self.payload_bytes,
            "MaxOperations": limits.max_operations,
            "MaxPayloadBytesWritten": limits.max_payload_bytes_written,
        }


def utf8_len(text: str) -> int:
    return len(text) if text.isascii() else len(text.encode("utf-8", "surrogatepass"))


_WRITTEN_BY_CHECKPOINTS = ("Step", "Context", "ChainedInvokeStarted", "WaitCancelled")


def rebuild(ex: Execution) -> Usage:
    """The usage of an execution read back from a store, from its operations and history: the same
    count a running service keeps (checkpointed payloads and errors are all in the history)."""
    usage = Usage(operations=len(ex.ops), payload_bytes=utf8_len(ex.input_payload))
    for event in ex.events:
        etype = event["EventType"]
        if not etype.startswith(_WRITTEN_BY_CHECKPOINTS):
            continue
        details = event.get(etype + "Details") or {}
        retry = details.get("RetryDetails")
        if retry and "NextAttemptDelaySeconds" in retry:
            usage.retries += 1
        wrapped = details.get("Result") or details.get("Input")
        if isinstance(wrapped, dict) and isinstance(wrapped.get("Payload"), str):
            usage.payload_bytes += utf8_len(wrapped["Payload"])
        error = details.get("Error")
        if isinstance(error, dict) and isinstance(error.get("Payload"), dict):
            usage.payload_bytes += len(json.dumps(error["Payload"]))
    if ex.checkpointed_result is not None:
        usage.payload_bytes += utf8_len(ex.checkpointed_result)
    if ex.checkpointed_error is not None:
        usage.payload_bytes += len(json.dumps(ex.checkpointed_error))
    return usage


def check_batch(
    limits: ServiceLimits, usage: Usage, new_ids: int, retries: int, written: int
) -> tuple[int, int, int]:
    """Reject a checkpoint that would take the execution past its operation or payload quota;
    returns the usage after it (operations, retries, payload bytes)."""
    operations = usage.operations + new_ids
    total_retries = usage.retries + retries
    metered = operations + (total_retries if limits.count_retries else 0)
    if metered > limits.max_operations:
        what = "metered operations (retries and polls included)" if limits.count_retries else "operations"
        raise invalid(
            f"execution would have {metered:,} {what}; the limit is {limits.max_operations:,} per "
            "execution. Batch work into fewer operations or fan out to child executions (chained invoke)."
        )
    payload = usage.payload_bytes + written
    if payload > limits.max_payload_bytes_written:
        raise invalid(
            f"execution would have written {payload:,} bytes of payload; the limit is "
            f"{limits.max_payload_bytes_written:,} bytes per execution. Store large data elsewhere and "
            "checkpoint a reference."
        )
    return operations, total_retries, payload
