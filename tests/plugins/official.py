"""Run one scenario on the official SDK 3.0.0 (its testing runner 1.4.0) and on durable-mp, and give the
hook sequence each plugin saw, reduced to what both must agree on (no ids, times or change hooks).

A scenario is `scenario(sdk, runner_cls) -> list of (hook, info)`: it builds its handler with `sdk` (a
namespace of the SDK's modules), registers a recording plugin made by `recorder(sdk)`, runs it and
returns the recorded hooks.
"""

from __future__ import annotations

import importlib
import threading
import types
from collections.abc import Callable
from typing import Any

import pytest

Hook = tuple[str, Any]
Scenario = Callable[[types.SimpleNamespace], list[Hook]]
_MODULES = ("config", "context", "execution", "plugin")
_SKIPPED = {"on_operation_change"}


def sdk(official: bool, executor: str = "threads") -> types.SimpleNamespace:
    """The modules a scenario needs, from the official packages or from durable-mp (whose map/parallel
    run on `executor`)."""
    base = "aws_durable_execution_sdk_python" if official else "durable_mp"
    space = types.SimpleNamespace(official=official, executor=executor)
    for name in _MODULES:
        setattr(space, name, importlib.import_module(f"{base}.{name}"))
    if official:
        space.Runner = importlib.import_module(
            "aws_durable_execution_sdk_python_testing.runner"
        ).DurableFunctionTestRunner
    else:
        space.Runner = importlib.import_module("durable_mp.testing").DurableFunctionTestRunner
    return space


def recorder(space: types.SimpleNamespace) -> tuple[Any, list[Hook]]:
    """A plugin factory for `space`'s SDK and the list its plugins append (hook name, info) to."""
    events: list[Hook] = []
    lock = threading.Lock()
    base = space.plugin.DurableInstrumentationPlugin

    def hook(name: str) -> Callable[[Any, Any], None]:
        def record(self: Any, info: Any) -> None:
            with lock:
                events.append((name, info))

        return record

    names = [n for n in vars(base) if n.startswith("on_")]
    plugin_cls = type("Recorder", (base,), {n: hook(n) for n in names})

    class Factory:
        def create_plugin(self, info: Any) -> Any:
            return plugin_cls()

    return Factory(), events


def _value(x: Any) -> Any:
    return getattr(x, "value", x)


def reduce(events: list[Hook]) -> list[tuple[Any, ...]]:
    """(hook, name, type, sub type, status, is_replayed, extra) per hook; extra: the outcome of a user
    function end, the attempt of a step's user function, the error type of an end."""
    out: list[tuple[Any, ...]] = []
    for hook, info in events:
        if hook in _SKIPPED:
            continue
        if hook.startswith("on_invocation"):
            out.append((hook, _value(getattr(info, "status", None))))
            continue
        extra: Any = None
        if hook == "on_user_function_end":
            extra = _value(info.outcome)
        elif hook == "on_operation_end" and info.error is not None:
            extra = info.error.type
        out.append(
            (
                hook,
                info.name,
                _value(info.operation_type),
                info.sub_type,
                _value(info.status),
                info.is_replayed,
                extra,
            )
        )
    return out


def both(
    scenario: Scenario, executor: str = "threads"
) -> tuple[list[tuple[Any, ...]], list[tuple[Any, ...]]]:
    """The reduced hook sequences of `scenario` on the official SDK and on durable-mp."""
    pytest.importorskip("aws_durable_execution_sdk_python_testing")
    return reduce(scenario(sdk(True))), reduce(scenario(sdk(False, executor)))
