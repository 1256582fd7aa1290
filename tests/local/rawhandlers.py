"""Tiny raw-protocol handlers for testing the local service without the SDK.

A `Script` handler runs `body(run)` on every invocation, where `run` gives the invocation's operations by
id, a `checkpoint(updates)` that threads the token, and the event and context. The body returns the
output dict (a `PENDING` helper is provided).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

PENDING = {"Status": "PENDING"}


def ok(result: str | None = None) -> dict[str, Any]:
    out: dict[str, Any] = {"Status": "SUCCEEDED"}
    if result is not None:
        out["Result"] = result
    return out


class Run:
    """One invocation as a handler sees it."""

    def __init__(self, event: dict[str, Any], context: Any, client: Any) -> None:
        self.event = event
        self.context = context
        self.client = client
        self.arn: str = event["DurableExecutionArn"]
        self.token: str | None = event["CheckpointToken"]
        self.ops: dict[str, dict[str, Any]] = {
            op["Id"]: op for op in event["InitialExecutionState"]["Operations"]
        }
        self.responses: list[dict[str, Any]] = []

    def checkpoint(self, *updates: dict[str, Any]) -> dict[str, Any]:
        response = self.client.checkpoint(self.arn, self.token, list(updates))
        self.token = response.get("CheckpointToken")
        for op in response["NewExecutionState"]["Operations"]:
            self.ops[op["Id"]] = op
        self.responses.append(response)
        return response

    def status(self, op_id: str) -> str | None:
        op = self.ops.get(op_id)
        return None if op is None else op["Status"]

    @property
    def input(self) -> str:
        execution = next(op for op in self.ops.values() if op["Type"] == "EXECUTION")
        return execution["ExecutionDetails"]["InputPayload"]


class Script:
    """A durable handler (has `durable_invoke`) driven by `body(run) -> output dict`."""

    def __init__(self, body: Callable[[Run], dict[str, Any]]) -> None:
        self.body = body
        self.invocations: list[Run] = []

    def durable_invoke(self, event: dict[str, Any], context: Any, client: Any) -> dict[str, Any]:
        run = Run(event, context, client)
        self.invocations.append(run)
        return self.body(run)


def step(op_id: str, action: str, **extra: Any) -> dict[str, Any]:
    return {"Id": op_id, "Type": "STEP", "SubType": "Step", "Action": action, **extra}
