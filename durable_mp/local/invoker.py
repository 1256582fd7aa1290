"""Running handlers: the invocation event (contract 2), one thread per invocation, and outcome capture.

A durable handler is called as `handler.durable_invoke(event, lambda_context, service_client)` and
returns the output dict; a plain function as `fn(payload, lambda_context)`. Both run on a fresh daemon
thread, so a handler that overruns its invocation timeout can be abandoned (its checkpoint token is
revoked and it dies on its next checkpoint) while the service goes on.
"""

from __future__ import annotations

import builtins
import json
import threading
import traceback
from collections.abc import Callable
from typing import Any

from durable_mp.local.executions import Execution

PAGE_SIZE = 1000
_OUTPUT_STATUSES = ("SUCCEEDED", "FAILED", "PENDING")


def invocation_event(ex: Execution, token: str) -> dict[str, Any]:
    """The invocation input event: ARN, a fresh token, the first page of operations, and the ids of the
    operations the service changed since the previous event was built (UpdatedOperationIds)."""
    ops = list(ex.ops.values())
    page = ops[:PAGE_SIZE] if len(ops) > PAGE_SIZE else ops
    return {
        "DurableExecutionArn": ex.arn,
        "CheckpointToken": token,
        "InitialExecutionState": {
            "Operations": page,
            "NextMarker": str(PAGE_SIZE) if len(ops) > PAGE_SIZE else "",
        },
        "UpdatedOperationIds": ex.take_updated(),
    }


def error_object(exc: BaseException) -> dict[str, Any]:
    """ErrorObject for an exception: builtin types unqualified, others `module.QualName`."""
    cls = type(exc)
    name = (
        cls.__qualname__
        if getattr(builtins, cls.__name__, None) is cls
        else f"{cls.__module__}.{cls.__qualname__}"
    )
    return {
        "ErrorType": name,
        "ErrorMessage": str(exc),
        "StackTrace": [line.rstrip("\n") for line in traceback.format_tb(exc.__traceback__)],
    }


def check_output(output: Any) -> str | None:
    """None when `output` is a valid invocation output dict, else what is wrong with it."""
    if not isinstance(output, dict):
        return f"the handler returned {type(output).__name__}, not an invocation output dict"
    status = output.get("Status")
    if status not in _OUTPUT_STATUSES:
        return f"the handler's output has Status {status!r}; expected SUCCEEDED, FAILED or PENDING"
    result = output.get("Result")
    if status == "SUCCEEDED" and result is not None and not isinstance(result, str):
        return "the handler's output Result must be a JSON string"
    if status == "FAILED" and not isinstance(output.get("Error", {}), dict):
        return "the handler's output Error must be an ErrorObject dict"
    return None


def call_plain(
    fn: Callable[..., Any], payload: str | None, context: Any
) -> tuple[str | None, dict[str, Any] | None]:
    """Call a non-durable function once: (JSON result, None) or (None, error object)."""
    try:
        event = json.loads(payload) if payload else {}
        return json.dumps(fn(event, context)), None
    except Exception as exc:  # noqa: BLE001 - the function's failure is its invoke's outcome
        return None, error_object(exc)


def spawn(target: Callable[[], None], name: str) -> None:
    threading.Thread(target=target, name=name, daemon=True).start()
