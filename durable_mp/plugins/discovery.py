"""Which plugin factories an execution uses: those passed to `durable_execution(plugins=[...])`, then
those named in `DURABLE_EXECUTION_PLUGINS` (comma-separated entry-point names of the group
`aws_durable_execution.plugins`).

Checked when the handler is decorated, so a wrong registration fails at import with `PluginLoadError`
naming the entry: a plugin instance, a plugin class, a lambda, or a factory class instead of a factory.
A factory class may declare `__durable_registration_api__ = 1` with `exclusive_group = "<name>"`
(two factories of one group cannot load together) and `on_registration_result(registered)`.
"""

from __future__ import annotations

import inspect
import logging
import os
from collections.abc import Mapping, Sequence
from importlib import metadata
from typing import Any

from durable_mp.exceptions import PluginLoadError
from durable_mp.plugins.info import DurableInstrumentationPluginFactory

logger = logging.getLogger("durable_mp.plugin_discovery")

PLUGIN_ENTRY_POINT_GROUP = "aws_durable_execution.plugins"
PLUGIN_ENVIRONMENT_VARIABLE = "DURABLE_EXECUTION_PLUGINS"
_PROBE = object()


def _describe(value: object) -> str:
    def qualified(obj: object) -> str:
        module = getattr(obj, "__module__", None) or "unknown module"
        return f"{module}.{getattr(obj, '__qualname__', None) or '<unnamed>'}"

    if isinstance(value, type):
        return f"the class {qualified(value)}"
    if inspect.isroutine(value):
        return f"the function {qualified(value)}"
    return f"an instance of {qualified(type(value))}"


def is_plugin_factory(value: object) -> bool:
    """True when `value` has a `create_plugin` callable with one positional argument (no code runs)."""
    create = getattr(value, "create_plugin", None)
    if not callable(create):
        return False
    unbound = (
        isinstance(value, type) and getattr(create, "__self__", None) is None and inspect.isfunction(create)
    )
    if unbound and not isinstance(inspect.getattr_static(value, "create_plugin", None), staticmethod):
        return False  # an instance method read off the class: the info would bind to self
    try:
        inspect.signature(create).bind(_PROBE)
    except TypeError:
        return False
    except ValueError:
        return True
    return True


def _factory_type(factory: object) -> type:
    return factory if isinstance(factory, type) else type(factory)


def _groups(factory_type: type) -> list[str]:
    """The exclusive groups a factory class (and its opted-in bases) declares."""
    groups: list[str] = []
    for klass in factory_type.__mro__:
        if klass.__dict__.get("__durable_registration_api__") != 1:
            continue
        group = klass.__dict__.get("exclusive_group", getattr(klass, "exclusive_group", None))
        if group is None:
            continue
        if not isinstance(group, str) or not group.strip():
            raise PluginLoadError(
                f"Durable instrumentation plugin {factory_type.__qualname__} must declare exclusive_group "
                "as None or a non-empty string."
            )
        if group not in groups:
            groups.append(group)
    return groups


def _check_exclusive(factories: Sequence[object]) -> None:
    owners: dict[str, type] = {}
    for factory in factories:
        factory_type = _factory_type(factory)
        for group in _groups(factory_type):
            previous = owners.get(group)
            if previous is factory_type:
                raise PluginLoadError(
                    f"Durable instrumentation plugin {factory_type.__qualname__} is registered more than once "
                    f"in exclusive group '{group}'. Register this plugin only once in plugins."
                )
            if previous is not None:
                raise PluginLoadError(
                    f"Durable instrumentation plugins {previous.__qualname__} and {factory_type.__qualname__} "
                    f"are mutually exclusive (group '{group}'). Keep only one plugin from this group in "
                    f"plugins and {PLUGIN_ENVIRONMENT_VARIABLE}."
                )
            owners[group] = factory_type


def _configured_names(environment: Mapping[str, str]) -> list[str]:
    raw = environment.get(PLUGIN_ENVIRONMENT_VARIABLE)
    if raw is None or not raw.strip():
        return []
    names = [name.strip() for name in raw.split(",")]
    if any(not name for name in names):
        raise PluginLoadError(
            f"{PLUGIN_ENVIRONMENT_VARIABLE} must contain non-empty, comma-separated plugin names."
        )
    duplicates = sorted({name for name in names if names.count(name) > 1})
    if duplicates:
        raise PluginLoadError(
            f"{PLUGIN_ENVIRONMENT_VARIABLE} contains duplicate plugin name '{duplicates[0]}'."
        )
    return names


