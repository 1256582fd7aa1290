"""DurableFunctionCloudTestRunner: the test runner's interface for a deployed durable function.

It invokes the function through boto3's `lambda` client (AWS, or any endpoint that speaks the Lambda API,
such as `durable-mp serve`: pass `lambda_endpoint`), polls GetDurableExecution until the execution ends,
and builds the same `DurableFunctionTestResult` as the local runner from GetDurableExecutionHistory, so
one test runs locally and against the cloud:

    runner = DurableFunctionCloudTestRunner(function_name="orders", region="us-east-1")
    with runner:
        result = runner.run(input={"order": 7}, timeout=120)
    assert result.status is InvocationStatus.SUCCEEDED
"""

from __future__ import annotations

import json
import logging
import time
from typing import Any, Self

from durable_mp.lambda_service import ErrorObject
from durable_mp.testing.exceptions import DurableFunctionsTestError
from durable_mp.testing.runner import DurableFunctionTestResult, _open_callbacks

logger = logging.getLogger(__name__)

_TERMINAL = frozenset({"SUCCEEDED", "FAILED", "TIMED_OUT", "STOPPED"})


def _code(exc: Exception) -> str | None:
    response = getattr(exc, "response", None)
    return response.get("Error", {}).get("Code") if isinstance(response, dict) else None


class DurableFunctionCloudTestRunner:
    """Run a deployed durable function and read its execution back, through boto3."""

    def __init__(
        self,
        function_name: str,
        region: str = "us-west-2",
        lambda_endpoint: str | None = None,
        poll_interval: float = 1.0,
    ) -> None:
        import boto3
        from botocore.config import Config

        self.function_name = function_name
        self.region = region
        self.lambda_endpoint = lambda_endpoint
        self.poll_interval = poll_interval
        self.lambda_client = boto3.client(
            "lambda",
            endpoint_url=lambda_endpoint,
            region_name=region,
            config=Config(parameter_validation=False, read_timeout=900),
        )

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        self.lambda_client.close()

    # running
    def run(self, input: Any = None, timeout: int = 60) -> DurableFunctionTestResult:
        """Invoke synchronously and return the execution's result (waiting up to `timeout` seconds)."""
        response = self._invoke(input, "RequestResponse", 200)
        response["Payload"].read()
        if "FunctionError" in response:
            logger.warning("Lambda function %s returned a function error", self.function_name)
        arn = response.get("DurableExecutionArn")
        if not arn:
            raise DurableFunctionsTestError(
                f"No DurableExecutionArn in response for function {self.function_name}"
            )
        return self.wait_for_result(arn, timeout=timeout)

    def run_async(self, input: Any = None, timeout: int = 60) -> str:
        """Invoke asynchronously (InvocationType Event); returns the execution's ARN."""
        response = self._invoke(input, "Event", 202)
        arn = response.get("DurableExecutionArn")
        if not arn:
            raise DurableFunctionsTestError(
                f"No DurableExecutionArn in response for function {self.function_name}"
            )
        return str(arn)

    def _invoke(self, input: Any, invocation_type: str, expected_status: int) -> dict[str, Any]:
        try:
            response: dict[str, Any] = self.lambda_client.invoke(
                FunctionName=self.function_name, InvocationType=invocation_type, Payload=json.dumps(input)
            )
        except Exception as exc:
            raise DurableFunctionsTestError(
                f"Failed to invoke Lambda function {self.function_name}: {exc}"
            ) from exc
        if response.get("StatusCode") != expected_status:
            body = response["Payload"].read().decode("utf-8")
            raise DurableFunctionsTestError(
                f"Lambda invocation failed with status {response.get('StatusCode')}: {body}"
            )
        return response

    def wait_for_result(self, execution_arn: str, timeout: float = 60) -> DurableFunctionTestResult:
        execution = self._wait_for_completion(execution_arn, timeout)
        try:
            history = {"Events": self._events(execution_arn)}
        except Exception as exc:
            raise DurableFunctionsTestError(f"Failed to fetch execution history: {exc}") from exc
        return DurableFunctionTestResult.from_execution_history(execution, history)

    def _wait_for_completion(self, execution_arn: str, timeout: float) -> dict[str, Any]:
        deadline = time.monotonic() + timeout
        last_status = None
        while time.monotonic() < deadline:
            try:
                execution: dict[str, Any] = self.lambda_client.get_durable_execution(
                    DurableExecutionArn=execution_arn
                )
            except Exception as exc:
                if _code(exc) == "ResourceNotFoundException":  # an async start not visible yet
                    time.sleep(self.poll_interval)
                    continue
                raise DurableFunctionsTestError(f"Failed to get execution status: {exc}") from exc
            last_status = execution.get("Status")
            if last_status in _TERMINAL:
                return execution
            time.sleep(self.poll_interval)
        raise TimeoutError(f"Execution did not complete within {timeout}s (last status: {last_status})")

    def _events(self, execution_arn: str) -> list[dict[str, Any]]:
        events: list[dict[str, Any]] = []
        marker: str | None = None
        while True:
            request: dict[str, Any] = {"DurableExecutionArn": execution_arn, "IncludeExecutionData": True}
            if marker:
                request["Marker"] = marker
            page = self.lambda_client.get_durable_execution_history(**request)
            events.extend(page.get("Events", []))
            marker = page.get("NextMarker")
            if not marker:
                return events

    def wait_for_callback(self, execution_arn: str, name: str | None = None, timeout: float = 60) -> str:
        """The CallbackId of an open callback (by name, else the latest) once its invocation has ended."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            try:
                open_ids = _open_callbacks(self._events(execution_arn), name)
            except DurableFunctionsTestError:
                raise
            except Exception as exc:
                if _code(exc) != "ResourceNotFoundException":
                    raise DurableFunctionsTestError(f"Failed to fetch execution history: {exc}") from exc
                open_ids = []
            if open_ids:
                return open_ids[-1]
            time.sleep(self.poll_interval)
        raise TimeoutError(f"Callback did not become available within {timeout}s")

    # callbacks
    def send_callback_success(self, callback_id: str, result: bytes | None = None) -> None:
        kwargs: dict[str, Any] = {"CallbackId": callback_id}
        if result is not None:
            kwargs["Result"] = result
        self._send("send_durable_execution_callback_success", callback_id, **kwargs)

    def send_callback_failure(self, callback_id: str, error: ErrorObject | None = None) -> None:
        kwargs: dict[str, Any] = {"CallbackId": callback_id}
        if error is not None:
            kwargs["Error"] = error.to_dict()
        self._send("send_durable_execution_callback_failure", callback_id, **kwargs)

    def send_callback_heartbeat(self, callback_id: str) -> None:
        self._send("send_durable_execution_callback_heartbeat", callback_id, CallbackId=callback_id)

    def _send(self, method: str, callback_id: str, **kwargs: Any) -> None:
        try:
            getattr(self.lambda_client, method)(**kwargs)
        except Exception as exc:
            raise DurableFunctionsTestError(
                f"Failed to {method.replace('_', ' ')} for {self.function_name}, callback_id {callback_id}: {exc}"
            ) from exc

    # pausing is a local-runner feature (as in the official cloud runner)
    def pause_execution(self, execution_arn: str, timeout: float = 60) -> None:
        raise NotImplementedError("pause_execution() is not implemented for DurableFunctionCloudTestRunner")

    def resume_execution(self, execution_arn: str) -> None:
        raise NotImplementedError("resume_execution() is not implemented for DurableFunctionCloudTestRunner")
