"""Registering plugins: factories only, DURABLE_EXECUTION_PLUGINS entry points, exclusive groups."""

from __future__ import annotations

from importlib import metadata
from typing import Any

import pytest

from durable_mp import DurableContext, durable_execution
from durable_mp.exceptions import PluginLoadError
from durable_mp.plugin import DurableInstrumentationPlugin
from durable_mp.plugin_discovery import (
    PLUGIN_ENTRY_POINT_GROUP,
    PLUGIN_ENVIRONMENT_VARIABLE,
    load_configured_plugins,
)

from .recording import Recorder, RecorderFactory


def _handler(event: Any, context: DurableContext) -> None:
    return None


@pytest.mark.parametrize(
    ("entry", "named"),
    [
        (Recorder([]), "an instance of tests.plugins.recording.Recorder"),
        (Recorder, "the class tests.plugins.recording.Recorder"),
        (RecorderFactory, "the class tests.plugins.recording.RecorderFactory"),
        (lambda info: Recorder([]), "the function"),
    ],
)
def test_anything_but_a_factory_is_refused_at_decoration(entry: Any, named: str) -> None:
    with pytest.raises(PluginLoadError, match=r"plugins\[0\] must be a plugin factory") as raised:
        durable_execution(plugins=[entry])(_handler)
    assert named in str(raised.value)


def test_a_classmethod_factory_is_accepted() -> None:
    class Factory:
        @classmethod
        def create_plugin(cls, info: Any) -> DurableInstrumentationPlugin:
            return DurableInstrumentationPlugin()

    assert load_configured_plugins([Factory], environment={}) == [Factory]


class _GroupA:
    __durable_registration_api__ = 1
    exclusive_group = "tracing"

    def __init__(self) -> None:
        self.results: list[bool] = []

    def create_plugin(self, info: Any) -> DurableInstrumentationPlugin:
        return DurableInstrumentationPlugin()

    def on_registration_result(self, registered: bool) -> None:
        self.results.append(registered)


class _GroupB(_GroupA):
    pass


def test_exclusive_group_refuses_two_plugins_and_tells_them() -> None:
    a, b = _GroupA(), _GroupB()
    with pytest.raises(PluginLoadError, match="mutually exclusive \\(group 'tracing'\\)"):
        load_configured_plugins([a, b], environment={})
    assert a.results == [False] and b.results == [False]
    with pytest.raises(PluginLoadError, match="registered more than once"):
        load_configured_plugins([a, _GroupA()], environment={})
    one = _GroupA()
    assert load_configured_plugins([one], environment={}) == [one]
    assert one.results == [True]


FACTORY = RecorderFactory()


class _EntryPoint:
    def __init__(self, name: str, target: Any) -> None:
        self.name, self.value, self.target, self.dist = name, f"tests.plugins:{name}", target, None

    def load(self) -> Any:
        return self.target


def test_environment_names_entry_points_after_the_explicit_factories(monkeypatch: pytest.MonkeyPatch) -> None:
    explicit = RecorderFactory()
    points = [_EntryPoint("recorder", FACTORY), _EntryPoint("bad", Recorder)]

    def entry_points(*, group: str) -> list[Any]:
        assert group == PLUGIN_ENTRY_POINT_GROUP == "aws_durable_execution.plugins"
        return points

    monkeypatch.setattr(metadata, "entry_points", entry_points)
    env = {PLUGIN_ENVIRONMENT_VARIABLE: " recorder "}
    assert load_configured_plugins([explicit], environment=env) == [explicit, FACTORY]
    assert load_configured_plugins([FACTORY], environment=env) == [FACTORY]  # the same factory once
    with pytest.raises(PluginLoadError, match="No durable instrumentation plugin provider named 'nope'"):
        load_configured_plugins([], environment={PLUGIN_ENVIRONMENT_VARIABLE: "nope"})
    with pytest.raises(PluginLoadError, match="entry point 'bad' must resolve to a plugin factory"):
        load_configured_plugins([], environment={PLUGIN_ENVIRONMENT_VARIABLE: "bad"})
    with pytest.raises(PluginLoadError, match="duplicate plugin name 'recorder'"):
        load_configured_plugins([], environment={PLUGIN_ENVIRONMENT_VARIABLE: "recorder,recorder"})
    with pytest.raises(PluginLoadError, match="non-empty"):
        load_configured_plugins([], environment={PLUGIN_ENVIRONMENT_VARIABLE: "recorder,"})
    monkeypatch.setenv(PLUGIN_ENVIRONMENT_VARIABLE, "recorder")
    handler = durable_execution(_handler)
    assert handler.durable_settings.plugins == (FACTORY,)
