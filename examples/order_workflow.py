"""An order workflow: validate and reserve (steps), wait for the payment window, wait for an approval
callback, then ship.

    durable-mp run examples/order_workflow.py:handler --input '{"order_id": "A-1", "items": ["book", "pen"]}' \
        --execution-name A-1

The run stops at the approval callback (exit status 3) and prints its id (on stdout; the explanation on
stderr); complete it with `durable-mp callback succeed ID --result '"approved"'` (or `'{"approved": true}'`;
anything else rejects the order) and run again with the same `--execution-name` to finish.

An order without "items" is an empty order; an unknown item fails validation at once: a `ValueError`
raised by the step is not retried (its retry strategy retries only RuntimeError).
"""

from __future__ import annotations

import json
from typing import Any

from durable_mp import DurableContext, StepContext, durable_execution, durable_step
from durable_mp.config import CallbackConfig, Duration, StepConfig
from durable_mp.retries import RetryStrategyConfig, create_retry_strategy

PRICES = {"book": 12.5, "pen": 1.25, "lamp": 30.0}
# Bad input (ValueError) cannot succeed on a retry: retry only transient errors (here RuntimeError), 3 tries.
RETRIES = StepConfig(
    retry_strategy=create_retry_strategy(
        RetryStrategyConfig(max_attempts=3, retryable_error_types=[RuntimeError])
    )
)


@durable_step
def validate(step: StepContext, order: dict[str, Any]) -> dict[str, Any]:
    if not order.get("order_id"):
        raise ValueError('the order needs an "order_id"')
    items = order.get("items", [])
    unknown = [item for item in items if item not in PRICES]
    if unknown:
        raise ValueError(f"unknown items: {', '.join(map(str, unknown))}")
    return {"order_id": order["order_id"], "items": items, "total": sum(PRICES[item] for item in items)}


@durable_step
def reserve(step: StepContext, order_id: str, items: list[str]) -> str:
    return f"reservation-{order_id}-{len(items)}"


@durable_step
def ship(step: StepContext, order_id: str, reservation: str) -> str:
    return f"shipment-{order_id}"


def _approved(decision: Any) -> bool:
    """The approval callback's result: "approved" or {"approved": true} approve; anything else rejects."""
    if isinstance(decision, dict):
        return decision.get("approved") is True
    return decision == "approved"


@durable_execution
def handler(event: dict[str, Any], context: DurableContext) -> dict[str, Any]:
    order = context.step(validate(event), config=RETRIES)
    reservation = context.step(reserve(order["order_id"], order["items"]))
    context.wait(Duration.from_minutes(30), name="payment window")
    callback = context.create_callback(name="approval", config=CallbackConfig(timeout=Duration.from_days(1)))
    context.logger.info("waiting for approval", extra={"callback_id": callback.callback_id})
    decision = json.loads(callback.result() or "null")
    if not _approved(decision):
        return {"order_id": order["order_id"], "status": "rejected"}
    shipment = context.step(ship(order["order_id"], reservation))
    return {"order_id": order["order_id"], "status": "shipped", "total": order["total"], "shipment": shipment}
