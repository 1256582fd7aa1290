"""Log records of map items and parallel branches running in worker processes reach the parent's logging."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from typing import Any

import pytest

from durable_mp import DurableContext, durable_execution
from durable_mp.config import Duration, MapConfig, ParallelConfig
from durable_mp.testing import DurableFunctionTestRunner


class _Collect(logging.Handler):
    def __init__(self) -> None:
        super().__init__(level=logging.INFO)
        self.setFormatter(logging.Formatter("%(levelname)s|%(name)s|%(message)s|%(order)s"))
        self.records: list[logging.LogRecord] = []
        self.lines: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(record)
        if hasattr(record, "order"):
            self.lines.append(self.format(record))


@pytest.fixture
def root_handler() -> Iterator[_Collect]:
    """The parent configures logging as a Lambda function does: a root handler with its own formatter."""
    root = logging.getLogger()
    handler, level = _Collect(), root.level
    root.addHandler(handler)
    root.setLevel(logging.INFO)
    try:
        yield handler
    finally:
        root.removeHandler(handler)
        root.setLevel(level)


def _item(context: DurableContext, item: str, index: int, items: list[str]) -> str:
    context.logger.info("before wait %s", item, extra={"order": index})
    logging.getLogger("shop.orders").warning(
        "stdlib record for %s", item, extra={"order": index, "tags": ["a"]}
    )
    logging.getLogger("shop.orders").debug("below the parent's level")
    context.wait(Duration.from_seconds(1), name=f"pause-{index}")
    context.logger.info("after wait %s", item, extra={"order": index})
    return item


@pytest.mark.parametrize("executor", ["processes", "threads"])
def test_map_item_records_reach_the_parents_handler_once(root_handler: _Collect, executor: str) -> None:
    @durable_execution
    def handler(event: Any, context: DurableContext) -> Any:
        return context.map(
            ["x", "y"], _item, name="orders", config=MapConfig(executor=executor)
        ).get_results()

    with DurableFunctionTestRunner(handler) as runner:
        result = runner.run({})
    assert result.result == '["x", "y"]'
    replay_aware = sorted(line for line in root_handler.lines if "durable_mp.user" in line)
    assert replay_aware == [  # context.logger is silent while an item replays: each line once
        "INFO|durable_mp.user|after wait x|0",
        "INFO|durable_mp.user|after wait y|1",
        "INFO|durable_mp.user|before wait x|0",
        "INFO|durable_mp.user|before wait y|1",
    ]
    # a stdlib logger is not replay-aware: its record comes again each time the item replays
    stdlib = {line for line in root_handler.lines if "shop.orders" in line}
    assert stdlib == {
        "WARNING|shop.orders|stdlib record for x|0",
        "WARNING|shop.orders|stdlib record for y|1",
    }
    before = next(r for r in root_handler.records if r.getMessage() == "before wait x")
    assert before.levelno == logging.INFO
    assert before.executionArn == result.execution_arn  # type: ignore[attr-defined]
    assert before.parentId  # type: ignore[attr-defined] # the item's operation id
    record = next(r for r in root_handler.records if r.name == "shop.orders")
    assert record.tags == ["a"]  # type: ignore[attr-defined]
    assert not any("below the parent's level" in r.getMessage() for r in root_handler.records)


def _failing_branch(context: DurableContext) -> None:
    try:
        raise ValueError("boom")
    except ValueError:
        logging.getLogger("shop").exception("branch failed", extra={"order": 7, "obj": object()})


def test_parallel_branch_exception_record_keeps_its_traceback(root_handler: _Collect) -> None:
    @durable_execution
    def handler(event: Any, context: DurableContext) -> Any:
        context.parallel([_failing_branch], config=ParallelConfig(executor="processes"))
        return "done"

    with DurableFunctionTestRunner(handler) as runner:
        assert runner.run({}).result == '"done"'
    (record,) = [r for r in root_handler.records if r.getMessage() == "branch failed"]
    assert record.levelno == logging.ERROR and "ValueError: boom" in (record.exc_text or "")
    assert record.obj.startswith("<object object")  # type: ignore[attr-defined] # not picklable: its repr
