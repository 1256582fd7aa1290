"""An order workflow: validate and reserve (steps), wait for the payment window, wait for an approval
callback, then ship.

    durable-mp run examples/order_workflow.py:handler --input '{"order_id": "A-1", "items": ["book", "pen"]}'

The run stops at the approval callback (exit status 3) and prints its id; complete it with
`durable-mp callback succeed ID --result '{"approved": true}'` and run again with the same
`--execution-name` to finish.
"""

from __future__ import annotations

import json
from typing import Any

from durable_mp import DurableContext, StepContext, durable_execution, durable_step
from durable_mp.config import CallbackConfig, Duration

PRICES = {"book": 12.5, "pen": 1.25, "lamp": 30.0}


@durable_step
def validate(step: StepContext, order: dict[str, Any]) -> dict[str, Any]:
    unknown = [item for item in order.get("items", []) if item not in PRICES]
    if unknown:
        raise ValueError(f"unknown items: {', '.join(unknown)}")
    return {"order_id": order["order_id"], "total": sum(PRICES[item] for item in order["items"])}


@durable_step
def reserve(step: StepContext, order_id: str, items: list[str]) -> str:
    return f"reservation-{order_id}-{len(items)}"


@durable_step
def ship(step: StepContext, order_id: str, reservation: str) -> str:
    return f"shipment-{order_id}"


@durable_execution
def handler(event: dict[str, Any], context: DurableContext) -> dict[str, Any]:
    order = context.step(validate(event))
    reservation = context.step(reserve(order["order_id"], event["items"]))
    context.wait(Duration.from_minutes(30), name="payment window")
    callback = context.create_callback(name="approval", config=CallbackConfig(timeout=Duration.from_days(1)))
    context.logger.info("waiting for approval", extra={"callback_id": callback.callback_id})
    decision = json.loads(callback.result() or "{}")
    if not decision.get("approved"):
        return {"order_id": order["order_id"], "status": "rejected"}
    shipment = context.step(ship(order["order_id"], reservation))
    return {"order_id": order["order_id"], "status": "shipped", "total": order["total"], "shipment": shipment}
