"""The HTTP routes of the emulator: botocore's `lambda` REST-JSON wire format <-> the service facade.

Each route turns one parsed HTTP request into a facade call and the answer into an HTTP reply, exactly as
botocore's `lambda` model lays them out: URI parameters are percent-decoded path segments, query strings
carry paging and filters (`Statuses` repeated, timestamps ISO 8601, booleans `true`/`false`), JSON bodies
carry the remaining members, and `payload` members travel as the raw body (a callback's `Result` blob,
the `Error` structure of StopDurableExecution and SendDurableExecutionCallbackFailure, Invoke's
`Payload`). Response timestamps are epoch seconds, botocore's default for rest-json bodies.

Errors answer with the AWS status code, an `x-amzn-ErrorType` header and a JSON body `{"Type", "Message"}`
(`"message"` for the shapes the model spells that way), which boto3 turns into its typed exceptions.

Routes run on a thread of the server's pool (facade calls may block). A synchronous durable Invoke does not
block a thread while the execution runs: its route returns `AwaitExecution` and the server finishes it
with `invoke_reply` once the execution ends.
"""

from __future__ import annotations

import datetime
import json
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qs

from durable_mp.local import ids
from durable_mp.local.errors import invalid
from durable_mp.service.client import ServiceError

DURABLE_API = "2025-12-01"
LAMBDA_API = "2015-03-31"
JSON = "application/json"
_LOWER_MESSAGE = frozenset(
    {
        "InvalidParameterValueException",
        "TooManyRequestsException",
        "InvalidRequestContentException",
        "RequestTooLargeException",
    }
)
_ISO = re.compile(r"(\d{4})-(\d\d)-(\d\d)T(\d\d):(\d\d):(\d\d)(\.\d+)?(Z|[+-]\d\d:?\d\d)?")


@dataclass(slots=True)
class Request:
    method: str
    path: str
    query: str
    headers: dict[str, str]
    body: bytes


@dataclass(slots=True)
class Reply:
    status: int
    body: bytes = b""
    headers: list[tuple[str, str]] = field(default_factory=list)
    content_type: str = JSON


@dataclass(slots=True)
class AwaitExecution:
    """A synchronous Invoke of a durable function: answer once the execution `arn` has ended."""

    arn: str


def error_reply(code: str, message: str, status: int) -> Reply:
    """The AWS error answer boto3 maps to `client.exceptions.<code>`."""
    key = "message" if code in _LOWER_MESSAGE else "Message"
    kind = "Service" if status >= 500 else "User"
    body = json.dumps({"Type": kind, key: message}).encode()
    return Reply(status, body, [("x-amzn-ErrorType", code)])


def service_error_reply(exc: ServiceError) -> Reply:
    return error_reply(exc.code, exc.message, exc.status)


def bad_content(message: str) -> ServiceError:
    return ServiceError("InvalidRequestContentException", message, status=400, retriable=False)


# ---------------------------------------------------------------------------------------- encoding


def _epoch_seconds(value: Any) -> float:
    if isinstance(value, datetime.datetime):
        return value.timestamp()
    raise TypeError(f"{type(value).__name__} is not JSON serializable")


_encode = json.JSONEncoder(separators=(",", ":"), default=_epoch_seconds).encode


def _ms_to_seconds(obj: Any) -> Any:
    """A copy of `obj` whose epoch-ms `*Timestamp` values are epoch seconds (the facade's SDK-side calls)."""
    if isinstance(obj, dict):
        return {
            k: (v / 1000.0 if k.endswith("Timestamp") and isinstance(v, (int, float)) else _ms_to_seconds(v))
            for k, v in obj.items()
        }
    if isinstance(obj, list):
        return [_ms_to_seconds(v) for v in obj]
    return obj


def _ok(payload: dict[str, Any]) -> Reply:
    return Reply(200, _encode(payload).encode())


# ---------------------------------------------------------------------------------------- request parsing


def _no_constant(name: str) -> Any:
    raise ValueError(f"{name} is not valid JSON")


def strict_json(data: bytes | str) -> Any:
    """Parse JSON as RFC 8259 has it: no NaN / Infinity; too deep a nesting is a ValueError too."""
    try:
        return json.loads(data, parse_constant=_no_constant)
    except RecursionError:
        raise ValueError("the JSON is nested too deeply") from None


def _json_body(req: Request, *, optional: bool = False) -> dict[str, Any]:
    if not req.body.strip():
        if optional:
            return {}
        raise bad_content("Could not parse request body into json: the body is empty")
    try:
        value = strict_json(req.body)
    except ValueError as exc:  # UnicodeDecodeError is one
        raise bad_content(f"Could not parse request body into json: {exc}") from None
    if not isinstance(value, dict):
        raise bad_content(
            f"Could not parse request body into json: expected an object, got {type(value).__name__}"
        )
    return value


