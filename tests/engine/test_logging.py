"""context.logger: silent while replaying (each message once per execution), unless log_during_replay."""

from __future__ import annotations

import logging
from typing import Any

import pytest

from durable_mp import DurableContext, durable_execution
from durable_mp.config import Duration, MapConfig

from .conftest import root_id


def _messages(caplog: pytest.LogCaptureFixture) -> list[str]:
    return [r.getMessage() for r in caplog.records if r.name.startswith("durable_mp.user")]


def _workflow(**options: Any) -> Any:
    @durable_execution(**options)
    def handler(event: Any, context: DurableContext) -> Any:
        context.logger.info("start")
        context.step(lambda sc: sc.logger.info("in step") or 1, name="s")
        context.wait(Duration.from_seconds(1), name="w1")
        context.logger.info("middle")
        context.run_in_child_context(
            lambda c: c.logger.info("in child") or c.wait(Duration.from_seconds(1)), name="child"
        )
        context.logger.info("end")
        return "ok"

    return handler


def test_logger_is_silent_during_replay(run: Any, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.INFO)
    r = run(_workflow())
    assert r.value == "ok"
    assert r.invocations() == 3
    assert _messages(caplog) == ["start", "in step", "middle", "in child", "end"]


def test_log_during_replay_logs_every_invocation(run: Any, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.INFO)
    r = run(_workflow(log_during_replay=True))
    assert r.value == "ok"
    assert _messages(caplog) == [
        "start",
        "in step",
        "start",
        "middle",
        "in child",
        "start",
        "middle",
        "in child",
        "end",
    ]


def test_step_logger_carries_operation_fields(run: Any, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.INFO)

    @durable_execution
    def handler(event: Any, context: DurableContext) -> Any:
        return context.step(lambda sc: sc.logger.info("hello") or 1, name="greet")

    r = run(handler)
    (record,) = [rec for rec in caplog.records if rec.getMessage() == "hello"]
    assert record.executionArn == r.arn  # type: ignore[attr-defined]
    assert record.operationId == root_id(1)  # type: ignore[attr-defined]
    assert record.operationName == "greet"  # type: ignore[attr-defined]
    assert record.attempt == 1  # type: ignore[attr-defined]


def log_item(ctx: DurableContext, item: int, index: int, items: Any) -> int:
    ctx.logger.info("item %s", item)
    ctx.wait(Duration.from_seconds(1))
    return item


@pytest.mark.parametrize("executor", ["threads", "inline"])
def test_logger_silent_on_replay_inside_map_items(
    run: Any, caplog: pytest.LogCaptureFixture, executor: str
) -> None:
    caplog.set_level(logging.INFO)

    @durable_execution
    def handler(event: Any, context: DurableContext) -> Any:
        return context.map([1, 2], log_item, config=MapConfig(executor=executor)).get_results()

    r = run(handler)
    assert r.value == [1, 2]
    assert sorted(_messages(caplog)) == ["item 1", "item 2"]


def test_set_logger_replaces_the_target(run: Any) -> None:
    seen: list[str] = []

    class Sink:
        def info(self, msg: str, *args: Any, **kwargs: Any) -> None:
            seen.append(msg % args if args else msg)

        debug = warning = error = exception = critical = info

    @durable_execution
    def handler(event: Any, context: DurableContext) -> Any:
        context.set_logger(Sink())
        context.logger.info("to sink %d", 1)
        context.wait(Duration.from_seconds(1))
        context.logger.info("after")
        return None

    run(handler)
    assert seen == ["to sink 1", "after"]
