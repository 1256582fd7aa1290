"""wait_for_callback: a WaitForCallback CONTEXT with a callback and a submitter step; typed failures."""

from __future__ import annotations

from typing import Any

from durable_mp import (
    CallbackExternalError,
    CallbackSubmitterError,
    CallbackTimeoutError,
    DurableContext,
    durable_execution,
    durable_wait_for_callback,
)
from durable_mp.config import Duration, JitterStrategy, WaitForCallbackConfig
from durable_mp.exceptions import ErrorObject
from durable_mp.retries import RetryPresets, RetryStrategyConfig, create_retry_strategy
from durable_mp.testing import InvocationStatus

from .conftest import child_id, root_id

NO_RETRY = WaitForCallbackConfig(retry_strategy=RetryPresets.none())


def test_wait_for_callback_records_context_callback_and_submitter(runner_factory: Any) -> None:
    submitted: list[str] = []

    @durable_execution
    def handler(event: Any, context: DurableContext) -> Any:
        return context.wait_for_callback(lambda cid, ctx: submitted.append(cid), name="approve")

    runner = runner_factory(handler)
    arn = runner.run_async()
    cid = runner.wait_for_callback(arn)
    assert submitted == [cid]
    runner.send_callback_success(cid, "yes")
    result = runner.wait_for_result(arn, timeout=10)
    assert result.status is InvocationStatus.SUCCEEDED
    assert result.result_value == "yes"
    assert submitted == [cid]  # the submitter step is not run again on replay

    events = runner.get_execution_history(arn)["Events"]
    w = root_id(1)
    by_id = {}
    for e in events:
        if "Id" in e and e["EventType"] not in ("ExecutionStarted", "ExecutionSucceeded"):
            by_id.setdefault(e["Id"], []).append(e)
    assert [e["EventType"] for e in by_id[w]] == ["ContextStarted", "ContextSucceeded"]
    assert by_id[w][0]["SubType"] == "WaitForCallback" and by_id[w][0]["Name"] == "approve"
    cb = by_id[child_id(w, 1)]
    assert cb[0]["EventType"] == "CallbackStarted"
    assert cb[0]["Name"] == "approve create callback id" and cb[0]["ParentId"] == w
    step = by_id[child_id(w, 2)]
    assert [e["EventType"] for e in step] == ["StepStarted", "StepSucceeded"]
    assert step[0]["Name"] == "approve submitter" and step[0]["ParentId"] == w


@durable_wait_for_callback
def notify(callback_id: str, context: Any, channel: str) -> None:
    context.logger.info("notify %s on %s", callback_id, channel)


def test_unnamed_wait_for_callback_inner_names_and_decorated_name(runner_factory: Any) -> None:
    @durable_execution
    def handler(event: Any, context: DurableContext) -> Any:
        a = context.wait_for_callback(lambda cid, ctx: None)
        b = context.wait_for_callback(notify("email"))
        return [a, b]

    runner = runner_factory(handler)
    arn = runner.run_async()
    runner.send_callback_success(runner.wait_for_callback(arn, name="create callback id"), "1")
    runner.send_callback_success(runner.wait_for_callback(arn, name="notify create callback id"), "2")
    assert runner.wait_for_result(arn, timeout=10).result_value == ["1", "2"]
    events = runner.get_execution_history(arn)["Events"]
    names = {
        (e["Id"], e.get("Name"))
        for e in events
        if e["EventType"].endswith("Started") and "Id" in e and e["EventType"] != "ExecutionStarted"
    }
    first, second = root_id(1), root_id(2)
    assert (first, None) in names
    assert (child_id(first, 1), "create callback id") in names
    assert (child_id(first, 2), "submitter") in names
    assert (second, "notify") in names
    assert (child_id(second, 2), "notify submitter") in names


def test_submitter_failure_raises_callback_submitter_error(run: Any) -> None:
    @durable_execution
    def handler(event: Any, context: DurableContext) -> Any:
        def submit(cid: str, ctx: Any) -> None:
            raise ConnectionRefusedError("queue unavailable")

        try:
            context.wait_for_callback(submit, name="w", config=NO_RETRY)
        except CallbackSubmitterError as exc:
            return {"class": type(exc).__name__, "message": exc.message}

    r = run(handler)
    assert r.value == {"class": "CallbackSubmitterError", "message": "queue unavailable"}
    assert r.of(root_id(1))[-1]["EventType"] == "ContextFailed"


def test_submitter_is_retried_by_its_retry_strategy(run: Any) -> None:
    attempts: list[int] = []

    @durable_execution
    def handler(event: Any, context: DurableContext) -> Any:
        def submit(cid: str, ctx: Any) -> None:
            attempts.append(1)
            raise ConnectionRefusedError("down")

        try:
            context.wait_for_callback(
                submit,
                name="w",
                config=WaitForCallbackConfig(
                    retry_strategy=create_retry_strategy(
                        RetryStrategyConfig(
                            max_attempts=2,
                            initial_delay=Duration.from_seconds(1),
                            jitter_strategy=JitterStrategy.NONE,
                        )
                    )
                ),
            )
        except CallbackSubmitterError:
            return len(attempts)

    # (retry delays are real time here: the service does not skip time while a callback is open)
    r = run(handler)
    assert r.value == 2
    submitter = r.of(child_id(root_id(1), 2))
    assert [e["EventType"] for e in submitter] == ["StepStarted", "StepFailed", "StepStarted", "StepFailed"]


def test_callback_failure_raises_callback_external_error_also_on_replay(runner_factory: Any) -> None:
    caught: list[tuple[str, str | None]] = []

    @durable_execution
    def handler(event: Any, context: DurableContext) -> Any:
        try:
            context.wait_for_callback(lambda cid, ctx: None, name="w")
        except CallbackExternalError as exc:
            caught.append((type(exc).__name__, exc.message))
        context.wait(Duration.from_seconds(1), name="after")
        return "done"

    runner = runner_factory(handler)
    arn = runner.run_async()
    runner.send_callback_failure(runner.wait_for_callback(arn), ErrorObject("rejected", "Nope", None, None))
    assert runner.wait_for_result(arn, timeout=10).result_value == "done"
    assert caught == [("CallbackExternalError", "rejected")] * 2


def test_callback_timeout_raises_callback_timeout_error(run: Any) -> None:
    @durable_execution
    def handler(event: Any, context: DurableContext) -> Any:
        try:
            context.wait_for_callback(
                lambda cid, ctx: None,
                name="w",
                config=WaitForCallbackConfig(timeout=Duration.from_seconds(1)),
            )
        except CallbackTimeoutError as exc:
            return type(exc).__name__

    r = run(handler)
    assert r.value == "CallbackTimeoutError"


def test_uncaught_wait_for_callback_failure_fails_execution_with_callback_type(runner_factory: Any) -> None:
    @durable_execution
    def handler(event: Any, context: DurableContext) -> Any:
        return context.wait_for_callback(lambda cid, ctx: None)

    runner = runner_factory(handler)
    arn = runner.run_async()
    runner.send_callback_failure(runner.wait_for_callback(arn), {"ErrorMessage": "bad", "ErrorType": "E"})
    result = runner.wait_for_result(arn, timeout=10)
    assert result.status is InvocationStatus.FAILED
    assert (
        result.error is not None
        and result.error.type == "aws_durable_execution_sdk_python.exceptions.CallbackExternalError"
    )
