"""Instrumentation plugins, at the official SDK's module path (`aws_durable_execution_sdk_python.plugin`).

Register factories, not plugins: `@durable_execution(plugins=[MyPluginFactory()])`, where the factory's
`create_plugin(info)` returns a `DurableInstrumentationPlugin` for one invocation. The implementation
lives in `durable_mp.plugins` (info types, dispatch, discovery, the checkpoint wrapper).
"""

from __future__ import annotations

from durable_mp.plugins.dispatch import PluginExecutor
from durable_mp.plugins.info import (
    DurableInstrumentationPlugin,
    DurableInstrumentationPluginFactory,
    InvocationEndInfo,
    InvocationInfo,
    InvocationStartInfo,
    InvocationStatus,
    OperationChangeInfo,
    OperationEndInfo,
    OperationInfo,
    OperationStartInfo,
    OperationType,
    PropagationInput,
    PropagationMetadata,
    UserFunctionEndInfo,
    UserFunctionOutcome,
    UserFunctionStartInfo,
)
from durable_mp.wire import OperationStatus

__all__ = [
    "DurableInstrumentationPlugin",
    "DurableInstrumentationPluginFactory",
    "InvocationEndInfo",
    "InvocationInfo",
    "InvocationStartInfo",
    "InvocationStatus",
    "OperationChangeInfo",
    "OperationEndInfo",
    "OperationInfo",
    "OperationStartInfo",
    "OperationStatus",
    "OperationType",
    "PluginExecutor",
    "PropagationInput",
    "PropagationMetadata",
    "UserFunctionEndInfo",
    "UserFunctionOutcome",
    "UserFunctionStartInfo",
]
