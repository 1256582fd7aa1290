"""One invocation's plugins: built from the factories, handed every hook, never allowed to fail it.

`PluginExecutor` is created per invocation. Its hooks run on the calling thread; a hook that raises
is logged and ignored, except KeyboardInterrupt, SystemExit and GeneratorExit, which propagate (the
invocation-end hook still reaches every plugin first). `on_operation_change` notifications go to one
thread per invocation with a single pending slot: what arrives while a delivery runs merges into it.
End hooks run at most once per operation and invocation, whichever path reports them.
"""

from __future__ import annotations

import copy
import datetime
import logging
import threading
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from typing import Any

from durable_mp.exceptions import ErrorObject
from durable_mp.plugins.info import (
    TERMINAL,
    DurableInstrumentationPlugin,
    DurableInstrumentationPluginFactory,
    InvocationEndInfo,
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
    operation_fields,
)
from durable_mp.wire import EXECUTION, READY, Operation, OperationStatus

logger = logging.getLogger("durable_mp.plugin")
_CONTROL = (KeyboardInterrupt, SystemExit, GeneratorExit)
_HOOKS: dict[type, str] = {
    InvocationStartInfo: "on_invocation_start",
    InvocationEndInfo: "on_invocation_end",
    OperationStartInfo: "on_operation_start",
    OperationEndInfo: "on_operation_end",
    OperationChangeInfo: "on_operation_change",
    UserFunctionStartInfo: "on_user_function_start",
    UserFunctionEndInfo: "on_user_function_end",
}
_END_STATUS = {"SUCCEED": OperationStatus.SUCCEEDED, "FAIL": OperationStatus.FAILED}
HookInfo = Any  # one of the info types in _HOOKS


def _contain(error: BaseException, what: str) -> None:
    """Log a plugin failure; re-raise what tells the thread to stop."""
    control: BaseException | None
    contained: BaseException | None
    if isinstance(error, BaseExceptionGroup):
        control, contained = error.split(_CONTROL)
    elif isinstance(error, _CONTROL):
        control, contained = error, None
    else:
        control, contained = None, error
    if contained is not None:
        logger.error("Plugin %s exception ignored", what, exc_info=contained)
    if control is not None:
        raise control


def _infos(ops: Mapping[str, Operation]) -> dict[str, OperationInfo]:
    return {op_id: OperationInfo.from_operation(op) for op_id, op in ops.items()}


def op_identity(update: dict[str, Any]) -> dict[str, Any]:
    """The OperationInfo identity fields of an operation update."""
    return {
        "operation_id": update["Id"],
        "operation_type": OperationType(update["Type"]),
        "sub_type": update.get("SubType"),
        "name": update.get("Name"),
        "parent_id": update.get("ParentId"),
    }


