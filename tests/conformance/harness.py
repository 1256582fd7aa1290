"""Runs one conformance requirement on durable-mp's local service and judges it with the suite's validator.

The suite's ``validate.validate_description`` drives everything: it invokes the function through its
``sam.Invoker`` (given our local Lambda client and a local CloudFormation), polls the history with its
``PollingValidator`` (sending the YAML's callback actions), matches events with its
``EventHistoryMatcher``, checks the result, and checks ``ExpectedLogs`` against the records our handlers
logged. Two timing knobs are changed for a local service, never the matching: CloudWatch ingestion
delays are dropped, and history is polled every 0.25 s with a no-progress limit of at most 15 s.
"""

from __future__ import annotations

import dataclasses
import os
import re
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from types import MappingProxyType
from typing import Any
from unittest import mock

from aws_durable_execution_conformance_tests import validate
from aws_durable_execution_conformance_tests.clients import AwsClients
from aws_durable_execution_conformance_tests.config import TESTS_DIR
from aws_durable_execution_conformance_tests.sam import Invoker
from aws_durable_execution_conformance_tests.validate import (
    AsyncValidationConfig,
    DescriptionResult,
    discover_test_files,
    validate_description,
)

from durable_mp.testing import DurableFunctionTestRunner

from .handlers import SUITES, TARGETS
from .local_aws import ImmediateLogRetriever, LogCapture, clients

SUITE_ORDER = (
    "step",
    "wait",
    "child",
    "callback",
    "invoke",
    "wait_for_condition",
    "wait_for_callback",
    "parallel",
    "map",
    "plugin",
)
EXECUTOR_SUITES = frozenset({"map", "parallel"})
EXECUTORS = ("processes", "threads")
EXECUTOR_ENV = "DURABLE_MP_EXECUTOR"
# Requirements where the validator's callbacks race with callback (heartbeat) timeouts or with a
# durable wait run on the wall clock; everything else runs with skipped time.
REAL_TIME_REQUIREMENTS = frozenset(
    {
        "callback/4-3",
        "callback/4-4",
        "callback/4-5",
        "callback/4-8",  # callback timeouts vs. no/late callback
        "callback/4-9",
        "callback/4-10",
        "callback/4-11",  # the callback resolves (or times out) during a wait
        "callback/4-14",  # the timeout is caught, then a wait
        "wait_for_callback/7-5",
        "wait_for_callback/7-12",
        "wait_for_callback/7-13",
        "wait_for_callback/7-14",
    }
)

FUNCTION_NAME = "ConformanceFunction"
STACK_NAME = "durable-mp-local"
REGION = "us-west-2"
POLL_INTERVAL_SECONDS = 0.25
MAX_NO_PROGRESS_SECONDS = 15.0
REQUIREMENT_TIMEOUT_SECONDS = 120.0


@dataclass(frozen=True)
class Requirement:
    """One requirement YAML of the installed suite, to run with one executor (map/parallel) or none."""

    suite: str
    requirement_id: str
    path: str
    executor: str | None = None

    @property
    def test_id(self) -> str:
        base = f"{self.suite}-{self.requirement_id}"
        return f"{base}-{self.executor}" if self.executor else base

    @property
    def key(self) -> str:
        return f"{self.suite}/{self.requirement_id}"

    @property
    def real_time(self) -> bool:
        return self.key in REAL_TIME_REQUIREMENTS


def _order(requirement_id: str) -> tuple[int, ...]:
    return tuple(int(part) for part in re.findall(r"\d+", requirement_id))


def requirements() -> list[Requirement]:
    """Every requirement of the installed suite, map and parallel once per executor, in suite order."""
    found: list[Requirement] = []
    for suite in SUITE_ORDER:
        files = discover_test_files(TESTS_DIR, suite)
        for requirement_id in sorted(files, key=_order):
            executors = EXECUTORS if suite in EXECUTOR_SUITES else (None,)
            found.extend(Requirement(suite, requirement_id, files[requirement_id], e) for e in executors)
    return found


class LocalPollingConfig(AsyncValidationConfig):
    """The suite's polling configuration, read from the YAML, with local-service cadence."""

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> AsyncValidationConfig:
        config = AsyncValidationConfig.from_dict(data)
        return dataclasses.replace(
            config,
            poll_interval_seconds=min(config.poll_interval_seconds, POLL_INTERVAL_SECONDS),
            no_progress_timeout_seconds=min(config.no_progress_timeout_seconds, MAX_NO_PROGRESS_SECONDS),
        )


@contextmanager
def _local_timing() -> Iterator[None]:
    with (
        mock.patch.object(validate, "CloudWatchLogRetriever", ImmediateLogRetriever),
        mock.patch.object(validate, "AsyncValidationConfig", LocalPollingConfig),
    ):
        yield


@contextmanager
def _executor(executor: str | None) -> Iterator[None]:
    """Make ``executor`` the process-wide default map/parallel executor for the duration."""
    previous = os.environ.get(EXECUTOR_ENV)
    if executor is not None:
        os.environ[EXECUTOR_ENV] = executor
    try:
        yield
    finally:
        if previous is None:
            os.environ.pop(EXECUTOR_ENV, None)
        else:
            os.environ[EXECUTOR_ENV] = previous


def run(requirement: Requirement, output_dir: Path) -> DescriptionResult:
    """Run ``requirement`` on a fresh local service; the execution history is saved under ``output_dir``."""
    handler = SUITES[requirement.suite][requirement.requirement_id]
    output_dir.mkdir(parents=True, exist_ok=True)
    with _executor(requirement.executor):
        runner = DurableFunctionTestRunner(handler, skip_time=not requirement.real_time)
        try:
            runner.register_durable_function(FUNCTION_NAME, handler)
            for name, target in TARGETS.items():
                runner.register_durable_function(name, target)
            capture = LogCapture()
            lambda_client = runner.lambda_client()
            services = clients(lambda_client, capture, [FUNCTION_NAME, *TARGETS])
            invoker = Invoker(
                STACK_NAME, region=REGION, lambda_client=lambda_client, cfn_client=services["cloudformation"]
            )
            with capture.installed(), _local_timing():
                return _within_time_limit(
                    lambda: validate_description(
                        function_name=FUNCTION_NAME,
                        description_id=requirement.requirement_id,
                        test_file=requirement.path,
                        invoker=invoker,
                        tmp_dir=str(output_dir),
                        region=REGION,
                        aws_clients=AwsClients(MappingProxyType(dict(services))),
                        output_dir=str(output_dir),
                    ),
                    requirement,
                )
        finally:
            runner.close()


def _within_time_limit(validation: Any, requirement: Requirement) -> DescriptionResult:
    """Run the validation, failing it (instead of hanging the run) if it takes over the time limit."""
    outcome: list[Any] = []

    def target() -> None:
        try:
            outcome.append(validation())
        except BaseException as error:  # noqa: BLE001 - reported as the requirement's failure
            outcome.append(error)

    worker = threading.Thread(target=target, name=f"conformance-{requirement.test_id}", daemon=True)
    worker.start()
    worker.join(REQUIREMENT_TIMEOUT_SECONDS)
    if not outcome:
        return DescriptionResult(
            requirement.requirement_id,
            FUNCTION_NAME,
            passed=False,
            errors=[f"validation did not finish within {REQUIREMENT_TIMEOUT_SECONDS:.0f} s"],
        )
    if isinstance(outcome[0], BaseException):
        raise outcome[0]
    return outcome[0]
