"""The replay-aware logger handed to user code, structured JSON logging, and a custom-logger hook.

`Logger` wraps any `LoggerInterface` (a `logging.Logger` fits) and adds the operation's identity to
every record as `extra` fields: `executionArn`, `parentId`, `operationName`, `attempt`, `operationId`
(the official SDK's keys), plus any fields added with `Logger.with_extra(**fields)` or
`LogInfo.with_extra(**fields)`. While its context replays operations recorded by an earlier
invocation it stays silent, so each message is logged once per execution, not once per invocation.

Structured logs: `JsonFormatter` writes one JSON object per line (timestamp, level, logger, message,
the identity fields, any extra fields, and the exception if any); `structured_logger(name)` returns a
`logging.Logger` set up with it.

Custom loggers: a `LoggerFactory` is a callable `(LogInfo) -> LoggerInterface`.
`Logger.from_factory(factory, info)` calls it for the execution and again for every operation (each
`with_log_info`), so the factory can bind the operation's identity in its own way.
"""

from __future__ import annotations

import json
import logging
import sys
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from typing import IO, Any

from durable_mp.types import LoggerInterface

LoggerFactory = Callable[["LogInfo"], LoggerInterface]


def _never_replaying() -> bool:
    return False


@dataclass(frozen=True)
class LogInfo:
    """Who is logging: the execution, and the operation when the log comes from inside one.

    `extra` holds additional fields added to every record (see `with_extra`).
    """

    execution_arn: str
    parent_id: str | None = None
    operation_id: str | None = None
    name: str | None = None
    attempt: int | None = None
    extra: Mapping[str, object] = field(default_factory=dict)

    @classmethod
    def from_operation_identifier(
        cls, execution_state: Any, op_id: Any, attempt: int | None = None
    ) -> LogInfo:
        """The info of operation `op_id` (an OperationIdentifier) of the execution `execution_state`
        (an ExecutionState, or its ARN)."""
        arn = execution_state if isinstance(execution_state, str) else execution_state.execution_arn
        return cls(arn, op_id.parent_id, op_id.operation_id, op_id.name, attempt)

    def with_parent_id(self, parent_id: str) -> LogInfo:
        """A copy with another parent id."""
        return replace(self, parent_id=parent_id)

    def with_extra(self, **fields: object) -> LogInfo:
        """A copy with these fields added to `extra` (later values win)."""
        return replace(self, extra={**self.extra, **fields})

    def fields(self) -> dict[str, object]:
        """The record fields, with the official SDK's keys; unset values are left out."""
        out: dict[str, object] = {"executionArn": self.execution_arn}
        if self.parent_id:
            out["parentId"] = self.parent_id
        if self.name:
            out["operationName"] = self.name  # not "name": LogRecord reserves it
        if self.attempt is not None:
            out["attempt"] = self.attempt
        if self.operation_id:
            out["operationId"] = self.operation_id
        out.update(self.extra)
        return out


class Logger:
    """A replay-aware logger adding the operation's identity to each record (see the module doc)."""

    __slots__ = ("_default_extra", "_factory", "_is_replaying", "_logger")

    def __init__(
        self,
        logger: LoggerInterface,
        default_extra: Mapping[str, object],
        is_replaying: Callable[[], bool] = _never_replaying,
        factory: LoggerFactory | None = None,
    ) -> None:
        self._logger = logger
        self._default_extra = default_extra
        self._is_replaying = is_replaying
        self._factory = factory

    @classmethod
    def from_log_info(
        cls, logger: LoggerInterface, info: LogInfo, is_replaying: Callable[[], bool] = _never_replaying
    ) -> Logger:
        """A logger writing to `logger` with `info`'s fields."""
        return cls(logger, info.fields(), is_replaying)

    @classmethod
    def from_factory(
        cls, factory: LoggerFactory, info: LogInfo, is_replaying: Callable[[], bool] = _never_replaying
    ) -> Logger:
        """A logger whose underlying logger is `factory(info)`, made again for every new `LogInfo`."""
        return cls(factory(info), info.fields(), is_replaying, factory)

    def with_log_info(self, info: LogInfo) -> Logger:
        """A copy for another operation, keeping the replay-status source (and factory)."""
        logger = self._factory(info) if self._factory is not None else self._logger
        return Logger(logger, info.fields(), self._is_replaying, self._factory)

    def with_is_replaying(self, is_replaying: Callable[[], bool]) -> Logger:
        """A copy reading replay status from `is_replaying` (a child context's own status)."""
        return Logger(self._logger, self._default_extra, is_replaying, self._factory)

    def with_extra(self, **fields: object) -> Logger:
        """A copy adding these fields to every record, e.g. `logger.with_extra(order_id=42)`."""
        return Logger(self._logger, {**self._default_extra, **fields}, self._is_replaying, self._factory)

    def get_logger(self) -> LoggerInterface:
        """The underlying logger."""
        return self._logger

    def debug(self, msg: object, *args: object, extra: Mapping[str, object] | None = None) -> None:
        if not self._is_replaying():
            self._logger.debug(msg, *args, extra=self._merged(extra))

    def info(self, msg: object, *args: object, extra: Mapping[str, object] | None = None) -> None:
        if not self._is_replaying():
            self._logger.info(msg, *args, extra=self._merged(extra))

    def warning(self, msg: object, *args: object, extra: Mapping[str, object] | None = None) -> None:
        if not self._is_replaying():
            self._logger.warning(msg, *args, extra=self._merged(extra))

    def error(self, msg: object, *args: object, extra: Mapping[str, object] | None = None) -> None:
        if not self._is_replaying():
            self._logger.error(msg, *args, extra=self._merged(extra))

    def exception(self, msg: object, *args: object, extra: Mapping[str, object] | None = None) -> None:
        if not self._is_replaying():
            self._logger.exception(msg, *args, extra=self._merged(extra))

    def _merged(self, extra: Mapping[str, object] | None) -> dict[str, object]:
        return {**self._default_extra, **extra} if extra else dict(self._default_extra)


