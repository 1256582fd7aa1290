"""invoke (chained invoke): START with the payload, suspend until the target finishes, success and failure."""

from __future__ import annotations

from typing import Any

from durable_mp import DurableContext, InvokeError, ValidationError, durable_execution
from durable_mp.config import Duration, InvokeConfig
from durable_mp.serdes import SerDes, SerDesContext

from .conftest import Recorded, root_id


@durable_execution
def doubler(event: Any, context: DurableContext) -> Any:
    return context.step(lambda _: event["n"] * 2, name="double")


@durable_execution
def failing_target(event: Any, context: DurableContext) -> Any:
    raise ValueError(f"cannot handle {event['n']}")


def test_invoke_durable_function_returns_its_result(run: Any) -> None:
    @durable_execution
    def handler(event: Any, context: DurableContext) -> Any:
        return context.invoke("doubler", {"n": 21}, name="call")

    r = run(handler, durable={"doubler": doubler})
    assert r.status == "SUCCEEDED"
    assert r.value == 42
    events = r.of(root_id(1))
    assert [e["EventType"] for e in events] == ["ChainedInvokeStarted", "ChainedInvokeSucceeded"]
    started = events[0]
    assert started["Name"] == "call" and started["SubType"] == "ChainedInvoke"
    details = started["ChainedInvokeStartedDetails"]
    assert details["FunctionName"] == "doubler"
    assert details["Input"]["Payload"] == '{"n": 21}'
    assert r.invocations() == 2
    assert r.result.get_invoke("call").result == "42"


def test_invoke_plain_function(run: Any) -> None:
    @durable_execution
    def handler(event: Any, context: DurableContext) -> Any:
        return context.invoke("plain", ["a", "b"])

    r = run(handler, functions={"plain": lambda event, ctx: "-".join(event)})
    assert r.value == "a-b"
    assert "Name" not in r.of(root_id(1))[0]


def test_invoke_target_runs_once_across_replays(run: Any) -> None:
    calls: list[Any] = []

    def target(event: Any, ctx: Any) -> Any:
        calls.append(event)
        return {"echo": event}

    @durable_execution
    def handler(event: Any, context: DurableContext) -> Any:
        first = context.invoke("target", 1, name="i")
        context.wait(Duration.from_seconds(1), name="w")
        return first

    r = run(handler, functions={"target": target})
    assert r.value == {"echo": 1}
    assert calls == [1]
    assert r.types().count("ChainedInvokeStarted") == 1


def test_invoke_failure_raises_invoke_error_with_the_target_error(run: Any) -> None:
    @durable_execution
    def handler(event: Any, context: DurableContext) -> Any:
        try:
            context.invoke("bad", {"n": 3}, name="call")
        except InvokeError as exc:
            return {"type": exc.error_type, "message": exc.message}

    r = run(handler, durable={"bad": failing_target})
    assert r.value == {"type": "ValueError", "message": "cannot handle 3"}
    assert [e["EventType"] for e in r.of(root_id(1))] == ["ChainedInvokeStarted", "ChainedInvokeFailed"]


def test_uncaught_invoke_failure_fails_the_execution(run: Any) -> None:
    @durable_execution
    def handler(event: Any, context: DurableContext) -> Any:
        return context.invoke("bad", {"n": 1})

    def bad(event: Any, ctx: Any) -> Any:
        raise RuntimeError("plain failure")

    r = run(handler, functions={"bad": bad})
    assert r.status == "FAILED"
    assert r.result.error is not None
    assert r.result.error.type == "aws_durable_execution_sdk_python.exceptions.InvokeError"
    assert r.result.error.message == "plain failure"


def test_invoke_tenant_id_is_sent_in_chained_invoke_options(run: Any) -> None:
    @durable_execution
    def handler(event: Any, context: DurableContext) -> Any:
        return context.invoke("plain", 1, config=InvokeConfig(tenant_id="tenant-7"))

    recorded = Recorded(handler)
    r = run(recorded, functions={"plain": lambda e, c: e + 1})
    assert r.value == 2
    start = [u for u in recorded.updates if u["Type"] == "CHAINED_INVOKE" and u["Action"] == "START"]
    assert start == [
        {
            "Id": root_id(1),
            "Type": "CHAINED_INVOKE",
            "Action": "START",
            "SubType": "ChainedInvoke",
            "Payload": "1",
            "ChainedInvokeOptions": {"FunctionName": "plain", "TenantId": "tenant-7"},
        }
    ]


class _Upper(SerDes[str]):
    def serialize(self, value: str, serdes_context: SerDesContext) -> str:
        return '"' + value.upper() + '"'

    def deserialize(self, data: str, serdes_context: SerDesContext) -> str:
        return "got:" + data


def test_invoke_uses_payload_and_result_serdes(run: Any) -> None:
    @durable_execution
    def handler(event: Any, context: DurableContext) -> Any:
        return context.invoke(
            "echo", "hi", config=InvokeConfig(serdes_payload=_Upper(), serdes_result=_Upper())
        )

    r = run(handler, functions={"echo": lambda e, c: e})
    assert r.value == 'got:"HI"'
    assert r.of(root_id(1))[0]["ChainedInvokeStartedDetails"]["Input"]["Payload"] == '"HI"'


def test_invoke_without_function_name_is_refused_before_any_checkpoint(run: Any) -> None:
    @durable_execution
    def handler(event: Any, context: DurableContext) -> Any:
        try:
            context.invoke("", {})
        except ValidationError as exc:
            message = str(exc)
        return context.step(lambda _: message, name="after")

    r = run(handler)
    assert "function name" in r.value
    assert r.of(root_id(1))[0]["EventType"] == "StepStarted"


def test_invoke_of_unknown_function_fails_the_invoke(run: Any) -> None:
    @durable_execution
    def handler(event: Any, context: DurableContext) -> Any:
        try:
            context.invoke("nobody", {})
        except InvokeError as exc:
            return "invoke failed: " + (exc.message or "")
        except Exception as exc:  # noqa: BLE001 - report anything else
            return f"other {type(exc).__name__}: {exc}"

    r = run(handler)
    assert r.status in ("SUCCEEDED", "FAILED")
    if r.status == "SUCCEEDED":
        assert str(r.value).startswith("invoke failed")