class PluginExecutor:
    """The plugins of one invocation and every way a hook reaches them."""

    def __init__(self, plugins: Sequence[DurableInstrumentationPluginFactory] | None) -> None:
        self._factories = list(plugins or ())  # the factories, named `plugins` as officially
        self._plugins: list[DurableInstrumentationPlugin] = []
        self._started: list[DurableInstrumentationPlugin] = []
        self._start_info: InvocationStartInfo | None = None
        self._operations: Callable[[], Mapping[str, Operation]] | None = None
        self._once: set[tuple[str, str]] = set()
        self._lock = threading.Lock()
        self._changes: _ChangeThread | None = None
        self.updated_ids: frozenset[str] = frozenset()

    # -- dispatch -------------------------------------------------------------------------------------

    def execute(self, info: HookInfo, *, finish_fan_out: bool = False) -> None:
        """Hand `info` to every started plugin, in registration order, on this thread."""
        starting = isinstance(info, InvocationStartInfo)
        method = _HOOKS[type(info)]
        held: BaseException | None = None
        for plugin in list(self._plugins if starting else self._started):
            if starting:
                self._started.append(plugin)
            try:
                getattr(plugin, method)(info)
            except BaseException as error:  # noqa: BLE001 - a plugin must not fail the execution
                try:
                    _contain(error, type(plugin).__name__)
                except BaseException as control:
                    if not finish_fan_out:
                        raise
                    held = held or control
        if held is not None:
            raise held

    def _first(self, kind: str, op_id: str) -> bool:
        with self._lock:
            if (kind, op_id) in self._once:
                return False
            self._once.add((kind, op_id))
            return True

    def deliver(self, info: HookInfo) -> None:
        """Dispatch an info built elsewhere (a worker process), keeping end and replay hooks to one each."""
        if isinstance(info, OperationEndInfo) and not self._first("end", info.operation_id):
            return
        replayed = isinstance(info, OperationStartInfo) and info.is_replayed
        if replayed and not self._first("replay", info.operation_id):
            return
        self.execute(info)

    # -- invocation -----------------------------------------------------------------------------------

    def invocation_start(
        self,
        *,
        execution_arn: str,
        is_first_invocation: bool,
        execution_start_time: datetime.datetime | None,
        lambda_context: Any,
        execution_input: Any,
        operations: Callable[[], Mapping[str, Operation]],
        updated_operation_ids: Sequence[str] = (),
    ) -> None:
        self._operations = operations
        self.updated_ids = frozenset(updated_operation_ids)
        snapshot = _infos(operations())
        info = InvocationStartInfo(
            request_id=getattr(lambda_context, "aws_request_id", None),
            execution_arn=execution_arn,
            is_first_invocation=is_first_invocation,
            execution_start_time=execution_start_time,
            execution_input=_copy(execution_input),
            operations=snapshot,
            updated_operations={i: snapshot[i] for i in updated_operation_ids if i in snapshot},
        )
        self._start_info = info
        self._plugins = [p for p in (self._create(f, info) for f in self._factories) if p is not None]
        self.execute(info)

    def _create(
        self, factory: DurableInstrumentationPluginFactory, info: InvocationStartInfo
    ) -> DurableInstrumentationPlugin | None:
        name = type(factory).__qualname__ if not isinstance(factory, type) else factory.__qualname__
        try:
            plugin = factory.create_plugin(info)
        except BaseException as error:  # noqa: BLE001 - a factory must not fail the execution
            _contain(error, f"factory {name}")
            return None
        if not isinstance(plugin, DurableInstrumentationPlugin):
            logger.error(
                "Plugin factory %s returned %s, which is not a DurableInstrumentationPlugin; plugin ignored",
                name,
                type(plugin).__qualname__,
            )
            return None
        return plugin

    def invocation_end(self, output: Mapping[str, Any]) -> None:
        """The end hook for the invocation output `output` (after every pending change notification)."""
        start = self._start_info
        if start is None:
            return
        held: BaseException | None = None
        try:
            if self._changes is not None:
                self._changes.join()
        except BaseException as control:  # noqa: BLE001 - re-raised after the end hook
            held = control
        error = output.get("Error")
        ops = self._operations
        info = InvocationEndInfo(
            request_id=start.request_id,
            execution_arn=start.execution_arn,
            is_first_invocation=start.is_first_invocation,
            execution_start_time=start.execution_start_time,
            execution_input=start.execution_input,
            operations=_infos(ops()) if ops is not None else start.operations,
            status=InvocationStatus(output.get("Status", "FAILED")),
            error=ErrorObject.from_dict(error) if isinstance(error, dict) else error,
            execution_result=output.get("Result"),
        )
        try:
            self.execute(info, finish_fan_out=True)
        finally:
            self._plugins, self._started = [], []
        if held is not None:
            raise held

    # -- operations -----------------------------------------------------------------------------------

    def operation_started(self, update: dict[str, Any], previous: Operation | None) -> None:
        """Before a START update is queued."""
        self.execute(
            OperationStartInfo(
                **op_identity(update),
                start_time=None if previous is None else operation_fields(previous)["start_time"],
                is_replayed=previous is not None,
                status=OperationStatus.STARTED,
            )
        )

    def operation_ended(self, update: dict[str, Any], op: Operation | None) -> None:
        """After a terminal update was checkpointed (`op`: the recorded operation, when the response had it)."""
        if not self._first("end", update["Id"]):
            return
        if op is not None and op.is_terminal:
            self.execute(OperationEndInfo(**operation_fields(op), is_replayed=False))
            return
        error = update.get("Error")
        self.execute(
            OperationEndInfo(
                **op_identity(update),
                start_time=None,
                end_time=datetime.datetime.now(datetime.UTC),
                is_replayed=False,
                status=_END_STATUS[update["Action"]],
                result=update.get("Payload"),
                error=ErrorObject.from_dict(error) if error else None,
            )
        )

    def context_ended(
        self,
        identity: dict[str, Any],
        status: OperationStatus,
        error: ErrorObject | None = None,
        is_replayed: bool = False,
    ) -> None:
        """A child context that writes no terminal checkpoint (a FLAT item, a ReplayChildren body) ended."""
        self.deliver(context_end(identity, status, error, is_replayed))

    def operation_replayed(self, op: Operation) -> None:
        """A recorded operation seen again: a non-terminal one is (re)started; one that ended while
        the execution was suspended (listed in UpdatedOperationIds) ends here."""
        for info in replay_infos(op, self.updated_ids):
            self.deliver(info)

    @contextmanager
    def user_function(
        self, identity: dict[str, Any], attempt: int | None = None, is_replay_children: bool = False
    ) -> Iterator[None]:
        """Wrap one run of user code in the user-function start and end hooks."""
        with user_function_hooks(self.execute, identity, attempt, is_replay_children):
            yield

    def propagation_metadata(self, info: PropagationInput) -> PropagationMetadata:
        """The first non-blank trace id the plugins provide, in registration order."""
        for plugin in list(self._started):
            try:
                metadata = plugin.provide_propagation_metadata(info)
                if metadata is None:
                    continue
                if not isinstance(metadata, PropagationMetadata):
                    raise TypeError("expected PropagationMetadata or None")
                value = metadata.x_amzn_trace_id
                if value is not None and not isinstance(value, str):
                    raise TypeError("x_amzn_trace_id must be a string or None")
            except BaseException as error:  # noqa: BLE001 - a plugin must not fail the execution
                _contain(error, f"{type(plugin).__name__} propagation metadata")
                continue
            if value is not None and value.strip():
                return PropagationMetadata(x_amzn_trace_id=str(value))
        return PropagationMetadata()

    # -- changes --------------------------------------------------------------------------------------

    def operations_changed(self, changed: Sequence[Operation], ops: Mapping[str, Operation]) -> None:
        """Called by the checkpoint path after a response merged: queue one change notification."""
        start = self._start_info
        if start is None or not changed:
            return
        with self._lock:
            if self._changes is None:
                self._changes = _ChangeThread(self, start.execution_arn)
        self._changes.submit(changed, ops)


