"""The local service's options shared by `durable-mp run` and `durable-mp serve`: limits, latency, isolation."""

from __future__ import annotations

import argparse
from typing import Any

from durable_mp.cli.loading import UsageError


def add_service_flags(p: argparse.ArgumentParser) -> None:
    g = p.add_argument_group("service limits and latency (defaults: Lambda's quotas, no added latency)")
    g.add_argument(
        "--max-operations",
        type=int,
        default=None,
        metavar="N",
        help="operations per execution (default 3000); a checkpoint past it fails the execution",
    )
    g.add_argument(
        "--count-retries",
        action="store_true",
        help="count each step retry and wait_for_condition poll as an operation too (metered, stricter)",
    )
    g.add_argument(
        "--max-payload-bytes",
        type=int,
        default=None,
        metavar="N",
        help="payload bytes written per execution, cumulative (default 104857600 = 100 MB)",
    )
    g.add_argument(
        "--function-concurrency",
        type=int,
        default=None,
        metavar="N",
        help="invocations of one function running at once (default 1000); more wait their turn",
    )
    g.add_argument(
        "--isolation",
        choices=("thread", "process"),
        default="thread",
        help="run each invocation on a thread (default) or in its own OS process, as a Lambda environment",
    )
    g.add_argument(
        "--latency",
        default=None,
        metavar="DELAY",
        help="delay each checkpoint and state call like Lambda: 20ms, 10-30ms (random), or seconds (0.02)",
    )
    g.add_argument(
        "--latency-seed", type=int, default=None, metavar="N", help="seed of a random --latency range"
    )


def service_options(args: argparse.Namespace) -> dict[str, Any]:
    """The `limits=`, `latency=` and `isolation=` arguments of LocalDurableService for the parsed flags."""
    from durable_mp.local import ServiceLimits
    from durable_mp.local.latency import parse

    changes: dict[str, Any] = {}
    for flag, field in (
        ("max_operations", "max_operations"),
        ("max_payload_bytes", "max_payload_bytes_written"),
        ("function_concurrency", "max_function_concurrency"),
    ):
        value = getattr(args, flag)
        if value is not None:
            if value < 1:
                raise UsageError(f"--{flag.replace('_', '-')} must be a positive integer, got {value}")
            changes[field] = value
    if args.count_retries:
        changes["count_retries"] = True
    latency = None
    if args.latency is not None:
        try:
            latency = parse(args.latency, seed=args.latency_seed)
        except ValueError as exc:
            raise UsageError(f"--latency: {exc}") from None
    return {"limits": ServiceLimits(**changes), "latency": latency, "isolation": args.isolation}


def usage_line(usage: dict[str, int]) -> str:
    """`operations used / bytes written` for a run's summary."""
    return (
        f"Used {usage['Operations']:,} of {usage['MaxOperations']:,} operations "
        f"({usage['MeteredOperations']:,} metered), {usage['PayloadBytesWritten']:,} of "
        f"{usage['MaxPayloadBytesWritten']:,} payload bytes written"
    )
