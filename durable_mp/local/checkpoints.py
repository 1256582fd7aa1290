"""CheckpointDurableExecution: validate a batch of OperationUpdates, then apply it all or nothing.

Rules (as the service enforces them):
- at most 250 updates and 750 KB of payloads per request; each payload at most 262,144 bytes (UTF-8),
  except the execution's own result (an EXECUTION SUCCEED too large for the Lambda response), up to 16 MB;
  an error object at most 32,768 bytes; the execution's quotas of operations and of payload bytes
  written (`limits.ServiceLimits`, checked last, against the batch as a whole). These are permanent
  errors, and a rejected batch changes nothing.
- actions per type: EXECUTION SUCCEED|FAIL (one, last in the batch); CONTEXT START|SUCCEED|FAIL;
  STEP START|SUCCEED|FAIL|RETRY; WAIT START|CANCEL; CALLBACK START; CHAINED_INVOKE START.
- transitions: STEP START from READY (or new); STEP SUCCEED/FAIL/RETRY from STARTED or READY (or new);
  CONTEXT SUCCEED/FAIL from STARTED (or new); WAIT CANCEL from STARTED; any START of an existing
  CONTEXT, WAIT, CALLBACK or CHAINED_INVOKE is rejected.
- a ParentId must name an existing operation or a CONTEXT started earlier in the same batch;
  Type, SubType, Name and ParentId of an existing operation cannot change;
  one update per id per batch, except a STEP/CONTEXT START followed by its completion.

`apply_batch` returns the changed operations (in batch order) and the side effects for the service
(timers, callback registration, chained invokes) to carry out after the batch is accepted.
"""

from __future__ import annotations

import json
from typing import Any

from durable_mp.local import history
from durable_mp.local.errors import invalid
from durable_mp.local.executions import Execution
from durable_mp.local.ids import callback_id
from durable_mp.local.limits import ServiceLimits, Usage, check_batch, utf8_len

MAX_UPDATES = 250
MAX_REQUEST_BYTES = 750 * 1024
MAX_PAYLOAD_BYTES = 262_144
MAX_EXECUTION_RESULT_BYTES = 16 * 1024 * 1024
MAX_ERROR_BYTES = 32_768
MAX_SECONDS = 31_622_400

_ACTIONS = {
    "EXECUTION": ("SUCCEED", "FAIL"),
    "CONTEXT": ("START", "SUCCEED", "FAIL"),
    "STEP": ("START", "SUCCEED", "FAIL", "RETRY"),
    "WAIT": ("START", "CANCEL"),
    "CALLBACK": ("START",),
    "CHAINED_INVOKE": ("START",),
}

Effect = tuple[Any, ...]


_DEFAULT_LIMITS = ServiceLimits()
_utf8_len = utf8_len


def check_payload(op_id: str, payload: Any, what: str = "Payload", limit: int = MAX_PAYLOAD_BYTES) -> int:
    if not isinstance(payload, str):
        raise invalid(f"{what} of operation {op_id} must be a string, not {type(payload).__name__}")
    size = _utf8_len(payload)
    if size > limit:
        raise invalid(
            f"{what} of operation {op_id} is {size:,} bytes; the limit is {limit:,} bytes "
            "per operation payload. Store large data elsewhere and checkpoint a reference."
        )
    return size


def check_execution_result(op_id: str, payload: Any) -> None:
    """The EXECUTION SUCCEED payload carries a result over Lambda's 6 MB response: its own, larger limit."""
    if not isinstance(payload, str):
        raise invalid(f"Payload of operation {op_id} must be a string, not {type(payload).__name__}")
    size = _utf8_len(payload)
    if size > MAX_EXECUTION_RESULT_BYTES:
        raise invalid(
            f"the execution result of {op_id} is {size:,} bytes; the limit is "
            f"{MAX_EXECUTION_RESULT_BYTES:,} bytes"
        )


def check_error(op_id: str, error: Any) -> int:
    if not isinstance(error, dict):
        raise invalid(f"Error of operation {op_id} must be an ErrorObject dict")
    size = len(json.dumps(error))
    if size > MAX_ERROR_BYTES:
        raise invalid(f"Error of operation {op_id} is {size:,} bytes; the limit is {MAX_ERROR_BYTES:,} bytes")
    return size


def _int_option(update: dict[str, Any], options_key: str, key: str, low: int, required: bool) -> int:
    options = update.get(options_key)
    if options is None:
        if required:
            raise invalid(
                f"{update['Type']} {update['Action']} of operation {update['Id']} requires {options_key}"
            )
        return 0
    value = options.get(key, 0 if not required else None)
    if type(value) is not int or not low <= value <= MAX_SECONDS:
        raise invalid(
            f"{options_key}.{key} of operation {update['Id']} must be an integer from {low} to "
            f"{MAX_SECONDS}, got {value!r}"
        )
    return value


