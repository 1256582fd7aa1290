"""A plugin that records every hook it receives, shared by the plugin tests (module level, so it pickles)."""

from __future__ import annotations

import threading
from typing import Any

from durable_mp.plugin import DurableInstrumentationPlugin, InvocationStartInfo, PropagationMetadata

HOOKS = (
    "on_invocation_start",
    "on_invocation_end",
    "on_operation_start",
    "on_operation_end",
    "on_operation_change",
    "on_user_function_start",
    "on_user_function_end",
)


class Recorder(DurableInstrumentationPlugin):
    def __init__(
        self, events: list[tuple[str, Any]], fail: bool = False, trace_id: str | None = None
    ) -> None:
        self.events, self.fail, self.trace_id = events, fail, trace_id
        self.lock = threading.Lock()

    def __getattribute__(self, name: str) -> Any:
        if name in HOOKS:

            def hook(info: Any) -> None:
                with object.__getattribute__(self, "lock"):
                    object.__getattribute__(self, "events").append((name, info))
                if object.__getattribute__(self, "fail"):
                    raise RuntimeError(f"plugin fails in {name}")

            return hook
        return object.__getattribute__(self, name)

    def provide_propagation_metadata(self, info: Any) -> PropagationMetadata | None:
        self.events.append(("provide_propagation_metadata", info))
        return PropagationMetadata(x_amzn_trace_id=self.trace_id) if self.trace_id else None


class RecorderFactory:
    def __init__(self, fail: bool = False, trace_id: str | None = None) -> None:
        self.events: list[tuple[str, Any]] = []
        self.created: list[InvocationStartInfo] = []
        self.fail, self.trace_id = fail, trace_id

    def create_plugin(self, info: InvocationStartInfo) -> Recorder:
        self.created.append(info)
        return Recorder(self.events, self.fail, self.trace_id)

    def names(self) -> list[str]:
        return [name for name, _ in self.events]

    def of(self, hook: str) -> list[Any]:
        return [info for name, info in self.events if name == hook]