# Attributes every LogRecord has: anything else on a record came in through `extra`.
_RECORD_ATTRIBUTES = frozenset(vars(logging.LogRecord("", 0, "", 0, "", (), None))) | {
    "message",
    "asctime",
    "taskName",
}


class JsonFormatter(logging.Formatter):
    """Formats a record as one line of JSON.

    Keys: "timestamp" (ISO 8601 UTC, milliseconds), "level", "logger", "message", then every extra
    field of the record (executionArn, operationId, operationName, parentId, attempt, and user fields),
    then "exception" when the record carries one. Values JSON cannot encode are written with `str()`.
    """

    def format(self, record: logging.LogRecord) -> str:
        out: dict[str, Any] = {
            "timestamp": _iso_utc(record.created),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        for key, value in record.__dict__.items():
            if key not in _RECORD_ATTRIBUTES:
                out[key] = value
        if record.exc_info:
            out["exception"] = self.formatException(record.exc_info)
        return json.dumps(out, default=str, ensure_ascii=False)


def _iso_utc(created: float) -> str:
    seconds = int(created)
    return (
        time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(seconds)) + f".{int((created - seconds) * 1000):03d}Z"
    )


def structured_logger(
    name: str = "durable_mp.user", stream: IO[str] | None = None, level: int = logging.INFO
) -> logging.Logger:
    """A `logging.Logger` writing JSON lines (`JsonFormatter`) to `stream` (stderr by default).

    Idempotent per name: calling it again replaces the handler it installed instead of adding one.
    The logger does not propagate to the root logger, so records are not printed twice.
    """
    logger = logging.getLogger(name)
    for handler in list(logger.handlers):
        if isinstance(handler.formatter, JsonFormatter):
            logger.removeHandler(handler)
    handler = logging.StreamHandler(stream if stream is not None else sys.stderr)
    handler.setFormatter(JsonFormatter())
    logger.addHandler(handler)
    logger.setLevel(level)
    logger.propagate = False
    return logger


_PLAIN = (str, int, float, bool, type(None))


def forwardable_record(record: logging.LogRecord) -> dict[str, Any]:
    """A record as a plain dict that can cross to another process (`logging.makeLogRecord` rebuilds it).

    The message is formatted here (its args may not pickle); the exception becomes its formatted text;
    extra fields that are not plain values are sent as their `repr`.
    """
    fields = dict(record.__dict__)
    fields["msg"] = record.getMessage()
    fields["args"] = None
    if record.exc_info:
        fields["exc_text"] = record.exc_text or logging.Formatter().formatException(record.exc_info)
    fields["exc_info"] = None
    for key, value in fields.items():
        if key not in _RECORD_ATTRIBUTES and not isinstance(value, _PLAIN):
            fields[key] = value if isinstance(value, (list, dict, tuple)) and _plain(value) else repr(value)
    return fields


def _plain(value: Any) -> bool:
    if isinstance(value, dict):
        return all(isinstance(k, str) and _plain(v) for k, v in value.items())
    if isinstance(value, (list, tuple)):
        return all(_plain(v) for v in value)
    return isinstance(value, _PLAIN)


def emit_forwarded(fields: dict[str, Any]) -> None:
    """Log a record made in a worker process through this process's logging, as if logged here."""
    record = logging.makeLogRecord(fields)
    target = logging.getLogger(record.name) if record.name != "root" else logging.getLogger()
    if target.isEnabledFor(record.levelno):
        target.handle(record)


def lowest_enabled_level() -> int:
    """The lowest level any configured logger of this process lets through (what a worker must forward)."""
    levels = [logging.getLogger().getEffectiveLevel()]
    for logger in list(logging.Logger.manager.loggerDict.values()):
        if isinstance(logger, logging.Logger) and logger.level != logging.NOTSET:
            levels.append(logger.level)
    return min(levels)