def _validate_shape(update: Any) -> tuple[str, str, str]:
    if not isinstance(update, dict):
        raise invalid(f"each update must be an OperationUpdate dict, got {type(update).__name__}")
    op_id, op_type, action = update.get("Id"), update.get("Type"), update.get("Action")
    if not isinstance(op_id, str) or not 1 <= len(op_id) <= 64:
        raise invalid(f"update Id must be a string of 1 to 64 characters, got {op_id!r}")
    actions = _ACTIONS.get(op_type)  # type: ignore[arg-type]  # any value: a non-string type is unknown
    if actions is None:
        raise invalid(f"update {op_id} has unknown Type {op_type!r}")
    if action not in actions:
        raise invalid(
            f"Action {action!r} is not valid for a {op_type} operation ({op_id}); valid: {', '.join(actions)}"
        )
    return op_id, str(op_type), str(action)


def _base(
    update: dict[str, Any], op_type: str, now: int, old: dict[str, Any] | None, status: str
) -> dict[str, Any]:
    """A new operation dict carrying over the old one's identity and start time."""
    if old is not None:
        op = dict(old)
        op["Status"] = status
        return op
    op = {"Id": update["Id"], "Type": op_type, "Status": status, "StartTimestamp": now}
    for key in ("ParentId", "Name", "SubType"):
        value = update.get(key)
        if value is not None:
            op[key] = value
    return op


def apply_batch(
    ex: Execution,
    updates: list[dict[str, Any]],
    now: int,
    limits: ServiceLimits = _DEFAULT_LIMITS,
    usage: Usage | None = None,
) -> tuple[list[dict[str, Any]], list[Effect]]:
    """Validate and apply `updates` to `ex`; on any error nothing is changed. `usage` (the execution's,
    checked against `limits`) is updated when the batch is accepted."""
    if not isinstance(updates, list):
        raise invalid("Updates must be a list of OperationUpdate dicts")
    max_updates, max_request = limits.max_request_updates, limits.max_request_bytes
    if len(updates) > max_updates:
        raise invalid(
            f"a checkpoint holds at most {max_updates:,} updates, got {len(updates):,}; the limit is "
            f"{max_updates:,} updates per checkpoint request"
        )
    ops = ex.ops
    staged: dict[str, dict[str, Any]] = {}
    seen: dict[str, str] = {}  # id -> last action in this batch
    events_before = len(ex.events)
    effects: list[Effect] = []
    total = 0
    written = 0
    retries = 0
    try:
        for index, update in enumerate(updates):
            op_id, op_type, action = _validate_shape(update)
            payload = update.get("Payload")
            if payload is not None and op_type == "EXECUTION":
                check_execution_result(op_id, payload)  # a result too large for the Lambda response
                written += _utf8_len(payload)
            elif payload is not None:
                size = check_payload(op_id, payload, limit=limits.max_operation_payload_bytes)
                total += size
                written += size
            error = update.get("Error")
            if error is not None:
                size = check_error(op_id, error)
                total += size
                written += size
            if total > max_request:
                raise invalid(
                    f"the checkpoint's payloads exceed {max_request:,} bytes ({total:,} bytes so far); the limit "
                    f"is {max_request:,} bytes per checkpoint request. Send fewer updates per request."
                )
            if action == "RETRY":
                retries += 1
            last = seen.get(op_id)
            if last is not None and not (
                op_type in ("STEP", "CONTEXT") and last == "START" and action != "START"
            ):
                raise invalid(f"operation {op_id} appears more than once in one checkpoint")
            seen[op_id] = action
            old = staged.get(op_id) or ops.get(op_id)
            parent = update.get("ParentId")
            if old is not None:
                _check_identity(update, old)
            elif parent is not None:
                parent_op = staged.get(parent) or ops.get(parent)
                if parent_op is None:
                    raise invalid(
                        f"ParentId {parent} of operation {op_id} does not name an existing operation"
                    )
            if op_type == "EXECUTION":
                if index != len(updates) - 1:
                    raise invalid("an EXECUTION update must be the last update of its checkpoint")
                if action == "SUCCEED":
                    if error is not None:
                        raise invalid("EXECUTION SUCCEED cannot carry an Error")
                    effects.append(("execution", "SUCCEED", payload))
                else:
                    effects.append(("execution", "FAIL", error))
                continue
            op = _APPLY[op_type](ex, update, action, old, now, effects)
            staged[op_id] = op
        if usage is not None:
            new_ids = sum(1 for op_id in staged if op_id not in ops)
            after = check_batch(limits, usage, new_ids, retries, written)
    except BaseException:
        del ex.events[events_before:]
        raise
    if usage is not None:
        usage.operations, usage.retries, usage.payload_bytes = after
    ops.update(staged)
    return list(staged.values()), effects


