"""Tests of durable_mp.logger: replay silence, identity fields, extras, JSON lines, factories."""

from __future__ import annotations

import io
import json
import logging

import pytest

from durable_mp.logger import JsonFormatter, Logger, LogInfo, structured_logger

ARN = "arn:aws:lambda:us-east-1:123456789012:function:fn:$LATEST/durable-execution/run/inv"


class Capture(logging.Handler):
    def __init__(self) -> None:
        super().__init__()
        self.records: list[logging.LogRecord] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(record)


@pytest.fixture
def captured() -> tuple[logging.Logger, Capture]:
    base = logging.getLogger("test_logger.capture")
    base.handlers.clear()
    handler = Capture()
    base.addHandler(handler)
    base.setLevel(logging.DEBUG)
    base.propagate = False
    return base, handler


def test_identity_fields_use_official_keys(captured: tuple[logging.Logger, Capture]) -> None:
    base, handler = captured
    info = LogInfo(ARN, parent_id="p", operation_id="op", name="charge", attempt=2)
    Logger.from_log_info(base, info).info("hello %s", "you", extra={"k": 1})
    record = handler.records[0]
    assert record.getMessage() == "hello you"
    assert (
        record.executionArn,
        record.parentId,
        record.operationId,
        record.operationName,
        record.attempt,
        record.k,
    ) == (
        ARN,
        "p",
        "op",
        "charge",
        2,
        1,
    )
    assert LogInfo(ARN).fields() == {"executionArn": ARN}


def test_silent_while_replaying(captured: tuple[logging.Logger, Capture]) -> None:
    base, handler = captured
    replaying = True
    logger = Logger.from_log_info(base, LogInfo(ARN), is_replaying=lambda: replaying)
    logger.info("during replay")
    logger.error("during replay")
    assert handler.records == []
    replaying = False
    logger.warning("live")
    assert [r.getMessage() for r in handler.records] == ["live"]


def test_with_log_info_keeps_replay_source_and_with_is_replaying_rebinds(
    captured: tuple[logging.Logger, Capture],
) -> None:
    base, handler = captured
    parent = Logger.from_log_info(base, LogInfo(ARN), is_replaying=lambda: True)
    parent.with_log_info(LogInfo(ARN, operation_id="x")).info("muted")
    assert handler.records == []
    parent.with_is_replaying(lambda: False).info("child live")
    assert handler.records[0].getMessage() == "child live"


def test_extra_fields(captured: tuple[logging.Logger, Capture]) -> None:
    base, handler = captured
    logger = Logger.from_log_info(base, LogInfo(ARN).with_extra(tenant="t1")).with_extra(order=42)
    logger.debug("x", extra={"order": 43})
    record = handler.records[0]
    assert (record.tenant, record.order) == ("t1", 43)


def test_exception_records_traceback(captured: tuple[logging.Logger, Capture]) -> None:
    base, handler = captured
    try:
        raise ValueError("bad")
    except ValueError:
        Logger.from_log_info(base, LogInfo(ARN)).exception("failed")
    assert handler.records[0].exc_info is not None


def test_json_lines() -> None:
    stream = io.StringIO()
    base = structured_logger("test_logger.json", stream=stream, level=logging.DEBUG)
    structured_logger("test_logger.json", stream=stream, level=logging.DEBUG)  # no second handler
    logger = Logger.from_log_info(base, LogInfo(ARN, operation_id="op1", name="s", attempt=1)).with_extra(
        user="u"
    )
    logger.info("paid %d", 5)
    try:
        raise KeyError("k")
    except KeyError:
        logger.exception("oops", extra={"obj": object})
    lines = stream.getvalue().splitlines()
    assert len(lines) == 2
    first, second = json.loads(lines[0]), json.loads(lines[1])
    assert first["message"] == "paid 5" and first["level"] == "INFO" and first["logger"] == "test_logger.json"
    assert (
        first["executionArn"],
        first["operationId"],
        first["operationName"],
        first["attempt"],
        first["user"],
    ) == (
        ARN,
        "op1",
        "s",
        1,
        "u",
    )
    assert first["timestamp"].endswith("Z") and "T" in first["timestamp"]
    assert "KeyError" in second["exception"] and second["obj"] == str(object)


def test_json_formatter_plain_record() -> None:
    record = logging.LogRecord("n", logging.WARNING, "f.py", 1, "m %s", ("a",), None)
    assert json.loads(JsonFormatter().format(record))["message"] == "m a"


def test_factory_is_called_per_operation(captured: tuple[logging.Logger, Capture]) -> None:
    base, handler = captured
    seen: list[LogInfo] = []

    def factory(info: LogInfo) -> logging.Logger:
        seen.append(info)
        return base

    root = Logger.from_factory(factory, LogInfo(ARN))
    child = root.with_log_info(LogInfo(ARN, operation_id="op9"))
    child.info("from op")
    assert [i.operation_id for i in seen] == [None, "op9"]
    assert child.get_logger() is base and handler.records[0].operationId == "op9"
