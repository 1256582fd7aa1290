"""Every public module, name and class attribute of the official SDK 3.0.0 and testing SDK 1.4.0 exists in
durable_mp under the same path (the official API is data in official_api.json, so this runs where the
official packages are not installed); differences are listed below with their reason."""

from __future__ import annotations

import importlib
import inspect
import json
from typing import Any

import pytest

from tests.compat.official_api import DATA, class_attributes, collect, ours

API: dict[str, Any] = json.loads(DATA.read_text())

SDK = "aws_durable_execution_sdk_python"
TESTING = "aws_durable_execution_sdk_python_testing"

_ENGINE = (
    "the official engine's internal machinery: durable-mp's engine is organized differently "
    "(durable_mp.operations, durable_mp.state, durable_mp.concurrency.coordinator/executors); a handler "
    "never uses these"
)
_LOCAL_SERVICE = (
    "the official testing service's internals: durable-mp's local service is durable_mp.local "
    "(stores in durable_mp.local.stores, the HTTP emulator in durable_mp.local.server and `durable-mp serve`, "
    "the CLI is `durable-mp`)"
)

# Official modules durable-mp does not mirror, with the reason
DELIBERATE_MODULES: dict[str, str] = {
    f"{SDK}.concurrency.executor": _ENGINE,
    f"{SDK}.threading": _ENGINE,
    **{
        f"{SDK}.operation{suffix}": _ENGINE
        for suffix in (
            "",
            ".base",
            ".callback",
            ".child",
            ".invoke",
            ".map",
            ".parallel",
            ".step",
            ".wait",
            ".wait_for_condition",
        )
    },
    **{
        name: _LOCAL_SERVICE
        for name in API["modules"]
        if name.startswith(TESTING + ".")
        and name not in (f"{TESTING}.runner", f"{TESTING}.exceptions", f"{TESTING}.__about__")
    },
}

# Official names durable-mp does not have, with the reason
DELIBERATE_NAMES: dict[str, str] = {
    f"{SDK}.plugin.PluginHost": "the official engine's handler-lifetime holder of plugin factories; "
    "durable-mp's @durable_execution keeps the factories in its settings and builds one PluginExecutor per "
    "invocation (durable_mp.plugins.dispatch); handlers and plugins never use it",
    **{
        f"{SDK}.concurrency.models.{name}": _ENGINE
        for name in ("Branch", "BranchEvent", "BranchEventKind", "BranchStatus", "Executable")
    },
    f"{SDK}.concurrency.models.CompletionRecord": "the official large-batch summary envelope: durable-mp "
    "rebuilds a large map/parallel result by replaying its children (ReplayChildren) instead",
    f"{SDK}.concurrency.models.envelope_summary_generator": "as CompletionRecord",
    **{
        f"{SDK}.state.{name}": _ENGINE
        for name in (
            "CHECKPOINT_NOT_FOUND",
            "CheckpointBatcherConfig",
            "CheckpointedResult",
            "QueuedOperation",
        )
    },
    f"{SDK}.state.ScheduledRefresh": _ENGINE,
    **{
        f"{TESTING}{module}.{name}": "the official web runner drives handlers at a separate Lambda endpoint "
        "(SAM local); durable-mp's HTTP emulator is `durable-mp serve` (durable_mp.local.server), which runs "
        "registered handlers itself"
        for module in ("", ".runner")
        for name in ("WebRunner", "WebRunnerConfig")
    },
    f"{TESTING}.runner.DEFAULT_MAX_INVOCATION_PAGE_BYTES": "the local service pages the invocation input by "
    "operation count (1,000 a page, as GetDurableExecutionState), not by bytes",
}