def _check_identity(update: dict[str, Any], old: dict[str, Any]) -> None:
    for key in ("Type", "SubType", "Name", "ParentId"):
        value = update.get(key)
        if value is not None and value != old.get(key):
            raise invalid(
                f"operation {old['Id']} has {key} {old.get(key)!r}; an update cannot change it to {value!r}"
            )


def _reject(old: dict[str, Any] | None, op_type: str, action: str, allowed: tuple[str, ...]) -> None:
    if old is not None and old["Status"] not in allowed:
        raise invalid(f"cannot {action} {op_type} operation {old['Id']} in status {old['Status']}")


def _step(
    ex: Execution,
    update: dict[str, Any],
    action: str,
    old: dict[str, Any] | None,
    now: int,
    effects: list[Effect],
) -> dict[str, Any]:
    details = old.get("StepDetails") if old is not None else None
    attempt = details.get("Attempt", 0) if details else 0
    if action == "START":
        _reject(old, "STEP", "START", ("READY",))
        op = _base(update, "STEP", now, old, "STARTED")
        op["StepDetails"] = {"Attempt": attempt}
        history.append(ex, "StepStarted", now, {}, op)
        return op
    _reject(old, "STEP", action, ("STARTED", "READY"))
    payload, error = update.get("Payload"), update.get("Error")
    if action == "RETRY":
        delay = _int_option(update, "StepOptions", "NextAttemptDelaySeconds", 1, True)
        if payload is not None and error is not None:
            raise invalid(f"STEP RETRY of operation {update['Id']} cannot carry both Payload and Error")
        op = _base(update, "STEP", now, old, "PENDING")
        step = {"Attempt": attempt + 1, "NextAttemptTimestamp": now + delay * 1000}
        retry = {"CurrentAttempt": attempt + 1, "NextAttemptDelaySeconds": delay}
        if error is not None:
            step["Error"] = error
            op["StepDetails"] = step
            history.append(
                ex, "StepFailed", now, {"Error": history.wrap_error(error), "RetryDetails": retry}, op
            )
        else:
            if payload is not None:
                step["Result"] = payload
            op["StepDetails"] = step
            history.append(
                ex, "StepSucceeded", now, {"Result": history.wrap(payload), "RetryDetails": retry}, op
            )
        effects.append(("retry", op))
        return op
    retry = {"CurrentAttempt": attempt + 1}
    if action == "SUCCEED":
        if error is not None:
            raise invalid(f"STEP SUCCEED of operation {update['Id']} cannot carry an Error")
        op = _base(update, "STEP", now, old, "SUCCEEDED")
        step = {"Attempt": attempt + 1}  # completed attempts, this one included (as the service counts)
        if payload is not None:
            step["Result"] = payload
        op["StepDetails"] = step
        op["EndTimestamp"] = now
        history.append(ex, "StepSucceeded", now, {"Result": history.wrap(payload), "RetryDetails": retry}, op)
        return op
    if payload is not None:
        raise invalid(f"STEP FAIL of operation {update['Id']} cannot carry a Payload")
    op = _base(update, "STEP", now, old, "FAILED")
    step = {"Attempt": attempt + 1}
    if error is not None:
        step["Error"] = error
    op["StepDetails"] = step
    op["EndTimestamp"] = now
    history.append(ex, "StepFailed", now, {"Error": history.wrap_error(error), "RetryDetails": retry}, op)
    return op


