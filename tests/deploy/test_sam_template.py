"""deploy/template.yaml: valid for cfn-lint (which knows SAM and the DurableConfig properties), durable,
memory sized for the worker count, and pointing at handlers that exist."""

from __future__ import annotations

import importlib
import math
from pathlib import Path
from typing import Any

import cfnlint.api as cfnlint_api
import pytest  # cfn-lint, in the test extra
from cfnlint.decode import decode

from durable_mp_workers.sizing import LAMBDA_MB_PER_VCPU

TEMPLATE = Path(__file__).resolve().parents[2] / "deploy" / "template.yaml"
LAMBDA_MAX_MEMORY_MB = 10_240


def _template() -> dict[str, Any]:
    template, problems = decode(str(TEMPLATE))
    assert problems == []
    return template


def _functions() -> dict[str, Any]:
    resources = _template()["Resources"]
    return {k: r["Properties"] for k, r in resources.items() if r["Type"] == "AWS::Serverless::Function"}


def _lint(text: str) -> list[str]:
    """cfn-lint's errors and warnings (informational I-rules are advice, not findings)."""
    return [str(m) for m in cfnlint_api.lint_all(text) if not m.rule.id.startswith("I")]


@pytest.mark.slow
def test_cfn_lint_finds_nothing() -> None:
    assert _lint(TEMPLATE.read_text()) == []


@pytest.mark.slow
def test_cfn_lint_checks_the_durable_config() -> None:
    """The linter knows the property names and bounds: a typo and an out-of-range value are caught."""
    text = TEMPLATE.read_text()
    assert "RetentionPeriodInDays: 7\n" in text and "ExecutionTimeout: 3600" in text
    broken = text.replace("RetentionPeriodInDays: 7\n", "RetentionPeriodInDays: 91\n").replace(
        "ExecutionTimeout: 3600", "ExecutionTimeOut: 3600"
    )
    found = " ".join(_lint(broken))
    assert "91 is greater than the maximum of 90" in found
    assert "'ExecutionTimeout' is a required property" in found


def test_every_function_is_durable_and_published() -> None:
    template = _template()
    assert template["Globals"]["Function"]["AutoPublishAlias"]  # invoked by a qualified ARN
    for name, props in _functions().items():
        config = props["DurableConfig"]
        assert 1 <= config["ExecutionTimeout"] <= 31_622_400, name
        assert 1 <= config["RetentionPeriodInDays"] <= 90, name
        actions = {a for p in props["Policies"] for s in p["Statement"] for a in s["Action"]}
        assert {"lambda:CheckpointDurableExecution", "lambda:GetDurableExecutionState"} <= actions, name


def test_memory_buys_the_worker_count() -> None:
    template = _template()
    table = template["Mappings"]["WorkerMemory"]
    assert template["Parameters"]["Workers"]["AllowedValues"] == sorted(table)
    for workers, row in table.items():
        memory = row["MemorySize"]
        assert memory <= LAMBDA_MAX_MEMORY_MB
        assert math.ceil(memory / LAMBDA_MB_PER_VCPU) == int(workers)  # what workers="auto" computes
    cpu_map = _functions()["CpuMapFunction"]
    assert cpu_map["MemorySize"] == {"Fn::FindInMap": ["WorkerMemory", {"Ref": "Workers"}, "MemorySize"]}
    assert cpu_map["Environment"]["Variables"]["DURABLE_MP_WORKERS"] == {"Ref": "Workers"}


def test_handlers_are_durable_handlers_of_the_examples() -> None:
    for name, props in _functions().items():
        module, _, attr = props["Handler"].rpartition(".")
        handler = getattr(importlib.import_module(module), attr)
        assert callable(getattr(handler, "durable_invoke", None)), name
