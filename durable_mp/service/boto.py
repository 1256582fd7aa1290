"""The real service client: boto3's `lambda` client (created once per process and reused).

boto3 honours `AWS_ENDPOINT_URL_LAMBDA`, so the same client talks to `durable-mp serve` when pointed there.
boto3 is imported on first use only: worker processes and the local service never pay for it.
Every exception of a call comes out as a `ServiceError`, classified in `durable_mp.errors_classify`
(`NoCredentialsError` and `ParamValidationError` are permanent, connection errors transient, anything
unexpected ends the invocation so that it is retried).
"""

from __future__ import annotations

import threading
from typing import Any

from durable_mp.service.client import as_service_error

_default_client: Any = None
_lock = threading.Lock()


def default_lambda_client() -> Any:
    """The process-wide boto3 lambda client (warm across invocations of one Lambda environment)."""
    global _default_client
    if _default_client is None:
        with _lock:
            if _default_client is None:
                import boto3
                from botocore.config import Config

                _default_client = boto3.client(
                    "lambda",
                    config=Config(retries={"max_attempts": 3, "mode": "standard"}, tcp_keepalive=True),
                )
    return _default_client


class BotoServiceClient:
    """DurableServiceClient over a boto3 `lambda` client (the shared default one unless given).

    The default client is made on the first call, so an invocation that fails before talking to the
    service (a malformed event) never builds one.
    """

    def __init__(self, client: Any = None) -> None:
        self._client = client

    @classmethod
    def initialize_client(cls) -> BotoServiceClient:
        """A client on the process-wide boto3 `lambda` client (official `LambdaClient.initialize_client`)."""
        return cls(default_lambda_client())

    @property
    def client(self) -> Any:
        if self._client is None:
            self._client = default_lambda_client()
        return self._client

    def checkpoint(
        self, execution_arn: str, checkpoint_token: str, updates: list[dict[str, Any]]
    ) -> dict[str, Any]:
        try:
            response: dict[str, Any] = self.client.checkpoint_durable_execution(
                DurableExecutionArn=execution_arn, CheckpointToken=checkpoint_token, Updates=updates
            )
            return response
        except Exception as exc:
            raise as_service_error(exc) from exc

    def get_execution_state(
        self, execution_arn: str, checkpoint_token: str, marker: str | None = None, max_items: int = 1000
    ) -> dict[str, Any]:
        kwargs: dict[str, Any] = {
            "DurableExecutionArn": execution_arn,
            "CheckpointToken": checkpoint_token,
            "MaxItems": max_items,
        }
        if marker:
            kwargs["Marker"] = marker
        try:
            state: dict[str, Any] = self.client.get_durable_execution_state(**kwargs)
            return state
        except Exception as exc:
            raise as_service_error(exc) from exc
