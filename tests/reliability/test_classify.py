"""Error classification lives in one place (durable_mp.errors_classify); boto's errors go through it."""

from __future__ import annotations

from typing import Any

import botocore.exceptions as bce
import pytest

from durable_mp.errors_classify import EXECUTION, INVOCATION, api_error_category, service_failure
from durable_mp.exceptions import CheckpointError
from durable_mp.service.boto import BotoServiceClient
from durable_mp.service.client import ServiceError


def client_error(code: str, status: int) -> bce.ClientError:
    return bce.ClientError(
        {"Error": {"Code": code, "Message": "m"}, "ResponseMetadata": {"HTTPStatusCode": status}}, "Op"
    )


@pytest.mark.parametrize(
    ("exc", "transient"),
    [
        (bce.EndpointConnectionError(endpoint_url="u"), True),
        (bce.ConnectTimeoutError(endpoint_url="u"), True),
        (bce.ReadTimeoutError(endpoint_url="u"), True),
        (bce.ConnectionClosedError(endpoint_url="u"), True),
        (client_error("ThrottlingException", 429), True),
        (client_error("ServiceException", 500), True),
        (client_error("InvalidParameterValueException", 400), False),
        (client_error("KMSDisabledException", 502), False),
        (bce.NoCredentialsError(), False),
        (bce.PartialCredentialsError(provider="env", cred_var="AWS_SECRET_ACCESS_KEY"), False),
        (bce.ParamValidationError(report="bad"), False),
        (bce.NoRegionError(), False),
        (RuntimeError("x"), False),
        (MemoryError(), False),
    ],
)
def test_service_failures_are_classified(exc: BaseException, transient: bool) -> None:
    assert service_failure(exc).transient is transient


def test_unexpected_client_exceptions_end_the_invocation_retriably() -> None:
    failure = service_failure(KeyError("k"))
    assert failure.status == 500 and "KeyError" in failure.message
    assert api_error_category(failure.code, failure.message, failure.status) == INVOCATION


def test_permanent_botocore_errors_fail_the_execution() -> None:
    for exc in (bce.NoCredentialsError(), bce.ParamValidationError(report="bad")):
        f = service_failure(exc)
        assert api_error_category(f.code, f.message, f.status) == EXECUTION
        assert not CheckpointError.from_service_error(
            ServiceError(f.code, f.message, status=f.status)
        ).retriable


class Raising:
    def __init__(self, exc: BaseException) -> None:
        self.exc = exc

    def checkpoint_durable_execution(self, **kw: Any) -> Any:
        raise self.exc

    def get_durable_execution_state(self, **kw: Any) -> Any:
        raise self.exc


@pytest.mark.parametrize(
    "exc",
    [
        RuntimeError("bug"),
        KeyError("k"),
        bce.NoCredentialsError(),
        bce.EndpointConnectionError(endpoint_url="u"),
    ],
)
def test_the_boto_client_raises_only_classified_service_errors(exc: BaseException) -> None:
    client = BotoServiceClient(Raising(exc))
    with pytest.raises(ServiceError) as caught:
        client.checkpoint("arn", "t", [])
    assert caught.value.__cause__ is exc
    assert caught.value.retriable is service_failure(exc).transient
    with pytest.raises(ServiceError):
        client.get_execution_state("arn", "t")
