"""Tests of durable_mp.types: contexts, ARN parsing and the typed identifiers."""

from __future__ import annotations

import logging

import pytest

from durable_mp.types import CallbackId, DurableExecutionArn, ExecutionArn, OperationId, StepContext

ARN = "arn:aws:lambda:us-east-1:123456789012:function:my-fn:$LATEST/durable-execution/run-1/3f2a"


def test_execution_arn_parts() -> None:
    arn = ExecutionArn(ARN)
    assert arn == ARN and isinstance(arn, str)
    assert (arn.aws_partition, arn.region, arn.account, arn.function_name, arn.qualifier) == (
        "aws",
        "us-east-1",
        "123456789012",
        "my-fn",
        "$LATEST",
    )
    assert (arn.execution_name, arn.invocation_id) == ("run-1", "3f2a")
    assert arn.function_arn == "arn:aws:lambda:us-east-1:123456789012:function:my-fn:$LATEST"
    assert {arn: 1}[ARN] == 1
    assert arn.partition("/")[0] == "arn:aws:lambda:us-east-1:123456789012:function:my-fn:$LATEST"


@pytest.mark.parametrize(
    ("bad", "what"),
    [
        ("arn:aws:lambda:us-east-1:123456789012:function:fn:1", "durable-execution"),
        ("arn:aws:lambda:us-east-1:123456789012:function:fn/durable-execution/a/b", "function part"),
        ("arn:aws:s3:us-east-1:123456789012:function:fn:1/durable-execution/a/b", "service"),
        ("arn:xyz:lambda:us-east-1:123456789012:function:fn:1/durable-execution/a/b", "partition"),
        ("arn:aws:lambda:US_EAST:123456789012:function:fn:1/durable-execution/a/b", "region"),
        ("arn:aws:lambda:us-east-1:12345:function:fn:1/durable-execution/a/b", "account"),
        ("arn:aws:lambda:us-east-1:123456789012:function:f n:1/durable-execution/a/b", "function name"),
        ("arn:aws:lambda:us-east-1:123456789012:function:fn:/durable-execution/a/b", "qualifier"),
        ("arn:aws:lambda:us-east-1:123456789012:function:fn:1/durable-execution/a", "invocation id"),
        ("arn:aws:lambda:us-east-1:123456789012:function:fn:1/durable-execution/a/b/c", "invocation id"),
    ],
)
def test_execution_arn_errors_name_the_part(bad: str, what: str) -> None:
    with pytest.raises(ValueError, match=what):
        ExecutionArn(bad)


def test_execution_arn_rejects_non_strings() -> None:
    with pytest.raises(ValueError, match="must be a string"):
        ExecutionArn(42)  # type: ignore[arg-type]


def test_official_durable_execution_arn() -> None:
    parsed = DurableExecutionArn.from_arn(ARN)
    assert parsed == DurableExecutionArn("my-fn", "run-1", "3f2a")
    assert DurableExecutionArn.from_arn("arn:aws:lambda:us-east-1:1:function:fn") is None


def test_ids() -> None:
    assert OperationId("abc") == "abc" and isinstance(OperationId("abc"), str)
    assert CallbackId("cb-1").upper() == "CB-1"
    with pytest.raises(ValueError, match="operation id"):
        OperationId("")
    with pytest.raises(ValueError, match="callback id"):
        CallbackId(None)  # type: ignore[arg-type]


def test_step_context() -> None:
    ctx = StepContext(logger=logging.getLogger("x"), attempt=2)
    assert ctx.attempt == 2
    with pytest.raises(AttributeError):
        ctx.attempt = 3  # type: ignore[misc]
