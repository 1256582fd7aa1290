"""Error classification, in one place: can the same thing succeed if tried again, and how far to retry it.

Two questions, two verdicts:

- *Service calls* (checkpoint, get state). `service_failure(exc)` turns whatever the client raised into
  `(code, message, status, transient)`:
  - transient (retried in-process with back-off while the invocation has time): throttling (429,
    `ThrottlingException`, `TooManyRequestsException`), any 5xx, and botocore's connection errors,
    timeouts, truncated reads and credential *retrieval* failures (an endpoint that did not answer);
  - permanent: any other 4xx (`InvalidParameterValueException`, payload limits, not found) and every other
    `BotoCoreError`: `NoCredentialsError`, `PartialCredentialsError`, `ParamValidationError`, bad config;
  - anything else the client raised (a bug in a client, `RuntimeError`, `KeyError`, `MemoryError`) is
    not retried in-process but ends the invocation with a retriable invocation error (status 500), so
    the service re-invokes and nothing acknowledged is lost.
  `api_error_category(code, message, status)` then says what the invocation does with a failure that was
  not (or no longer) retried: fail the execution (EXECUTION) or let Lambda retry the invocation
  (INVOCATION), the way the official SDK decides.
- *Step failures*. `permanent_step_error(exc)`: errors the SDK itself raises about a step's result or
  arguments (`ValidationError`, `SerDesError`, `PayloadTooLargeError`) can only fail again, so they fail
  the step at the first attempt instead of going to the retry strategy. Exceptions of the step's body
  always go to the retry strategy.

Only the standard library is imported here (botocore is recognised by class names), so this module sits
at the very bottom of the import graph.
"""

from __future__ import annotations

from typing import NamedTuple

RETRIABLE_CODES: frozenset[str] = frozenset(
    {"TooManyRequestsException", "ThrottlingException", "ServiceException", "ServiceUnavailableException"}
)
# Error codes that come back as a 5xx but need the customer to fix something (a KMS key): never retried.
NON_RETRYABLE_CUSTOMER_ERROR_CODES: frozenset[str] = frozenset(
    {"KMSAccessDeniedException", "KMSDisabledException", "KMSInvalidStateException", "KMSNotFoundException"}
)
# botocore errors worth another try: the network or an endpoint that did not answer this time.
TRANSIENT_BOTOCORE_ERRORS: frozenset[str] = frozenset(
    {
        "ConnectionError",  # EndpointConnectionError, ConnectTimeoutError, ProxyConnectionError, SSLError
        "HTTPClientError",  # ReadTimeoutError, ConnectionClosedError, ResponseStreamingError
        "IncompleteReadError",
        "CapacityNotAvailableError",
        "CredentialRetrievalError",
        "MetadataRetrievalError",
    }
)
INVALID_PARAMETER_VALUE_EXCEPTION = "InvalidParameterValueException"
INVALID_CHECKPOINT_TOKEN_PREFIX = "Invalid checkpoint token"
EXECUTION = "EXECUTION"  # fail the execution
INVOCATION = "INVOCATION"  # end the invocation; Lambda / the service retries it


class ServiceFailure(NamedTuple):
    code: str
    message: str
    status: int
    transient: bool


def transient_status(code: str | None, status: int) -> bool:
    """Whether a service answer with this code and HTTP status may succeed if sent again."""
    if code in NON_RETRYABLE_CUSTOMER_ERROR_CODES:
        return False
    return status >= 500 or status == 429 or code in RETRIABLE_CODES


def _class_names(exc: BaseException) -> set[str]:
    return {cls.__name__ for cls in type(exc).__mro__}


def service_failure(exc: BaseException) -> ServiceFailure:
    """Classify what a service client raised (see the module docstring)."""
    names = _class_names(exc)
    response = getattr(exc, "response", None)
    if "ClientError" in names and isinstance(response, dict):
        err = response.get("Error") or {}
        status = (response.get("ResponseMetadata") or {}).get("HTTPStatusCode") or 400
        code = err.get("Code") or "ClientError"
        return ServiceFailure(code, err.get("Message") or str(exc), status, transient_status(code, status))
    if "BotoCoreError" in names:
        if names & TRANSIENT_BOTOCORE_ERRORS:
            return ServiceFailure(type(exc).__name__, str(exc), 503, True)
        return ServiceFailure(type(exc).__name__, str(exc), 400, False)
    return ServiceFailure(type(exc).__name__, f"the service client raised {exc!r}", 500, False)


def api_error_category(code: str | None, message: str | None, status: int | None) -> str:
    """EXECUTION (fail the execution) or INVOCATION (retry the invocation), as the official SDK decides.

    KMS misconfiguration codes fail the execution; so does any 4xx except 429 (throttling) and an
    `InvalidParameterValueException` whose message starts with "Invalid checkpoint token" (a stale
    token: the next invocation gets a fresh one). 5xx and connection errors retry the invocation.
    """
    if code and code in NON_RETRYABLE_CUSTOMER_ERROR_CODES:
        return EXECUTION
    if (
        status
        and 400 <= status < 500
        and status != 429
        and code is not None
        and not (
            code == INVALID_PARAMETER_VALUE_EXCEPTION
            and (message or "").startswith(INVALID_CHECKPOINT_TOKEN_PREFIX)
        )
    ):
        return EXECUTION
    return INVOCATION


def permanent_step_error(exc: BaseException) -> bool:
    """Whether a failure the SDK raised about a step (its result, its arguments) can only fail again."""
    from durable_mp.exceptions import SerDesError, ValidationError

    return isinstance(exc, (SerDesError, ValidationError))


def backoff(attempt: int, first: float = 0.05, cap: float = 2.0) -> float:
    """Seconds to wait before retry `attempt` (0-based) of a transient service error: doubling from
    `first`, capped at `cap`. The caller stops once the invocation's time is spent (see `Checkpointer`)."""
    return min(cap, first * 2.0 ** min(attempt, 30))
