"""Handlers served by the HTTP emulator in these tests (also loaded by `durable-mp serve` in a subprocess)."""

from __future__ import annotations

import queue
import threading
from typing import Any

from durable_mp import DurableContext, durable_execution
from durable_mp.config import Duration


@durable_execution
def quick(event: dict[str, Any], context: DurableContext) -> dict[str, Any]:
    return {"double": context.step(lambda _: event.get("x", 0) * 2, name="double")}


@durable_execution
def approval(event: dict[str, Any], context: DurableContext) -> dict[str, Any]:
    context.step(lambda _: "prepared", name="prepare")
    callback = context.create_callback(name="approve")
    return {"answer": callback.result()}


@durable_execution
def napper(event: dict[str, Any], context: DurableContext) -> str:
    context.wait(Duration.from_seconds(60), name="nap")
    return context.step(lambda _: f"rested {event.get('i')}", name="wake")


@durable_execution
def failing(event: dict[str, Any], context: DurableContext) -> None:
    context.step(lambda _: 1, name="fine")
    raise ValueError("bad order")


def echo(event: dict[str, Any], context: Any) -> dict[str, Any]:
    return {"echo": event, "function": context.function_name}


@durable_execution
def via_boto(event: dict[str, Any], context: DurableContext) -> dict[str, Any]:
    """Reports whether the SDK's process-wide boto3 client (not the in-process one) did the checkpointing."""
    from durable_mp.service import boto

    total = sum(context.step(lambda _, i=i: i, name=f"s{i}") for i in range(5))
    context.wait(Duration.from_seconds(2), name="pause")
    client = boto._default_client
    return {"total": total, "endpoint": None if client is None else client.meta.endpoint_url}


class Gate:
    """A raw durable handler that hands its invocation (ARN, token) to the test and waits for a verdict."""

    def __init__(self) -> None:
        self.invocations: queue.Queue[dict[str, Any]] = queue.Queue()
        self.verdicts: queue.Queue[dict[str, Any]] = queue.Queue()
        self.lock = threading.Lock()

    def durable_invoke(
        self, event: dict[str, Any], lambda_context: Any, service_client: Any
    ) -> dict[str, Any]:
        self.invocations.put(event)
        return self.verdicts.get(timeout=10)
