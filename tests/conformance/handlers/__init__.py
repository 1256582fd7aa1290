"""Durable handlers for the conformance requirements, one module per suite, keyed by requirement id.

Written the way a user writes durable functions: only durable-mp's public API.
"""

from __future__ import annotations

from . import (
    callback,
    child,
    invoke,
    map,
    parallel,
    plugin,
    step,
    wait,
    wait_for_callback,
    wait_for_condition,
)
from ._registry import Handler
from .targets import TARGETS

SUITES: dict[str, dict[str, Handler]] = {
    "step": step.HANDLERS,
    "wait": wait.HANDLERS,
    "child": child.HANDLERS,
    "callback": callback.HANDLERS,
    "invoke": invoke.HANDLERS,
    "wait_for_condition": wait_for_condition.HANDLERS,
    "wait_for_callback": wait_for_callback.HANDLERS,
    "parallel": parallel.HANDLERS,
    "map": map.HANDLERS,
    "plugin": plugin.HANDLERS,
}

__all__ = ["SUITES", "TARGETS", "Handler"]