# Official class attributes durable-mp's classes do not have, with the reason
DELIBERATE_ATTRIBUTES: dict[str, str] = {
    **{
        f"{SDK}.plugin.PluginExecutor.{name}": "the official engine's per-invocation dispatcher internals: "
        "durable-mp's PluginExecutor (durable_mp.plugins.dispatch) is driven by its own engine; plugins "
        "only implement the hooks"
        for name in (
            "claim_end_hook",
            "claim_lock",
            "drain_end_hooks",
            "execute_plugins",
            "has_plugins",
            "on_child_context_end",
            "on_invocation_end",
            "on_invocation_start",
            "on_operation_action",
            "on_operation_replay",
            "on_operation_update",
            "on_user_function_end",
            "on_user_function_start",
            "provide_propagation_metadata",
            "record_change",
            "record_end_hooks",
            "run",
            "take_end_hook",
        )
    },
    f"{SDK}.plugin.InvocationEndInfo.from_durable_execution_invocation_output": "the official engine builds "
    "the info from its output object; durable-mp's engine builds it from the output dict",
    **{
        f"{SDK}.state.ExecutionState.{name}": _ENGINE
        for name in (
            "checkpoint_batches_forever",
            "close",
            "create_checkpoint",
            "create_checkpoint_sync",
            "emit_child_context_end_hook",
            "emit_operation_replay_hook",
            "emit_operation_update_hook",
            "fetch_paginated_operations",
            "get_checkpoint_result",
            "get_execution_operation",
            "get_input_payload",
            "has_prior_operations",
            "is_checkpoint_token_revoked",
            "is_operation_updated_since_last_invocation",
            "operations",
            "provide_propagation_metadata",
            "record_branch_fatal_error",
            "register_branch_pool",
            "schedule_refresh",
            "stop_checkpointing",
            "wrap_user_function",
        )
    },
    f"{SDK}.logger.LogInfo.execution_state": "LogInfo carries the execution ARN (execution_arn), not the "
    "ExecutionState, so it can travel to worker processes",
}


def _module(name: str) -> Any:
    return importlib.import_module(ours(name))


def _required_modules() -> list[str]:
    return [m for m in API["modules"] if m not in DELIBERATE_MODULES]


def _missing_modules(names: list[str]) -> list[str]:
    missing = []
    for name in names:
        try:
            _module(name)
        except ImportError:
            missing.append(name)
    return missing


def _missing_names(modules: list[str]) -> list[str]:
    missing = []
    for module_name in modules:
        module = _module(module_name)
        missing += [
            f"{module_name}.{name}"
            for name in API["modules"][module_name]
            if f"{module_name}.{name}" not in DELIBERATE_NAMES and not hasattr(module, name)
        ]
    return missing


def _missing_attributes(modules: list[str]) -> list[str]:
    missing = []
    for qualified, attributes in API["classes"].items():
        module_name, name = qualified.rsplit(".", 1)
        if module_name not in modules or qualified in DELIBERATE_NAMES:
            continue
        cls = getattr(_module(module_name), name)
        if not inspect.isclass(cls):
            missing.append(f"{qualified} (not a class)")
            continue
        have = class_attributes(cls)
        missing += [
            f"{qualified}.{a}"
            for a in attributes
            if a not in have and f"{qualified}.{a}" not in DELIBERATE_ATTRIBUTES
        ]
    return missing


def test_the_name_list_is_the_installed_official_api() -> None:
    pytest.importorskip(SDK)
    pytest.importorskip(TESTING)
    assert collect() == API, "official packages changed: regenerate with python -m tests.compat.official_api"


def test_every_official_module_exists() -> None:
    assert _missing_modules(_required_modules()) == []


def test_every_official_public_name_exists() -> None:
    assert _missing_names(_required_modules()) == []


def test_every_official_class_has_the_official_attributes() -> None:
    assert _missing_attributes(_required_modules()) == []


def test_the_deliberate_differences_are_still_differences() -> None:
    """A listed difference that durable-mp has since filled in must leave the list."""
    assert [m for m in DELIBERATE_MODULES if not _missing_modules([m])] == []
    filled = []
    for qualified in DELIBERATE_NAMES:
        module_name, name = qualified.rsplit(".", 1)
        assert name in API["modules"][module_name], qualified
        if hasattr(_module(module_name), name):
            filled.append(qualified)
    assert filled == []
    for qualified in DELIBERATE_ATTRIBUTES:
        class_name, attribute = qualified.rsplit(".", 1)
        module_name, name = class_name.rsplit(".", 1)
        assert attribute in API["classes"][class_name], qualified
        assert attribute not in class_attributes(getattr(_module(module_name), name)), qualified