def _error_object(req: Request) -> dict[str, Any] | None:
    """An ErrorObject sent as the whole body (payload member), or None for an empty body."""
    body = _json_body(req, optional=True)
    if not body:
        return None
    for key, value in body.items():
        if key == "StackTrace":
            if not isinstance(value, list) or not all(isinstance(line, str) for line in value):
                raise invalid("Error.StackTrace must be a list of strings")
        elif key in ("ErrorMessage", "ErrorType", "ErrorData"):
            if not isinstance(value, str):
                raise invalid(f"Error.{key} must be a string")
        else:
            raise invalid(f"Error has an unknown member {key!r}")
    return body


class _Query:
    def __init__(self, raw: str) -> None:
        try:
            self._values = parse_qs(raw, keep_blank_values=True, strict_parsing=False, errors="strict")
        except UnicodeDecodeError:
            raise invalid("the query string is not valid UTF-8") from None

    def text(self, name: str) -> str | None:
        values = self._values.get(name)
        return None if values is None else values[-1]

    def texts(self, name: str) -> list[str] | None:
        return self._values.get(name)

    def integer(self, name: str) -> int | None:
        value = self.text(name)
        if value is None:
            return None
        if not re.fullmatch(r"-?\d{1,10}", value):
            raise invalid(f"{name} must be an integer, got {value!r}")
        return int(value)

    def boolean(self, name: str) -> bool:
        value = self.text(name)
        if value is None:
            return False
        if value.lower() not in ("true", "false"):
            raise invalid(f"{name} must be true or false, got {value!r}")
        return value.lower() == "true"

    def timestamp(self, name: str) -> datetime.datetime | None:
        value = self.text(name)
        if value is None:
            return None
        match = _ISO.fullmatch(value)
        if match is None:
            try:
                return datetime.datetime.fromtimestamp(float(value), tz=datetime.UTC)
            except (ValueError, OverflowError):
                raise invalid(f"{name} must be an ISO 8601 timestamp, got {value!r}") from None
        try:
            parsed = datetime.datetime.fromisoformat(value)
        except ValueError:
            raise invalid(f"{name} is not a valid timestamp: {value!r}") from None
        return parsed if parsed.tzinfo else parsed.replace(tzinfo=datetime.UTC)


def _kwargs(**values: Any) -> dict[str, Any]:
    return {k: v for k, v in values.items() if v is not None}


# ---------------------------------------------------------------------------------------- routes

Handler = Callable[[Any, Request, list[str]], "Reply | AwaitExecution"]


def get_execution(service: Any, req: Request, args: list[str]) -> Reply:
    return _ok(service.get_durable_execution(DurableExecutionArn=args[0]))


def get_history(service: Any, req: Request, args: list[str]) -> Reply:
    q = _Query(req.query)
    return _ok(
        service.get_durable_execution_history(
            DurableExecutionArn=args[0],
            IncludeExecutionData=q.boolean("IncludeExecutionData"),
            MaxItems=q.integer("MaxItems"),
            Marker=q.text("Marker"),
            ReverseOrder=q.boolean("ReverseOrder"),
        )
    )


def get_state(service: Any, req: Request, args: list[str]) -> Reply:
    q = _Query(req.query)
    token = q.text("CheckpointToken")
    if not token:
        raise invalid("CheckpointToken is required")
    page = service.get_durable_execution_state(
        DurableExecutionArn=args[0],
        CheckpointToken=token,
        Marker=q.text("Marker"),
        MaxItems=q.integer("MaxItems"),
    )
    return _ok(_ms_to_seconds(page))


def checkpoint(service: Any, req: Request, args: list[str]) -> Reply:
    body = _json_body(req)
    token = body.get("CheckpointToken")
    if not isinstance(token, str) or not token:
        raise invalid("CheckpointToken is required and must be a string")
    updates = body.get("Updates", [])
    if not isinstance(updates, list):
        raise invalid("Updates must be a list of OperationUpdate objects")
    response = service.checkpoint_durable_execution(
        DurableExecutionArn=args[0],
        CheckpointToken=token,
        Updates=updates,
        ClientToken=body.get("ClientToken"),
    )
    out: dict[str, Any] = {"NewExecutionState": _ms_to_seconds(response["NewExecutionState"])}
    if response.get("CheckpointToken"):
        out["CheckpointToken"] = response["CheckpointToken"]
    if out["NewExecutionState"].get("NextMarker") is None:
        out["NewExecutionState"].pop("NextMarker", None)
    return _ok(out)


def list_executions(service: Any, req: Request, args: list[str]) -> Reply:
    q = _Query(req.query)
    return _ok(
        service.list_durable_executions_by_function(
            **_kwargs(
                FunctionName=args[0],
                Qualifier=q.text("Qualifier"),
                DurableExecutionName=q.text("DurableExecutionName"),
                Statuses=q.texts("Statuses"),
                StartedAfter=q.timestamp("StartedAfter"),
                StartedBefore=q.timestamp("StartedBefore"),
                ReverseOrder=q.boolean("ReverseOrder"),
                Marker=q.text("Marker"),
                MaxItems=q.integer("MaxItems"),
            )
        )
    )


