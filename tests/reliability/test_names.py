"""Operation names are validated as the service validates them (1-256 printable ASCII characters, a
str), for every operation, with a clear error before anything is checkpointed."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from durable_mp import DurableContext, durable_execution
from durable_mp.config import Duration, MapConfig, ParallelBranch
from durable_mp.exceptions import ValidationError
from durable_mp.names import validate_operation_name
from durable_mp.testing import DurableFunctionTestRunner
from durable_mp.waits import WaitForConditionConfig, WaitForConditionDecision

BAD = ["x" * 257, "caf\u00e9", "two\nlines", "tab\there", "", 42]


@pytest.mark.parametrize("name", ["a", "x" * 256, " ~!\"#$%&'()*+,-./09:;<=>?@AZ[\\]^_`az{|}"])
def test_names_the_service_accepts(name: str) -> None:
    validate_operation_name(name)


@pytest.mark.parametrize("name", BAD)
def test_names_the_service_rejects(name: Any) -> None:
    with pytest.raises(ValidationError, match="name of a step"):
        validate_operation_name(name, "a step")


def never(*a: Any) -> Any:
    raise AssertionError("must not run")


def condition_config() -> WaitForConditionConfig[Any]:
    return WaitForConditionConfig(
        initial_state=0, wait_strategy=lambda s, n: WaitForConditionDecision.stop_polling()
    )


OPERATIONS: dict[str, Callable[[DurableContext, Any], Any]] = {
    "step": lambda ctx, n: ctx.step(never, name=n),
    "wait": lambda ctx, n: ctx.wait(Duration.from_seconds(1), name=n),
    "create_callback": lambda ctx, n: ctx.create_callback(name=n),
    "wait_for_callback": lambda ctx, n: ctx.wait_for_callback(never, name=n),
    "wait_for_condition": lambda ctx, n: ctx.wait_for_condition(never, config=condition_config(), name=n),
    "invoke": lambda ctx, n: ctx.invoke("other", {}, name=n),
    "child": lambda ctx, n: ctx.run_in_child_context(never, name=n),
    "map": lambda ctx, n: ctx.map([1], never, name=n, config=MapConfig(executor="inline")),
    "map item_namer": lambda ctx, n: ctx.map(
        [1], never, config=MapConfig(executor="inline", item_namer=lambda item, i: n)
    ),
    "parallel": lambda ctx, n: ctx.parallel([never], name=n),
    "parallel branch": lambda ctx, n: ctx.parallel([ParallelBranch(never, n)]),
}


@durable_execution
def naming(event: dict[str, Any], ctx: DurableContext) -> str:
    ctx.step(lambda _: "before", name="before")
    name = event.get("name", 42)
    try:
        OPERATIONS[event["op"]](ctx, name)
    except ValidationError as exc:
        return f"ValidationError: {exc}"
    return "accepted"


@pytest.mark.parametrize("op", sorted(OPERATIONS))
@pytest.mark.parametrize("name", ["x" * 257, "caf\u00e9", "new\nline", None])
def test_every_operation_refuses_a_bad_name_before_any_checkpoint(op: str, name: str | None) -> None:
    event = {"op": op} if name is None else {"op": op, "name": name}  # None: the int name 42
    with DurableFunctionTestRunner(naming) as runner:
        result = runner.run(input=event, timeout=30)
        ops = runner.service.operations(result.execution_arn)
    assert result.status.value == "SUCCEEDED", result.error
    assert result.result_value.startswith("ValidationError: the name of"), result.result_value
    assert [o.get("Name") for o in ops if o["Type"] != "EXECUTION"] == ["before"]
