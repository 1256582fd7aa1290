"""Types and protocols of the public API: the contexts handed to user functions, the protocols of
`DurableContext`, `Callback` and `BatchResult`, the Lambda context, and typed identifiers.

Only `config` is imported (for type checking): this module exists to break import cycles.

durable-mp adds typed identifiers, all `str` subclasses usable wherever a string is:
`OperationId`, `CallbackId`, and `ExecutionArn`, which validates the durable execution ARN format
(`arn:<partition>:lambda:<region>:<account>:function:<function>:<qualifier>` followed by
`/durable-execution/<name>/<invocation id>`) and exposes its parts.
"""

from __future__ import annotations

import re
from abc import abstractmethod
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Generic, Protocol, Self, TypeVar

if TYPE_CHECKING:
    from durable_mp.config import (
        CallbackConfig,
        ChildConfig,
        Duration,
        MapConfig,
        ParallelBranch,
        ParallelConfig,
        StepConfig,
    )

T = TypeVar("T")
U = TypeVar("U")
C_co = TypeVar("C_co", covariant=True)
C_contra = TypeVar("C_contra", contravariant=True)


class LoggerInterface(Protocol):
    """What a logger handed to user code offers (a `logging.Logger` fits)."""

    def debug(self, msg: object, *args: object, extra: Mapping[str, object] | None = None) -> None: ...

    def info(self, msg: object, *args: object, extra: Mapping[str, object] | None = None) -> None: ...

    def warning(self, msg: object, *args: object, extra: Mapping[str, object] | None = None) -> None: ...

    def error(self, msg: object, *args: object, extra: Mapping[str, object] | None = None) -> None: ...

    def exception(self, msg: object, *args: object, extra: Mapping[str, object] | None = None) -> None: ...


@dataclass(frozen=True)
class OperationContext:
    """What an operation's user function gets: a logger."""

    logger: LoggerInterface


@dataclass(frozen=True)
class StepContext(OperationContext):
    """What a step function gets; `attempt` is 1 on the first run of the step."""

    attempt: int


@dataclass(frozen=True)
class WaitForCallbackContext(OperationContext):
    """What a wait_for_callback submitter gets."""


@dataclass(frozen=True)
class WaitForConditionCheckContext(OperationContext):
    """What a wait_for_condition check gets; `attempt` is 1 on the first check."""

    attempt: int


class Callback(Protocol, Generic[C_co]):
    """A callback created by `create_callback`: give `callback_id` to the external system."""

    callback_id: str

    @abstractmethod
    def result(self) -> C_co | None:
        """The callback's result; suspends the execution until it arrives."""


class BatchResult(Protocol, Generic[T]):
    """The protocol of map/parallel results (the class is `durable_mp.concurrency.batch.BatchResult`)."""

    @abstractmethod
    def get_results(self) -> list[T]:
        """The results of the items that succeeded."""


class DurableContext(Protocol):
    """The protocol of the durable context (the class is `durable_mp.context.DurableContext`)."""

    @abstractmethod
    def step(
        self, func: Callable[[StepContext], T], name: str | None = None, config: StepConfig | None = None
    ) -> T:
        """Run a step durably."""

    @abstractmethod
    def run_in_child_context(
        self,
        func: Callable[[DurableContext], T],
        name: str | None = None,
        config: ChildConfig[Any] | None = None,
    ) -> T:
        """Run `func` in a child context."""

    @abstractmethod
    def map(
        self,
        inputs: Sequence[U],
        func: Callable[[DurableContext, U, int, Sequence[U]], T],
        name: str | None = None,
        config: MapConfig[Any] | None = None,
    ) -> BatchResult[T]:
        """Apply `func` durably to each input."""

    @abstractmethod
    def parallel(
        self,
        functions: Sequence[Callable[[DurableContext], T] | ParallelBranch[T]],
        name: str | None = None,
        config: ParallelConfig | None = None,
    ) -> BatchResult[T]:
        """Run functions durably in parallel."""

    @abstractmethod
    def wait(self, duration: Duration, name: str | None = None) -> None:
        """Wait durably for `duration`."""

    @abstractmethod
    def create_callback(self, name: str | None = None, config: CallbackConfig | None = None) -> Callback[Any]:
        """Create a callback."""


class LambdaContext(Protocol):
    """The Lambda context object passed to a handler."""

    aws_request_id: str
    log_group_name: str | None = None
    log_stream_name: str | None = None
    function_name: str | None = None
    memory_limit_in_mb: str | None = None
    function_version: str | None = None
    invoked_function_arn: str | None = None
    tenant_id: str | None = None
    client_context: Any | None = None
    identity: Any | None = None

    def get_remaining_time_in_millis(self) -> int: ...

    def log(self, msg: str) -> None: ...


class SummaryGenerator(Protocol[C_contra]):
    """Makes the compact string checkpointed instead of a result over 256 KB (with ReplayChildren)."""

    def __call__(self, result: C_contra) -> str: ...


_DURABLE_EXECUTION_ARN = re.compile(
    r"^arn:[^:]*:lambda:[^:]*:[^:]*:function:([^:/]+):[^:/]+/durable-execution/([^/]+)/([^/]+)$"
)


