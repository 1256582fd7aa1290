"""Local stand-ins for the AWS services the suite's validator reads besides Lambda.

The validator resolves a function through CloudFormation and reads its logs from CloudWatch Logs.
Here the "stack" is the set of functions registered on the local service, and the "log group" is the
records our handlers wrote through Python logging, rendered the way Lambda's JSON log format renders
them (one JSON object per record, with the SDK's extra fields such as ``executionArn`` at top level).
"""

from __future__ import annotations

import itertools
import json
import logging
import re
import sys
import threading
import time
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from datetime import UTC, datetime
from typing import Any

from aws_durable_execution_conformance_tests.cloudwatch import CloudWatchLogRetriever

_STANDARD_RECORD_FIELDS = frozenset(logging.makeLogRecord({}).__dict__) | {"message", "asctime"}
_ARN_FILTER = re.compile(r'\$\.(?:durableExecutionArn|executionArn) = "((?:[^"\\]|\\.)*)"')


class LogCapture(logging.Handler):
    """Collects every log record of the process as a CloudWatch ``filter_log_events`` event."""

    def __init__(self) -> None:
        super().__init__(level=logging.INFO)
        self.events: list[dict[str, Any]] = []
        self._sequence = itertools.count()

    def emit(self, record: logging.LogRecord) -> None:
        line: dict[str, Any] = {
            "timestamp": datetime.fromtimestamp(record.created, UTC).isoformat(),
            "level": record.levelname,
            "message": record.getMessage(),
            "logger": record.name,
        }
        for key, value in record.__dict__.items():
            if key not in _STANDARD_RECORD_FIELDS and not key.startswith("_"):
                line[key] = value
        self._add(int(record.created * 1000), json.dumps(line, default=str))

    def _add(self, timestamp_ms: int, message: str) -> None:
        self.events.append(
            {"timestamp": timestamp_ms, "ingestionTime": next(self._sequence), "message": message}
        )

    def stdout_line(self, line: str) -> None:
        """A line written to plain stdout: kept when it is a JSON object (CloudWatch's JSON filter needs one)."""
        try:
            parsed = json.loads(line)
        except ValueError:
            return
        if isinstance(parsed, dict):
            self._add(int(time.time() * 1000), line)

    @contextmanager
    def installed(self) -> Iterator[LogCapture]:
        """Attach to the root logger at INFO, as the Lambda Python runtime configures it."""
        root = logging.getLogger()
        previous_level = root.level
        root.addHandler(self)
        root.setLevel(logging.INFO)
        stdout = sys.stdout
        sys.stdout = _StdoutTee(stdout, self)  # type: ignore[assignment]
        try:
            yield self
        finally:
            sys.stdout = stdout
            root.removeHandler(self)
            root.setLevel(previous_level)


class _StdoutTee:
    """sys.stdout while a requirement runs: writes go through, and each complete line reaches the capture."""

    def __init__(self, inner: Any, capture: LogCapture) -> None:
        self._inner, self._capture, self._partial = inner, capture, ""
        self._lock = threading.Lock()

    def write(self, text: str) -> int:
        with self._lock:
            *lines, self._partial = (self._partial + text).split("\n")
        for line in lines:
            self._capture.stdout_line(line)
        return self._inner.write(text)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._inner, name)


class LocalCloudWatchLogs:
    """``filter_log_events`` over a :class:`LogCapture`, honouring the execution-ARN JSON filter."""

    def __init__(self, capture: LogCapture) -> None:
        self._capture = capture

    def filter_log_events(
        self,
        *,
        logGroupName: str,
        startTime: int,
        endTime: int,
        filterPattern: str | None = None,
        nextToken: str | None = None,
    ) -> dict[str, Any]:
        arns = {
            match.replace('\\"', '"').replace("\\\\", "\\")
            for match in _ARN_FILTER.findall(filterPattern or "")
        }
        events = []
        for event in list(self._capture.events):
            if not startTime <= event["timestamp"] <= endTime:
                continue
            if arns and not _carries_arn(event["message"], arns):
                continue
            events.append(event)
        return {"events": events}


def _carries_arn(message: str, arns: set[str]) -> bool:
    record = json.loads(message)
    return record.get("durableExecutionArn") in arns or record.get("executionArn") in arns


class LocalCloudFormation:
    """A "stack" whose Lambda functions are the ones registered on the local service (logical = physical)."""

    def __init__(self, function_names: list[str]) -> None:
        self._function_names = list(function_names)

    def describe_stack_resource(self, *, StackName: str, LogicalResourceId: str) -> dict[str, Any]:
        if LogicalResourceId not in self._function_names:
            raise KeyError(f"no function {LogicalResourceId!r} in local stack {StackName!r}")
        return {"StackResourceDetail": {"PhysicalResourceId": LogicalResourceId}}

    def get_paginator(self, operation_name: str) -> _StackResourcesPaginator:
        if operation_name != "list_stack_resources":
            raise ValueError(f"local CloudFormation has no paginator for {operation_name!r}")
        return _StackResourcesPaginator(self._function_names)


class _StackResourcesPaginator:
    def __init__(self, function_names: list[str]) -> None:
        self._function_names = function_names

    def paginate(self, *, StackName: str) -> list[dict[str, Any]]:
        summaries = [
            {"LogicalResourceId": name, "PhysicalResourceId": name, "ResourceType": "AWS::Lambda::Function"}
            for name in self._function_names
        ]
        return [{"StackResourceSummaries": summaries}]


class ImmediateLogRetriever(CloudWatchLogRetriever):
    """The suite's retriever without the CloudWatch ingestion delays: local records are there at once."""

    EVENT_POLL_TIMEOUT_SECONDS = 0.0

    def get_execution_log_events(
        self,
        log_group_name: str,
        execution_arn: str,
        start_time_ms: int,
        end_time_ms: int | None = None,
        wait_seconds: int | None = None,
    ) -> list[dict]:
        return super().get_execution_log_events(
            log_group_name, execution_arn, start_time_ms, end_time_ms=end_time_ms, wait_seconds=0
        )


def clients(lambda_client: Any, capture: LogCapture, function_names: list[str]) -> Mapping[str, Any]:
    """The service-name -> client mapping the validator expects (its ``AwsClients``)."""
    return {
        "lambda": lambda_client,
        "cloudformation": LocalCloudFormation(function_names),
        "logs": LocalCloudWatchLogs(capture),
    }
