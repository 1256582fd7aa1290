"""ServiceLimits: the quotas of the local service, enforced on checkpoints, responses and inputs."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from durable_mp import durable_execution
from durable_mp.config import Duration, MapConfig, StepConfig
from durable_mp.local import LocalDurableService, ServiceLimits, SqliteStore
from durable_mp.retries import RetryStrategyConfig, create_retry_strategy
from durable_mp.service.client import ServiceError
from durable_mp.testing import DurableFunctionTestRunner, ExecutionStatus
from tests.local.conftest import run
from tests.local.rawhandlers import Run, Script, ok, step


@durable_execution
def creep(event: dict[str, Any], ctx: Any) -> str:
    for i in range(event["n"]):
        ctx.step(lambda _, i=i: "x" * event.get("size", 1), name=f"s{i}")
    return "done"


def _events(runner: DurableFunctionTestRunner, arn: str) -> list[dict[str, Any]]:
    return list(runner.service.events(arn))


def test_defaults_are_lambdas_quotas() -> None:
    limits = ServiceLimits()
    assert limits.max_operations == 3_000 and limits.count_retries is False
    assert limits.max_payload_bytes_written == 100 * 1024 * 1024 == 104_857_600
    assert limits.max_operation_payload_bytes == 262_144
    assert limits.max_request_bytes == 768_000 and limits.max_request_updates == 250
    assert limits.max_response_bytes == limits.max_sync_input_bytes == 6_291_456
    assert limits.max_async_input_bytes == 262_144
    with pytest.raises(ValueError, match="max_operations must be a positive integer"):
        ServiceLimits(max_operations=0)
    with pytest.raises(TypeError, match="count_retries must be a bool"):
        ServiceLimits(count_retries=1)  # type: ignore[arg-type]


def test_creeping_past_3000_operations_fails_at_the_limit_and_keeps_what_came_before() -> None:
    with DurableFunctionTestRunner(creep) as runner:
        arn = runner.run_async(input={"n": 3_100})
        result = runner.wait_for_result(arn, timeout=60)
        events = _events(runner, arn)
        usage = runner.service.usage(arn)
    assert result.execution_status is ExecutionStatus.FAILED
    assert result.error is not None
    assert "execution would have 3,001 operations; the limit is 3,000 per execution" in result.error.message
    succeeded = [e["Name"] for e in events if e["EventType"] == "StepSucceeded"]
    assert succeeded == [f"s{i}" for i in range(2_999)]  # + the EXECUTION operation = 3,000
    assert [e["EventType"] for e in events].count("InvocationCompleted") == 1  # never retried
    assert usage["Operations"] == 3_000 and usage["MaxOperations"] == 3_000


def test_limits_given_to_the_runner_apply() -> None:
    with DurableFunctionTestRunner(creep, limits=ServiceLimits(max_operations=10)) as runner:
        assert runner.service.limits.max_operations == 10
        result = runner.run(input={"n": 20})
    assert result.execution_status is ExecutionStatus.FAILED
    assert result.error is not None and "would have 11 operations; the limit is 10" in result.error.message
    assert [op.name for op in result.operations] == [f"s{i}" for i in range(9)]


def test_payload_written_per_execution_is_capped_cumulatively() -> None:
    limits = ServiceLimits(max_payload_bytes_written=10_000)
    with DurableFunctionTestRunner(creep, limits=limits) as runner:
        arn = runner.run_async(input={"n": 10, "size": 2_998})  # each result is 3,000 bytes of JSON
        result = runner.wait_for_result(arn, timeout=30)
        events = _events(runner, arn)
        usage = runner.service.usage(arn)
    assert result.execution_status is ExecutionStatus.FAILED
    assert result.error is not None
    input_bytes = len('{"n": 10, "size": 2998}')
    assert (
        f"would have written {input_bytes + 4 * 3_000:,} bytes of payload; the limit is 10,000 bytes"
        in result.error.message
    )
    assert [e["Name"] for e in events if e["EventType"] == "StepSucceeded"] == ["s0", "s1", "s2"]
    assert usage["PayloadBytesWritten"] == input_bytes + 3 * 3_000


def test_a_rejected_request_applies_nothing_and_names_the_limit() -> None:
    limits = ServiceLimits(max_request_updates=3, max_request_bytes=1_000, max_operation_payload_bytes=600)
    service = LocalDurableService(skip_time=True, limits=limits)
    seen: dict[str, Any] = {}

    def body(r: Run) -> dict[str, Any]:
        for updates, match in (
            ([step(f"m{i}", "START") for i in range(4)], "at most 3 updates, got 4"),
            ([step("p", "SUCCEED", Payload="x" * 601)], "601 bytes; the limit is 600 bytes"),
            ([step(f"q{i}", "SUCCEED", Payload="x" * 400) for i in range(3)], "exceed 1,000 bytes"),
        ):
            with pytest.raises(ServiceError) as info:
                r.client.checkpoint(r.arn, r.token, updates)
            assert info.value.code == "InvalidParameterValueException" and not info.value.retriable
            assert match in info.value.message, info.value.message
        seen["usage"] = service.usage(r.arn)
        r.checkpoint(step("ok", "SUCCEED", Payload="x" * 600))
        return ok()

    try:
        out = run(service, "fn", Script(body))
        assert out["Status"] == "SUCCEEDED"
        assert [op["Id"] for op in service.operations(out["arn"])][1:] == ["ok"]  # nothing rejected is kept
        assert seen["usage"]["Operations"] == 1 and seen["usage"]["PayloadBytesWritten"] == 2
        assert service.usage(out["arn"])["PayloadBytesWritten"] == 602
    finally:
        service.close()


def test_count_retries_meters_each_retry_as_an_operation() -> None:
    delay = {"NextAttemptDelaySeconds": 1}
    retries = [
        u for i in range(3) for u in (step(f"r{i}", "START"), step(f"r{i}", "RETRY", StepOptions=delay))
    ]

    def outcome(count_retries: bool) -> str:
        limits = ServiceLimits(max_operations=5, count_retries=count_retries)
        answers: list[str] = []

        def body(r: Run) -> dict[str, Any]:
            if not answers:
                try:
                    r.checkpoint(*retries)
                    answers.append("accepted")
                except ServiceError as exc:
                    answers.append(exc.message)
            return ok()

        with LocalDurableService(skip_time=True, limits=limits) as service:
            run(service, "fn", Script(body))
        return answers[0]

    assert outcome(False) == "accepted"  # 1 + 3 distinct ids
    assert "would have 7 metered operations (retries and polls included); the limit is 5" in outcome(True)


def test_a_response_over_6_mb_fails_the_invocation_as_on_lambda(svc: LocalDurableService) -> None:
    big = '"' + "x" * (7 * 1024 * 1024) + '"'
    script = Script(lambda r: ok(big))
    out = run(svc, "raw", script)
    assert out["Status"] == "FAILED"
    assert out["Error"]["ErrorType"] == "Function.ResponseSizeTooLarge"
    assert (
        f"({len(json.dumps(ok(big))):,} bytes)" in out["Error"]["ErrorMessage"]
        and "6,291,456 bytes" in out["Error"]["ErrorMessage"]
    )
    assert len(script.invocations) == 1  # it would fail the same way again: not retried


def test_a_large_sdk_result_goes_through_the_execution_checkpoint() -> None:
    @durable_execution
    def large(event: Any, ctx: Any) -> str:
        return "y" * (7 * 1024 * 1024)

    with DurableFunctionTestRunner(large) as runner:
        result = runner.run()
    assert result.execution_status is ExecutionStatus.SUCCEEDED
    assert result.result_value == "y" * (7 * 1024 * 1024)


def test_invocation_input_limits(svc: LocalDurableService) -> None:
    svc.register_durable_function("fn", Script(lambda r: ok()))
    payload = '"' + "z" * 300_000 + '"'
    with pytest.raises(ServiceError) as info:
        svc.invoke(FunctionName="fn", Payload=payload, InvocationType="Event")
    assert info.value.code == "RequestEntityTooLargeException"
    assert (
        "300,002 bytes; the limit is 262,144 bytes for an asynchronous (Event) invoke" in info.value.message
    )
    assert svc.invoke(FunctionName="fn", Payload=payload)["StatusCode"] == 200
    with pytest.raises(ServiceError, match="the limit is 6,291,456 bytes for a synchronous invoke"):
        svc.start_execution("fn", '"' + "z" * 6_291_456 + '"')


def test_usage_is_the_same_after_reading_the_execution_back(tmp_path: Path) -> None:
    calls = {"n": 0}

    @durable_execution
    def flaky(event: Any, ctx: Any) -> str:
        def once(_: Any) -> str:
            calls["n"] += 1
            if calls["n"] < 3:
                raise RuntimeError("e" * 50)
            return "ü" * 10

        strategy = create_retry_strategy(
            RetryStrategyConfig(max_attempts=5, initial_delay=Duration.from_seconds(1))
        )
        ctx.step(once, name="flaky", config=StepConfig(retry_strategy=strategy))
        return ctx.step(lambda _: "done", name="after")

    db = str(tmp_path / "s.db")
    with DurableFunctionTestRunner(flaky, store=SqliteStore(db)) as runner:
        arn = runner.run_async()
        assert runner.wait_for_result(arn).execution_status is ExecutionStatus.SUCCEEDED
        before = runner.service.usage(arn)
    with LocalDurableService(store=SqliteStore(db)) as again:
        after = again.usage(arn)
    assert before == after
    assert before["Operations"] == 3 and before["MeteredOperations"] == 5


def _double(ctx: Any, x: int, index: int, items: list[int]) -> int:
    return ctx.step(lambda _: x * 2, name="double")


@pytest.mark.parametrize("executor", ["threads", "processes"])
def test_a_map_past_the_limit_fails_once_on_any_executor(executor: str) -> None:
    @durable_execution(executor=executor)
    def mapper(event: Any, ctx: Any) -> list[int]:
        items = list(range(event["n"]))
        return ctx.map(items, _double, name="m", config=MapConfig(max_concurrency=4)).get_results()

    with DurableFunctionTestRunner(mapper, limits=ServiceLimits(max_operations=50)) as runner:
        assert runner.run(input={"n": 10}).result_value == [2 * i for i in range(10)]
        result = runner.run(input={"n": 40}, timeout=60)
        events = runner.service.events(result.execution_arn)
    assert result.execution_status is ExecutionStatus.FAILED
    assert result.error is not None and "; the limit is 50 per execution" in result.error.message
    assert [e["EventType"] for e in events].count("InvocationCompleted") == 1