@dataclass(frozen=True)
class DurableExecutionArn:
    """The function name, execution name and invocation id of a durable execution ARN."""

    function_name: str
    execution_name: str
    invocation_id: str

    @classmethod
    def from_arn(cls, arn: str) -> DurableExecutionArn | None:
        """Parse an ARN; None when it is not a durable execution ARN."""
        match = _DURABLE_EXECUTION_ARN.match(arn)
        if match is None:
            return None
        return cls(match.group(1), match.group(2), match.group(3))


class OperationId(str):
    """The id of a durable operation (a non-empty string)."""

    __slots__ = ()

    def __new__(cls, value: str) -> Self:
        if not isinstance(value, str) or not value:
            raise ValueError(f"an operation id must be a non-empty string, got: {value!r}")
        return super().__new__(cls, value)


class CallbackId(str):
    """The service-assigned id of a callback (a non-empty string)."""

    __slots__ = ()

    def __new__(cls, value: str) -> Self:
        if not isinstance(value, str) or not value:
            raise ValueError(f"a callback id must be a non-empty string, got: {value!r}")
        return super().__new__(cls, value)


_REGION = re.compile(r"^[a-z0-9-]+$")
_ACCOUNT = re.compile(r"^\d{12}$")
_FUNCTION_NAME = re.compile(r"^[A-Za-z0-9_-]{1,64}$")
_QUALIFIER = re.compile(r"^[A-Za-z0-9$_.-]{1,128}$")
_FUNCTION_SHAPE = "arn:<partition>:lambda:<region>:<account>:function:<function>:<qualifier>"
_ARN_SHAPE = f"{_FUNCTION_SHAPE}/durable-execution/<name>/<invocation id>"


class ExecutionArn(str):
    """A validated durable execution ARN; its parts are properties.

    `ExecutionArn("arn:aws:lambda:us-east-1:123456789012:function:fn:$LATEST/durable-execution/run-1/abc")`
    gives region "us-east-1", account "123456789012", function_name "fn", qualifier "$LATEST",
    execution_name "run-1", invocation_id "abc". A malformed ARN raises ValueError saying which part is wrong.
    """

    __slots__ = ()

    def __new__(cls, value: str) -> Self:
        _parse_execution_arn(value)
        return super().__new__(cls, value)

    @property
    def _parts(self) -> tuple[str, str, str, str, str, str, str]:
        return _parse_execution_arn(self)

    @property
    def aws_partition(self) -> str:
        """The partition, e.g. "aws" (not `partition`, which stays `str.partition`)."""
        return self._parts[0]

    @property
    def region(self) -> str:
        """The region, e.g. "us-east-1"."""
        return self._parts[1]

    @property
    def account(self) -> str:
        """The 12-digit account id."""
        return self._parts[2]

    @property
    def function_name(self) -> str:
        """The function name."""
        return self._parts[3]

    @property
    def qualifier(self) -> str:
        """The function version or alias, e.g. "$LATEST"."""
        return self._parts[4]

    @property
    def execution_name(self) -> str:
        """The durable execution's name."""
        return self._parts[5]

    @property
    def invocation_id(self) -> str:
        """The last segment: the id of the EXECUTION operation."""
        return self._parts[6]

    @property
    def function_arn(self) -> str:
        """The qualified function ARN (everything before "/durable-execution/")."""
        return self.split("/durable-execution/", 1)[0]


def _parse_execution_arn(value: object) -> tuple[str, str, str, str, str, str, str]:
    """(partition, region, account, function, qualifier, execution name, invocation id), or ValueError."""
    if not isinstance(value, str):
        raise ValueError(  # noqa: TRY004 - ValueError for any bad input is the tested contract
            f"a durable execution ARN must be a string, got {type(value).__name__}"
        )
    function_arn, sep, execution_path = value.partition("/durable-execution/")
    if not sep:
        raise ValueError(
            f"not a durable execution ARN (no '/durable-execution/'; expected {_ARN_SHAPE}): {value!r}"
        )
    fields = function_arn.split(":")
    if len(fields) != 8 or fields[0] != "arn" or fields[5] != "function":
        raise ValueError(f"the function part must be {_FUNCTION_SHAPE}, got: {function_arn!r}")
    _, partition, service, region, account, _, function, qualifier = fields
    if not partition.startswith("aws"):
        raise ValueError(f"partition must be aws, aws-cn, aws-us-gov..., got: {partition!r} in {value!r}")
    if service != "lambda":
        raise ValueError(f"service must be lambda, got: {service!r} in {value!r}")
    if not _REGION.match(region):
        raise ValueError(f"region must be like us-east-1, got: {region!r} in {value!r}")
    if not _ACCOUNT.match(account):
        raise ValueError(f"account must be 12 digits, got: {account!r} in {value!r}")
    if not _FUNCTION_NAME.match(function):
        raise ValueError(
            f"function name must be 1-64 letters, digits, '-' or '_', got: {function!r} in {value!r}"
        )
    if not _QUALIFIER.match(qualifier):
        raise ValueError(
            f"qualifier must be a version or alias like $LATEST, got: {qualifier!r} in {value!r}"
        )
    segments = execution_path.split("/")
    if len(segments) != 2 or not segments[0] or not segments[1]:
        raise ValueError(
            f"expected /durable-execution/<name>/<invocation id> after the function, got: {execution_path!r}"
        )
    return partition, region, account, function, qualifier, segments[0], segments[1]