def stop(service: Any, req: Request, args: list[str]) -> Reply:
    return _ok(service.stop_durable_execution(DurableExecutionArn=args[0], Error=_error_object(req)))


def callback_succeed(service: Any, req: Request, args: list[str]) -> Reply:
    return _ok(service.send_durable_execution_callback_success(CallbackId=args[0], Result=req.body or None))


def callback_fail(service: Any, req: Request, args: list[str]) -> Reply:
    return _ok(service.send_durable_execution_callback_failure(CallbackId=args[0], Error=_error_object(req)))


def callback_heartbeat(service: Any, req: Request, args: list[str]) -> Reply:
    return _ok(service.send_durable_execution_callback_heartbeat(CallbackId=args[0]))


def make_invoke(durable: Callable[[str], bool]) -> Handler:
    """The Invoke route; `durable(name)` tells whether a function name is a registered durable function."""

    def invoke(service: Any, req: Request, args: list[str]) -> Reply | AwaitExecution:
        q = _Query(req.query)
        kind = req.headers.get("x-amz-invocation-type", "RequestResponse")
        if req.body.strip():
            try:
                strict_json(req.body)
            except ValueError as exc:
                raise bad_content(f"Could not parse request payload into json: {exc}") from None
        kwargs = _kwargs(
            FunctionName=args[0],
            Payload=req.body or None,
            Qualifier=q.text("Qualifier"),
            DurableExecutionName=req.headers.get("x-amz-durable-execution-name"),
            TenantId=req.headers.get("x-amz-tenant-id"),
        )
        try:
            name, _ = ids.parse_function_name(args[0])
        except ValueError as exc:
            raise invalid(str(exc)) from None
        if kind == "RequestResponse" and durable(name):
            return AwaitExecution(service.invoke(InvocationType="Event", **kwargs)["DurableExecutionArn"])
        return _invoke_reply(service.invoke(InvocationType=kind, **kwargs))

    return invoke


def invoke_reply(service: Any, arn: str) -> Reply:
    """The answer of a synchronous Invoke whose durable execution `arn` has ended."""
    final = service.get_durable_execution(DurableExecutionArn=arn)
    out: dict[str, Any] = {"StatusCode": 200, "ExecutedVersion": "$LATEST", "DurableExecutionArn": arn}
    if final["Status"] == "SUCCEEDED":
        out["Payload"] = (final.get("Result") or "null").encode()
    else:
        error = final.get("Error") or {}
        out["FunctionError"] = "Unhandled"
        out["Payload"] = json.dumps(
            {
                "errorType": error.get("ErrorType", final["Status"]),
                "errorMessage": error.get("ErrorMessage", ""),
            }
        ).encode()
    return _invoke_reply(out)


def _invoke_reply(out: dict[str, Any]) -> Reply:
    payload = out.get("Payload") or b""
    if payload.strip():
        try:
            strict_json(payload)
        except ValueError as exc:  # e.g. a result holding NaN: the answer is always JSON
            out = {**out, "FunctionError": "Unhandled"}
            payload = json.dumps(
                {"errorType": "Runtime.MarshalError", "errorMessage": f"Unable to marshal response: {exc}"}
            ).encode()
    headers: list[tuple[str, str]] = []
    for key, header in (
        ("ExecutedVersion", "X-Amz-Executed-Version"),
        ("FunctionError", "X-Amz-Function-Error"),
        ("DurableExecutionArn", "X-Amz-Durable-Execution-Arn"),
    ):
        if out.get(key):
            headers.append((header, out[key]))
    return Reply(out["StatusCode"], payload, headers)


# (method, aiohttp path pattern with one `{param}`, handler)
Route = tuple[str, str, Handler]


def route_table(durable: Callable[[str], bool]) -> list[Route]:
    """Every operation's method and path (botocore's `lambda` model); the parameter is percent-decoded."""
    executions = f"/{DURABLE_API}/durable-executions/{{param}}"
    callbacks = f"/{DURABLE_API}/durable-execution-callbacks/{{param}}"
    return [
        ("GET", executions, get_execution),
        ("GET", f"{executions}/history", get_history),
        ("GET", f"{executions}/state", get_state),
        ("POST", f"{executions}/checkpoint", checkpoint),
        ("POST", f"{executions}/stop", stop),
        ("GET", f"/{DURABLE_API}/functions/{{param}}/durable-executions", list_executions),
        ("POST", f"{callbacks}/succeed", callback_succeed),
        ("POST", f"{callbacks}/fail", callback_fail),
        ("POST", f"{callbacks}/heartbeat", callback_heartbeat),
        ("POST", f"/{LAMBDA_API}/functions/{{param}}/invocations", make_invoke(durable)),
    ]


__all__ = [
    "AwaitExecution",
    "Reply",
    "Request",
    "error_reply",
    "invoke_reply",
    "route_table",
    "service_error_reply",
    "strict_json",
]
