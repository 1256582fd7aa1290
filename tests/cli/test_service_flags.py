"""`durable-mp run` / `serve` flags for the service's limits and latency, and run's usage line."""

from __future__ import annotations

import argparse

import pytest

from durable_mp.cli.loading import UsageError
from durable_mp.cli.service_flags import add_service_flags, service_options
from durable_mp.local import ServiceLimits
from tests.cli.conftest import Cli, target


def test_run_prints_what_the_execution_used(cli: Cli) -> None:
    code, _, err = cli("run", target("greet"), "--latency", "1ms")
    assert code == 0
    assert "Used 4 of 3,000 operations (4 metered)" in err and "of 104,857,600 payload bytes written" in err


def test_run_with_a_lowered_operation_limit_fails_at_it(cli: Cli) -> None:
    code, _, err = cli("run", target("mapper"), "--max-operations", "3")
    assert code == 1
    assert "Error: " in err and "execution would have 4 operations; the limit is 3 per execution" in err
    assert "Used 3 of 3 operations" in err


def test_bad_flags_are_usage_errors(cli: Cli) -> None:
    assert cli("run", target("greet"), "--latency", "soon")[0] == 2
    assert cli("run", target("greet"), "--max-payload-bytes", "0")[0] == 2


def test_serve_flags_build_the_service_options() -> None:
    p = argparse.ArgumentParser()
    add_service_flags(p)
    options = service_options(
        p.parse_args(
            ["--max-operations", "10", "--count-retries", "--max-payload-bytes", "99", "--latency", "1-2ms"]
            + ["--function-concurrency", "3"]
        )
    )
    assert options["limits"] == ServiceLimits(
        max_operations=10, count_retries=True, max_payload_bytes_written=99, max_function_concurrency=3
    )
    assert (options["latency"].low, options["latency"].high) == (0.001, 0.002)
    assert service_options(p.parse_args([])) == {
        "limits": ServiceLimits(),
        "latency": None,
        "isolation": "thread",
    }
    assert service_options(p.parse_args(["--isolation", "process"]))["isolation"] == "process"
    with pytest.raises(UsageError, match="--max-operations must be a positive integer"):
        service_options(p.parse_args(["--max-operations", "-1"]))
