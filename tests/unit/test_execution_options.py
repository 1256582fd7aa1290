"""Options of @durable_execution that are durable-mp additions: logger_factory, validation of options."""

from __future__ import annotations

import logging
from typing import Any

import pytest

from durable_mp import DurableContext, durable_execution
from durable_mp.logger import LogInfo
from durable_mp.testing import DurableFunctionTestRunner


class ListLogger:
    def __init__(self, sink: list[tuple[str, str, dict[str, Any]]]) -> None:
        self.sink = sink

    def _log(self, level: str, msg: object, *args: object, extra: Any = None, **_: Any) -> None:
        self.sink.append((level, str(msg) % args if args else str(msg), dict(extra or {})))

    def debug(self, msg: object, *args: object, **kw: Any) -> None:
        self._log("debug", msg, *args, **kw)

    def info(self, msg: object, *args: object, **kw: Any) -> None:
        self._log("info", msg, *args, **kw)

    def warning(self, msg: object, *args: object, **kw: Any) -> None:
        self._log("warning", msg, *args, **kw)

    def error(self, msg: object, *args: object, **kw: Any) -> None:
        self._log("error", msg, *args, **kw)

    def exception(self, msg: object, *args: object, **kw: Any) -> None:
        self._log("exception", msg, *args, **kw)


def test_logger_factory_receives_log_info_and_gets_the_records() -> None:
    records: list[tuple[str, str, dict[str, Any]]] = []
    infos: list[LogInfo] = []

    def factory(info: LogInfo) -> ListLogger:
        infos.append(info)
        return ListLogger(records)

    @durable_execution(logger_factory=factory)
    def handler(event: Any, context: DurableContext) -> str:
        context.logger.info("hello %s", "there")
        context.step(lambda sc: sc.logger.info("in step"), name="s")
        return "ok"

    with DurableFunctionTestRunner(handler) as runner:
        result = runner.run(input={})
    assert result.status.name == "SUCCEEDED"
    messages = [m for _, m, _ in records]
    assert "hello there" in messages and "in step" in messages
    assert any(info.name == "s" and info.attempt == 1 for info in infos)
    step_record = next(extra for _, m, extra in records if m == "in step")
    assert step_record["operationName"] == "s" and step_record["attempt"] == 1


def test_bad_options_are_refused_when_decorating() -> None:
    with pytest.raises(ValueError, match="checkpoint_mode"):
        durable_execution(checkpoint_mode="sometimes")
    with pytest.raises(ValueError, match="executor"):
        durable_execution(executor="gpus")


def test_stdlib_logging_is_the_default(caplog: pytest.LogCaptureFixture) -> None:
    @durable_execution
    def handler(event: Any, context: DurableContext) -> str:
        context.logger.info("plain record")
        return "ok"

    with (
        caplog.at_level(logging.INFO, logger="durable_mp.user"),
        DurableFunctionTestRunner(handler) as runner,
    ):
        assert runner.run(input={}).status.name == "SUCCEEDED"
    assert "plain record" in caplog.text
