"""durable-mp's testing SDK: the public API of `aws_durable_execution_sdk_python_testing` 1.4.0.

`DurableFunctionTestRunner` runs a handler in-process on the local durable execution service,
`DurableChildContextTestRunner` one child-context function, and `DurableFunctionCloudTestRunner` a
deployed function through boto3 (AWS, or `durable-mp serve`). Module layout as officially:
`durable_mp.testing.runner`, `durable_mp.testing.exceptions`.
"""

from durable_mp.testing.__about__ import __version__
from durable_mp.testing.cloud import DurableFunctionCloudTestRunner
from durable_mp.testing.exceptions import DurableFunctionsTestError
from durable_mp.testing.runner import (
    CallbackOperation,
    ContextOperation,
    DurableChildContextTestRunner,
    DurableFunctionTestResult,
    DurableFunctionTestRunner,
    ExecutionOperation,
    ExecutionStatus,
    InvocationStatus,
    InvokeOperation,
    Latency,
    LocalLambdaClient,
    Operation,
    ServiceLimits,
    StepOperation,
    WaitOperation,
)

__all__ = [
    "CallbackOperation",
    "ContextOperation",
    "DurableChildContextTestRunner",
    "DurableFunctionCloudTestRunner",
    "DurableFunctionTestResult",
    "DurableFunctionTestRunner",
    "DurableFunctionsTestError",
    "ExecutionOperation",
    "ExecutionStatus",
    "InvocationStatus",
    "InvokeOperation",
    "Latency",
    "LocalLambdaClient",
    "Operation",
    "ServiceLimits",
    "StepOperation",
    "WaitOperation",
    "__version__",
]
