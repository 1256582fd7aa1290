"""A Lambda context object for handlers the local service runs in-process."""

from __future__ import annotations

import time
from typing import Any


class LambdaContext:
    """What Lambda passes as `context`; `get_remaining_time_in_millis()` counts down the invocation timeout."""

    def __init__(
        self,
        *,
        request_id: str,
        function_name: str,
        function_arn: str,
        timeout_s: float,
        memory_limit_in_mb: int = 1769,
        tenant_id: str | None = None,
    ) -> None:
        self.aws_request_id = request_id
        self.function_name = function_name
        self.invoked_function_arn = function_arn
        self.function_version = "$LATEST"
        self.memory_limit_in_mb = memory_limit_in_mb
        self.log_group_name = f"/aws/lambda/{function_name}"
        self.log_stream_name = f"local/[$LATEST]{request_id.replace('-', '')}"
        self.tenant_id = tenant_id
        self.identity: Any = None
        self.client_context: Any = None
        self._deadline = time.monotonic() + timeout_s

    def get_remaining_time_in_millis(self) -> int:
        return max(0, int((self._deadline - time.monotonic()) * 1000))

    def __repr__(self) -> str:
        return f"LambdaContext(function_name={self.function_name!r}, aws_request_id={self.aws_request_id!r})"
