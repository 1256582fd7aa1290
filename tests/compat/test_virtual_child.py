"""`ChildConfig(is_virtual=True)`: the child writes no checkpoint of its own, its operations keep the
caller's ParentId, and it runs again on replay; compared with the official SDK 3.0.0 (testing 1.4.0)."""

from __future__ import annotations

import importlib
import json
from typing import Any

import pytest

pytest.importorskip("aws_durable_execution_sdk_python_testing")


def _v(x: Any) -> Any:
    return getattr(x, "value", x)


def _operations(official: bool) -> tuple[Any, list[tuple[Any, ...]]]:
    base = "aws_durable_execution_sdk_python" if official else "durable_mp"
    config = importlib.import_module(f"{base}.config")
    execution = importlib.import_module(f"{base}.execution")
    runner_cls = (
        importlib.import_module("aws_durable_execution_sdk_python_testing.runner").DurableFunctionTestRunner
        if official
        else importlib.import_module("durable_mp.testing").DurableFunctionTestRunner
    )

    def body(child: Any) -> Any:
        first = child.step(lambda _: 1, name="inner-1")
        child.wait(config.Duration.from_seconds(1), name="inner-wait")  # a replay runs the body again
        return first + child.step(lambda _: 2, name="inner-2")

    def failing(child: Any) -> Any:
        child.step(lambda _: 3, name="inner-3")
        raise ValueError("virtual body failed")

    @execution.durable_execution
    def handler(event: Any, context: Any) -> Any:
        total = context.run_in_child_context(body, name="virtual", config=config.ChildConfig(is_virtual=True))
        try:
            context.run_in_child_context(failing, name="broken", config=config.ChildConfig(is_virtual=True))
        except Exception as exc:  # noqa: BLE001 - the test compares what each SDK raises
            return [total, type(exc).__name__, str(exc)]
        return [total]

    with runner_cls(handler=handler) as runner:
        result = runner.run(input="{}", timeout=30)
        ops = [(_v(op.operation_type), _v(op.sub_type), op.name, op.parent_id) for op in result.operations]
        for op in result.operations:  # children of a context also come back nested
            ops += [
                (_v(c.operation_type), _v(c.sub_type), c.name, c.parent_id)
                for c in getattr(op, "child_operations", [])
            ]
    return json.loads(result.result), sorted(ops, key=str)


def test_a_virtual_child_context_writes_what_the_official_sdk_writes() -> None:
    official_result, official_ops = _operations(official=True)
    ours_result, ours_ops = _operations(official=False)
    assert ours_result == official_result == [3, "ChildContextError", "virtual body failed"]
    assert ours_ops == official_ops
    assert all(kind != "CONTEXT" for kind, *_ in ours_ops)  # no CONTEXT of its own
    assert {parent for *_, parent in ours_ops} == {None}  # the caller's (root) ParentId