def _context(
    ex: Execution,
    update: dict[str, Any],
    action: str,
    old: dict[str, Any] | None,
    now: int,
    effects: list[Effect],
) -> dict[str, Any]:
    if action == "START":
        if old is not None:
            raise invalid(f"CONTEXT operation {old['Id']} already exists; it cannot START again")
        op = _base(update, "CONTEXT", now, None, "STARTED")
        history.append(ex, "ContextStarted", now, {}, op)
        return op
    _reject(old, "CONTEXT", action, ("STARTED",))
    payload, error = update.get("Payload"), update.get("Error")
    details: dict[str, Any] = {}
    options = update.get("ContextOptions")
    if options and options.get("ReplayChildren"):
        details["ReplayChildren"] = True
    if action == "SUCCEED":
        if error is not None:
            raise invalid(f"CONTEXT SUCCEED of operation {update['Id']} cannot carry an Error")
        op = _base(update, "CONTEXT", now, old, "SUCCEEDED")
        if payload is not None:
            details["Result"] = payload
        op["ContextDetails"] = details
        op["EndTimestamp"] = now
        history.append(ex, "ContextSucceeded", now, {"Result": history.wrap(payload)}, op)
        return op
    if payload is not None:
        raise invalid(f"CONTEXT FAIL of operation {update['Id']} cannot carry a Payload")
    op = _base(update, "CONTEXT", now, old, "FAILED")
    if error is not None:
        details["Error"] = error
    op["ContextDetails"] = details
    op["EndTimestamp"] = now
    history.append(ex, "ContextFailed", now, {"Error": history.wrap_error(error)}, op)
    return op


def _wait(
    ex: Execution,
    update: dict[str, Any],
    action: str,
    old: dict[str, Any] | None,
    now: int,
    effects: list[Effect],
) -> dict[str, Any]:
    if action == "START":
        if old is not None:
            raise invalid(f"WAIT operation {old['Id']} already exists; it cannot START again")
        seconds = _int_option(update, "WaitOptions", "WaitSeconds", 1, True)
        op = _base(update, "WAIT", now, None, "STARTED")
        end = now + seconds * 1000
        op["WaitDetails"] = {"ScheduledEndTimestamp": end}
        history.append(ex, "WaitStarted", now, {"Duration": seconds, "ScheduledEndTimestamp": end}, op)
        effects.append(("wait", op))
        return op
    if old is None or old["Status"] != "STARTED":
        raise invalid(
            f"cannot CANCEL WAIT operation {update['Id']}: it does not exist or has already completed"
        )
    op = _base(update, "WAIT", now, old, "CANCELLED")
    op["EndTimestamp"] = now
    error = update.get("Error")
    history.append(ex, "WaitCancelled", now, {"Error": history.wrap_error(error)} if error else {}, op)
    effects.append(("cancel_wait", op))
    return op


def _callback(
    ex: Execution,
    update: dict[str, Any],
    action: str,
    old: dict[str, Any] | None,
    now: int,
    effects: list[Effect],
) -> dict[str, Any]:
    if old is not None:
        raise invalid(f"CALLBACK operation {old['Id']} already exists; it cannot START again")
    timeout = _int_option(update, "CallbackOptions", "TimeoutSeconds", 0, False)
    heartbeat = _int_option(update, "CallbackOptions", "HeartbeatTimeoutSeconds", 0, False)
    cid = callback_id()
    op = _base(update, "CALLBACK", now, None, "STARTED")
    op["CallbackDetails"] = {"CallbackId": cid}
    details: dict[str, Any] = {"CallbackId": cid}
    if update.get("CallbackOptions") is not None:
        details["Timeout"] = timeout
        details["HeartbeatTimeout"] = heartbeat
    history.append(ex, "CallbackStarted", now, details, op)
    effects.append(("callback", op, cid, timeout, heartbeat))
    return op


def _invoke(
    ex: Execution,
    update: dict[str, Any],
    action: str,
    old: dict[str, Any] | None,
    now: int,
    effects: list[Effect],
) -> dict[str, Any]:
    if old is not None:
        raise invalid(f"CHAINED_INVOKE operation {old['Id']} already exists; it cannot START again")
    options = update.get("ChainedInvokeOptions")
    function = options.get("FunctionName") if isinstance(options, dict) else None
    if not isinstance(function, str) or not function:
        raise invalid(
            f"CHAINED_INVOKE START of operation {update['Id']} requires ChainedInvokeOptions.FunctionName"
        )
    op = _base(update, "CHAINED_INVOKE", now, None, "STARTED")
    op["ChainedInvokeDetails"] = {}
    payload = update.get("Payload")
    details: dict[str, Any] = {"FunctionName": function}
    if payload is not None:
        details["Input"] = history.wrap(payload)
    details["ExecutedVersion"] = "$LATEST"
    tenant = options.get("TenantId")  # type: ignore[union-attr]
    if tenant is not None:
        details["TenantId"] = tenant
    event = history.append(ex, "ChainedInvokeStarted", now, details, op)
    # the service adds DurableExecutionArn to `event` before the batch becomes visible
    effects.append(("invoke", op, function, tenant, payload, event))
    return op


_APPLY = {"STEP": _step, "CONTEXT": _context, "WAIT": _wait, "CALLBACK": _callback, "CHAINED_INVOKE": _invoke}
