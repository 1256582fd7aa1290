"""UpdatedOperationIds: each invocation event lists the operations the service changed since the previous
event was built (a wait that ended, a retry that came due, a callback or chained invoke that completed),
never the handler's own checkpoints, each once."""

from __future__ import annotations

import time
from typing import Any

from durable_mp import DurableContext, StepContext, durable_execution
from durable_mp.config import Duration, StepConfig
from durable_mp.local import LocalDurableService
from durable_mp.local.executions import Execution
from durable_mp.local.stores.sqlite import SqliteStore
from durable_mp.retries import RetryStrategyConfig, create_retry_strategy

from .conftest import history

RETRY_ONCE = StepConfig(
    retry_strategy=create_retry_strategy(
        RetryStrategyConfig(max_attempts=2, initial_delay=Duration.from_seconds(1))
    )
)


class Spy:
    """A durable handler that records each invocation's UpdatedOperationIds and the operation names."""

    def __init__(self, handler: Any) -> None:
        self.handler = handler
        self.seen: list[list[str]] = []
        self.names: dict[str, str] = {}

    def durable_invoke(self, event: dict[str, Any], context: Any, client: Any) -> Any:
        self.seen.append(list(event["UpdatedOperationIds"]))
        output = self.handler.durable_invoke(event, context, client)
        return output

    def named(self, svc: LocalDurableService, arn: str) -> list[list[str]]:
        names = {e["Id"]: e.get("Name") for e in history(svc, arn) if "Id" in e}
        return [[names[i] for i in ids] for ids in self.seen]


def _flaky(step_context: StepContext) -> str:
    if step_context.attempt < 2:
        raise ValueError("first attempt fails")
    return "ok"


@durable_execution
def _target(event: Any, context: DurableContext) -> Any:
    return event


@durable_execution
def _handler(event: Any, context: DurableContext) -> Any:
    context.step(_flaky, name="flaky", config=RETRY_ONCE)
    context.step(lambda s: 1, name="own")
    context.wait(Duration.from_seconds(5), name="pause")
    context.invoke("target", {"a": 1}, name="call")
    return context.wait_for_callback(lambda callback_id, ctx: None, name="approve")


def _callback_id(svc: LocalDurableService, arn: str) -> str:
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        for event in history(svc, arn):
            if event["EventType"] == "CallbackStarted":
                return str(event["CallbackStartedDetails"]["CallbackId"])
        time.sleep(0.01)
    raise AssertionError("no callback was created")


def test_each_event_lists_what_the_service_changed_since_the_last(svc: LocalDurableService) -> None:
    spy = Spy(_handler)
    svc.register_durable_function("target", _target)
    svc.register_durable_function("main", spy)
    arn = svc.start_execution("main", "{}")
    svc.send_durable_execution_callback_success(CallbackId=_callback_id(svc, arn), Result='"yes"')
    out = svc.wait_for_execution(arn, timeout=10)
    assert out["Status"] == "SUCCEEDED", out
    assert spy.named(svc, arn) == [
        [],  # the first invocation
        ["flaky"],  # its retry came due (READY); the handler's own step "own" is not listed
        ["pause"],
        ["call"],
        ["approve create callback id"],  # sent during the invocation that created it, or after
    ]


def test_the_list_survives_a_sqlite_row() -> None:
    ex = Execution("arn:x/durable-execution/n/i", "n", "fn", "arn:fn", "{}", 0, 60)
    ex.note_updated([{"Id": "b"}, {"Id": "a"}, {"Id": "b"}])
    back = SqliteStore._header(ex.arn, SqliteStore._row(ex))
    assert back.take_updated() == ["b", "a"] and back.take_updated() == []
