"""Handlers for the conformance suite ``plugin`` (requirements 10-1 .. 10-7).

The suite's plugins write one JSON object per hook to plain stdout, each stamped with the execution
ARN the invocation-start hook received (``durableExecutionArn``), so the execution's log retrieval
finds them. Registered through the public plugin API only.
"""

from __future__ import annotations

import json
import sys
from typing import Any

from durable_mp import DurableContext, StepContext, durable_execution, durable_step
from durable_mp.config import Duration, StepConfig
from durable_mp.plugin import (
    DurableInstrumentationPlugin,
    InvocationEndInfo,
    InvocationStartInfo,
    OperationEndInfo,
    OperationStartInfo,
    OperationType,
    UserFunctionEndInfo,
    UserFunctionStartInfo,
)
from durable_mp.retries import RetryPresets

from ._registry import HandlerRegistry
from .step import fixed_retries

HANDLERS = HandlerRegistry()


def _write(record: dict[str, Any]) -> None:
    sys.stdout.write(json.dumps(record) + "\n")
    sys.stdout.flush()


class ConfPlugin(DurableInstrumentationPlugin):
    """Logs the invocation hooks, and the step operation and attempt hooks, as CONFPLUGIN records."""

    def __init__(self, name: str = "CONFPLUGIN", *, faulty: bool = False) -> None:
        self.name, self.faulty, self.arn = name, faulty, None

    def _log(self, hook: str, **fields: Any) -> None:
        _write({"plugin": self.name, "hook": hook, **fields, "durableExecutionArn": self.arn})
        if self.faulty:
            raise RuntimeError(f"{self.name} fails in {hook}")

    def on_invocation_start(self, info: InvocationStartInfo) -> None:
        self.arn = info.execution_arn
        self._log("invocation-start", first=info.is_first_invocation)

    def on_invocation_end(self, info: InvocationEndInfo) -> None:
        self._log("invocation-end", status=info.status.value)

    def on_operation_start(self, info: OperationStartInfo) -> None:
        if info.operation_type == OperationType.STEP:
            self._log("operation-start", op=info.operation_id)

    def on_operation_end(self, info: OperationEndInfo) -> None:
        if info.operation_type == OperationType.STEP:
            self._log("operation-end", op=info.operation_id, status=info.status.value)

    def on_user_function_start(self, info: UserFunctionStartInfo) -> None:
        if info.operation_type == OperationType.STEP:
            self._log("attempt-start", n=info.attempt, op=info.operation_id)

    def on_user_function_end(self, info: UserFunctionEndInfo) -> None:
        if info.operation_type == OperationType.STEP:
            self._log("attempt-end", n=info.attempt, outcome=info.outcome.value, op=info.operation_id)


class ConfPluginFactory:
    def __init__(self, name: str = "CONFPLUGIN", *, faulty: bool = False) -> None:
        self.name, self.faulty = name, faulty

    def create_plugin(self, info: InvocationStartInfo) -> ConfPlugin:
        return ConfPlugin(self.name, faulty=self.faulty)


PLUGIN = [ConfPluginFactory()]


@durable_step
def greet(step_context: StepContext, name: str) -> str:
    step_context.logger.info(f"Greeting step running for: {name}")
    return f"Hello, {name}!"


def _greeting_handler(plugins: list[Any]) -> Any:
    @durable_execution(plugins=plugins)
    def handler(event: Any, context: DurableContext) -> str:
        return context.step(greet(event))

    return handler


HANDLERS.register("10-1")(_greeting_handler(PLUGIN))
HANDLERS.register("10-2")(_greeting_handler(PLUGIN))
HANDLERS.register("10-4")(_greeting_handler([ConfPluginFactory("CONFPLUGIN-FAULTY", faulty=True)]))
HANDLERS.register("10-5")(
    _greeting_handler([ConfPluginFactory("CONFPLUGIN-A"), ConfPluginFactory("CONFPLUGIN-B")])
)


@durable_step
def unreliable(step_context: StepContext) -> str:
    if step_context.attempt < 2:
        raise RuntimeError("the first attempt fails")
    return "Operation succeeded"


@HANDLERS.register("10-3")
@durable_execution(plugins=PLUGIN)
def attempt_hooks(event: Any, context: DurableContext) -> str:
    return context.step(unreliable(), config=fixed_retries(2))


@HANDLERS.register("10-6")
@durable_execution(plugins=PLUGIN)
def first_invocation_flag(event: Any, context: DurableContext) -> None:
    context.wait(Duration.from_seconds(2))


@durable_step
def always_fails(step_context: StepContext) -> str:
    raise RuntimeError("this step always fails")


@HANDLERS.register("10-7")
@durable_execution(plugins=PLUGIN)
def terminal_failure(event: Any, context: DurableContext) -> str:
    return context.step(always_fails(), config=StepConfig(retry_strategy=RetryPresets.none()))
