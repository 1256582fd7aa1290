"""invoke: start another durable function (a chained invoke) and suspend until it finishes."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from durable_mp.config import InvokeConfig
from durable_mp.exceptions import InvokeError, ValidationError, operation_error_from_error_object
from durable_mp.operations.suspend import suspend
from durable_mp.plugins.calls import propagation_trace_id
from durable_mp.serdes import JsonSerDes, deserialize, serialize
from durable_mp.wire import CHAINED_INVOKE, START, SUCCEEDED

if TYPE_CHECKING:
    from durable_mp.context import DurableContext

_JSON: JsonSerDes[Any] = JsonSerDes()


def run_invoke(
    ctx: DurableContext,
    function_name: str,
    payload: Any,
    name: str | None,
    config: InvokeConfig[Any, Any] | None,
) -> Any:
    if not function_name or not isinstance(function_name, str):
        raise ValidationError(f"invoke needs a function name, got {function_name!r}")
    config = config or InvokeConfig()
    ref = ctx._allocate(CHAINED_INVOKE, "ChainedInvoke", name)
    op = ctx._begin(ref)
    arn = ctx.state.execution_arn
    try:
        if op is None:
            options: dict[str, Any] = {"FunctionName": function_name}
            if config.tenant_id is not None:
                options["TenantId"] = config.tenant_id
            trace_id = propagation_trace_id(ctx.state, ref, function_name)
            if trace_id is not None:
                options["XAmznTraceId"] = trace_id
            body = serialize(config.serdes_payload or _JSON, payload, ref.id, arn)
            ctx.state.checkpointer.submit(
                ref.update(START, payload=body, ChainedInvokeOptions=options), sync=True
            )
            op = ctx.state.replay.get(ref.id)  # the service may have answered at once
        if op is not None and op.status == SUCCEEDED:
            return (
                None
                if op.result is None
                else deserialize(config.serdes_result or _JSON, op.result, ref.id, arn)
            )
        if op is not None and op.is_terminal:
            raise operation_error_from_error_object(
                op.error or {"ErrorMessage": f"invoke {op.status}"}, InvokeError
            )
        suspend(f"invoke of {function_name} has not finished", operation_id=ref.id)
    finally:
        ctx._finish(op)
