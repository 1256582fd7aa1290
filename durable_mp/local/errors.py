"""The service's error answers, as `ServiceError`s with the AWS error codes of the `lambda` API."""

from __future__ import annotations

from durable_mp.service.client import ServiceError


def invalid(message: str) -> ServiceError:
    """InvalidParameterValueException (400): the request is wrong and will stay wrong."""
    return ServiceError("InvalidParameterValueException", message, status=400, retriable=False)


def not_found(message: str) -> ServiceError:
    """ResourceNotFoundException (404): no such execution, function or callback."""
    return ServiceError("ResourceNotFoundException", message, status=404, retriable=False)


def callback_timed_out(message: str) -> ServiceError:
    """CallbackTimeoutException (400): the callback already timed out."""
    return ServiceError("CallbackTimeoutException", message, status=400, retriable=False)


def too_large(message: str) -> ServiceError:
    """RequestEntityTooLargeException (413): an invocation payload over Lambda's limit."""
    return ServiceError("RequestEntityTooLargeException", message, status=413, retriable=False)


def service_error(message: str) -> ServiceError:
    """ServiceException (500): the local service itself cannot answer (closed, store failure)."""
    return ServiceError("ServiceException", message, status=500)
