"""The testing SDK's exceptions (names of `aws_durable_execution_sdk_python_testing.exceptions` 1.4.0).

Runner misuse and unmet expectations raise `DurableFunctionsTestError`; the service's API errors, where a
runner raises them itself, are `AwsApiException` subclasses named by their AWS error code.
"""

from __future__ import annotations

from typing import Any


class DurableFunctionsLocalRunnerError(Exception):
    """Base class of the local runner's errors."""


class UnknownRouteError(DurableFunctionsLocalRunnerError):
    """No route matches a request's method and path."""

    def __init__(self, method: str, path: str) -> None:
        self.method = method
        self.path = path
        super().__init__(f"Unknown path pattern: {method} {path}")


class SerializationError(DurableFunctionsLocalRunnerError):
    """A request or response could not be (de)serialized."""


class DurableFunctionsTestError(Exception):
    """A test-runner misuse or an expectation the execution does not meet."""


class InvalidInvocationOutputError(DurableFunctionsTestError):
    """A handler's output is not an invocation output."""

    def __init__(self, message: str, request_id: str | None = None) -> None:
        self.request_id = request_id
        super().__init__(message)


class AwsApiException(DurableFunctionsLocalRunnerError):
    """An AWS API error: `to_dict()` is its JSON body, `http_status_code` its status."""

    http_status_code: int = 500
    _message_key = "Message"

    def __init__(self, message: str) -> None:
        self.message = message
        super().__init__(message)

    @property
    def Message(self) -> str:
        return self.message

    def to_dict(self) -> dict[str, Any]:
        return {"Type": type(self).__name__, self._message_key: self.message}


class InvalidParameterValueException(AwsApiException):
    http_status_code = 400
    _message_key = "message"


class ResourceNotFoundException(AwsApiException):
    http_status_code = 404

    def __init__(self, Message: str) -> None:  # the Smithy member name, as officially
        super().__init__(Message)


class ServiceException(AwsApiException):
    http_status_code = 500

    def __init__(self, Message: str) -> None:  # the Smithy member name, as officially
        super().__init__(Message)


class ExecutionAlreadyStartedException(AwsApiException):
    http_status_code = 409

    def __init__(self, message: str, DurableExecutionArn: str) -> None:
        super().__init__(message)
        self.DurableExecutionArn = DurableExecutionArn

    def to_dict(self) -> dict[str, Any]:
        return {"message": self.message, "DurableExecutionArn": self.DurableExecutionArn}


class ExecutionConflictException(AwsApiException):
    http_status_code = 409


class CallbackTimeoutException(AwsApiException):
    http_status_code = 408


class TooManyRequestsException(AwsApiException):
    http_status_code = 429


class IllegalStateException(AwsApiException):
    http_status_code = 500


class RuntimeException(AwsApiException):
    http_status_code = 500


class IllegalArgumentException(AwsApiException):
    http_status_code = 400