def replay_infos(op: Operation, updated_ids: frozenset[str]) -> list[HookInfo]:
    """The hooks a replayed operation gives (see `PluginExecutor.operation_replayed`)."""
    if op.type == EXECUTION or op.status == READY:
        return []
    status = OperationStatus(op.status)
    if op.id in updated_ids:  # changed while suspended: an end if it ended, no replay start
        return (
            [OperationEndInfo(**{**operation_fields(op), "is_replayed": False})] if status in TERMINAL else []
        )
    if status not in TERMINAL:
        return [OperationStartInfo(**{**operation_fields(op), "is_replayed": True})]
    return []


def context_end(
    identity: dict[str, Any], status: OperationStatus, error: ErrorObject | None, is_replayed: bool
) -> OperationEndInfo:
    """The end hook of a child context that has no terminal checkpoint to build it from."""
    return OperationEndInfo(
        **identity,
        start_time=None,
        end_time=datetime.datetime.now(datetime.UTC),
        is_replayed=is_replayed,
        status=status,
        error=error,
    )


@contextmanager
def user_function_hooks(
    emit: Callable[[Any], None], identity: dict[str, Any], attempt: int | None, is_replay_children: bool
) -> Iterator[None]:
    """Emit a user function's start info, run the block, then its end info with the block's outcome:
    the one implementation for the parent's dispatcher and for a worker's forwarder."""
    start = UserFunctionStartInfo(
        **identity,
        start_time=datetime.datetime.now(datetime.UTC),
        is_replayed=False,
        status=OperationStatus.STARTED,
        is_replay_children=is_replay_children,
        attempt=attempt,
    )
    emit(start)
    outcome, error = UserFunctionOutcome.INCOMPLETE, None
    try:
        yield
        outcome = UserFunctionOutcome.SUCCEEDED
    except Exception as exc:
        outcome, error = UserFunctionOutcome.FAILED, ErrorObject.from_exception(exc)
        raise
    finally:
        emit(UserFunctionEndInfo.from_start_info(start, error, outcome=outcome))


def _copy(value: Any) -> Any:
    try:
        return copy.deepcopy(value)
    except Exception:
        logger.exception("Failed to copy execution input for plugins; omitting plugin input")
        return None


class _ChangeThread:
    """The invocation's `on_operation_change` thread, with one pending notification.

    Responses that arrive while a delivery runs merge into the pending one: every operation they
    changed, in its newest state, and the newest full map. The infos are built here, not on the thread
    that merged the response. The info of an operation is built once per recorded state (a merge
    replaces the Operation object), so a notification costs one dict lookup per unchanged operation.
    """

    def __init__(self, executor: PluginExecutor, execution_arn: str | None) -> None:
        self._executor, self._arn = executor, execution_arn
        self._built: dict[str, tuple[Operation, OperationInfo]] = {}  # only this thread touches it
        self._changed: dict[str, Operation] = {}
        self._ops: Mapping[str, Operation] | None = None
        self._stopping = False
        self._cond = threading.Condition()
        self._thread = threading.Thread(target=self._run, name="durable-mp-plugin-change", daemon=True)
        self._thread.start()

    def submit(self, changed: Sequence[Operation], ops: Mapping[str, Operation]) -> None:
        with self._cond:
            self._changed.update((op.id, op) for op in changed)
            self._ops = ops
            self._cond.notify()

    def _take(self) -> OperationChangeInfo | None:
        ops = self._ops
        if ops is None:
            return None
        changed, self._changed, self._ops = self._changed, {}, None
        return OperationChangeInfo(
            execution_arn=self._arn,
            updated_operations={i: self._info(ops.get(i, op)) for i, op in changed.items()},
            operations={i: self._info(op) for i, op in ops.items()},
        )

    def _info(self, op: Operation) -> OperationInfo:
        built = self._built.get(op.id)
        if built is None or built[0] is not op:
            built = self._built[op.id] = (op, OperationInfo.from_operation(op))
        return built[1]

    def join(self) -> None:
        with self._cond:
            self._stopping = True
            self._cond.notify()
        self._thread.join()

    def _run(self) -> None:
        while True:
            with self._cond:
                while self._ops is None and not self._stopping:
                    self._cond.wait()
                info = self._take()
            if info is None:
                return
            try:
                self._executor.execute(info, finish_fan_out=True)
            except BaseException:
                logger.exception(
                    "Plugin on_operation_change hook raised on the plugin change thread; ignored"
                )