# Official parameters durable-mp's functions do not take, with the reason
DELIBERATE_PARAMETERS: dict[str, str] = {
    **{
        f"{module}.DurableContext.__init__": "a context is built by the SDK, not by handlers; durable-mp's "
        "takes the execution state and its position (use from_lambda_context / create_child_context)"
        for module in (SDK, f"{SDK}.context")
    },
    f"{SDK}.state.ExecutionState.__init__": _ENGINE,
    f"{SDK}.logger.LogInfo.__init__": DELIBERATE_ATTRIBUTES[f"{SDK}.logger.LogInfo.execution_state"],
    **{
        f"{SDK}.lambda_service.{cls}.{method}": "durable-mp's service client protocol works on the boto3 "
        "dicts (execution_arn, checkpoint_token, updates / marker, max_items): see durable_mp.service.client"
        for cls in ("DurableServiceClient", "LambdaClient")
        for method in ("checkpoint", "get_execution_state")
    },
}


def _missing_parameters(official: Any, mine: Any) -> list[str]:
    try:
        theirs, ours_ = inspect.signature(official), inspect.signature(mine)
    except (TypeError, ValueError):
        return []
    if any(p.kind is p.VAR_KEYWORD for p in ours_.parameters.values()):
        return []
    return [
        name
        for name, p in theirs.parameters.items()
        if p.kind not in (p.VAR_POSITIONAL, p.VAR_KEYWORD)
        and name not in ("self", "cls", "_")
        and name not in ours_.parameters
    ]


def _parameter_gaps() -> dict[str, list[str]]:
    gaps: dict[str, list[str]] = {}
    for module_name in _required_modules():
        try:
            official, mine = importlib.import_module(module_name), _module(module_name)
        except ImportError:
            continue
        for name in API["modules"][module_name]:
            theirs, ours_ = getattr(official, name, None), getattr(mine, name, None)
            if ours_ is None:
                continue
            pairs = [(f"{module_name}.{name}", theirs, ours_)] if inspect.isfunction(theirs) else []
            if inspect.isclass(theirs) and inspect.isclass(ours_):
                for attribute in dir(theirs):
                    if attribute.startswith("_") and attribute != "__init__":
                        continue
                    member = getattr(theirs, attribute)
                    if (inspect.isfunction(member) or inspect.ismethod(member)) and hasattr(ours_, attribute):
                        pairs.append((f"{module_name}.{name}.{attribute}", member, getattr(ours_, attribute)))
            for qualified, a, b in pairs:
                missing = _missing_parameters(a, b)
                if missing:
                    gaps[qualified] = missing
    return gaps


def test_every_official_function_takes_the_official_parameters() -> None:
    pytest.importorskip(SDK)
    pytest.importorskip(TESTING)
    gaps = _parameter_gaps()
    unexplained = {k: v for k, v in gaps.items() if k not in DELIBERATE_PARAMETERS}
    assert unexplained == {}
    assert [k for k in DELIBERATE_PARAMETERS if k not in gaps] == [], "a listed difference was filled in"


def test_enum_identities_are_the_official_ones() -> None:
    """Officially, plugin.OperationStatus is lambda_service.OperationStatus, while plugin.OperationType and
    plugin.InvocationStatus are classes of their own: a plugin comparing them behaves the same on both."""
    official = pytest.importorskip(f"{SDK}.plugin")
    service = importlib.import_module(f"{SDK}.lambda_service")
    mine, my_service = _module(f"{SDK}.plugin"), _module(f"{SDK}.lambda_service")
    for name in ("OperationStatus", "OperationType"):
        same = getattr(official, name) is getattr(service, name)
        assert (getattr(mine, name) is getattr(my_service, name)) == same, name