def _load_entry_point(name: str, by_name: dict[str, list[Any]], candidates: list[object]) -> object:
    found = by_name.get(name, [])
    if not found:
        available = ", ".join(sorted(by_name)) or "none"
        raise PluginLoadError(
            f"No durable instrumentation plugin provider named '{name}' was found in entry-point group "
            f"'{PLUGIN_ENTRY_POINT_GROUP}'. Installed providers: {available}. Ensure the provider package is "
            "installed in the function artifact or an attached Lambda layer."
        )
    if len(found) > 1:
        raise PluginLoadError(
            f"Multiple durable instrumentation plugin providers named '{name}' were found in entry-point "
            f"group '{PLUGIN_ENTRY_POINT_GROUP}'. Remove the duplicate provider package."
        )
    try:
        factory = found[0].load()
    except Exception as error:
        raise PluginLoadError(
            f"Failed to load durable instrumentation plugin factory '{name}' from '{found[0].value}': {error}"
        ) from error
    candidates.append(factory)
    if not is_plugin_factory(factory):
        raise PluginLoadError(
            f"Durable instrumentation plugin entry point '{name}' must resolve to a plugin factory -- an "
            "object with a create_plugin(info) method returning a DurableInstrumentationPlugin -- but "
            f"resolved to {_describe(factory)}. Name the factory instance, not a plugin, not a plugin "
            "class, and not the factory class."
        )
    return factory


def _resolve(
    explicit: list[object], environment: Mapping[str, str], candidates: list[object]
) -> list[object]:
    for index, factory in enumerate(explicit):
        if not is_plugin_factory(factory):
            raise PluginLoadError(
                f"Durable instrumentation plugin at plugins[{index}] must be a plugin factory -- an object "
                "with a create_plugin(info) method returning a DurableInstrumentationPlugin -- but is "
                f"{_describe(factory)}. Pass a factory rather than a plugin, a plugin class, or a plain "
                "callable, and pass a factory instance rather than the factory class, for example "
                "plugins=[MyPluginFactory(exporter)]."
            )
    factories = list(explicit)
    names = _configured_names(environment)
    if names:
        try:
            entry_points = list(metadata.entry_points(group=PLUGIN_ENTRY_POINT_GROUP))
        except Exception as error:
            raise PluginLoadError(
                f"Failed to inspect installed plugin providers in entry-point group "
                f"'{PLUGIN_ENTRY_POINT_GROUP}': {error}"
            ) from error
        by_name: dict[str, list[Any]] = {}
        for entry_point in entry_points:
            by_name.setdefault(entry_point.name, []).append(entry_point)
        for name in names:
            factory = _load_entry_point(name, by_name, candidates)
            if any(factory is known for known in factories):
                logger.warning(
                    "Skipping dynamically configured plugin '%s' because the same plugin factory is "
                    "already registered.",
                    name,
                )
                continue
            factories.append(factory)
    _check_exclusive(factories)
    return factories


def _notify(factories: Sequence[object], registered: bool) -> None:
    seen: set[int] = set()
    for factory in factories:
        if id(factory) in seen:
            continue
        seen.add(id(factory))
        try:
            if not any(
                k.__dict__.get("__durable_registration_api__") == 1 for k in _factory_type(factory).__mro__
            ):
                continue
            callback = getattr(factory, "on_registration_result", None)
            if callable(callback):
                callback(registered)
        except Exception:
            logger.exception("Plugin registration-result callback failed")


def load_configured_plugins(
    explicit_plugins: Sequence[DurableInstrumentationPluginFactory] | None,
    *,
    environment: Mapping[str, str] | None = None,
) -> list[DurableInstrumentationPluginFactory]:
    """The explicit factories in order, then those named in the environment; raises PluginLoadError."""
    explicit: list[object] = list(explicit_plugins or [])
    candidates = list(explicit)
    try:
        factories = _resolve(explicit, os.environ if environment is None else environment, candidates)
    except Exception:
        _notify(candidates, registered=False)
        raise
    _notify(factories, registered=True)
    return factories  # type: ignore[return-value]
