"""Command line of the load-test tool: `python -m durable_mp.loadtest` (and `durable-mp loadtest`).

    python -m durable_mp.loadtest --items 200 --cost cpu:0.005 --fail-rate 0.05 --fail-pattern random \\
        --policy first_successful,all_completed,all_successful --workers 1,2 --seed 0 --out loadtest-out
    python -m durable_mp.loadtest --soak

Every (policy, worker count) pair is one configuration, run `--repeat` times on a fresh local
service. Each worker count's pool is warmed by a small unmeasured map first, as a warm Lambda
environment would be. Exit status: 0 done (soak: passed), 1 soak failed or a sequential run disagreed
with the policy model, 2 bad arguments.

For the `durable-mp` command: `add_arguments(parser)` declares the options and sets `func=run`.
"""

from __future__ import annotations

import argparse
import sys
import time
from dataclasses import replace
from pathlib import Path
from typing import Any

from durable_mp.loadtest.items import load_item_function
from durable_mp.loadtest.outputs import write_outputs
from durable_mp.loadtest.policies import Policy, parse_policies
from durable_mp.loadtest.progress import ProgressLine
from durable_mp.loadtest.report import aggregate, build_report, render_table
from durable_mp.loadtest.runner import RunSettings, run_once
from durable_mp.loadtest.spec import SpecError, Workload, build_workload, parse_cost, parse_failures
from durable_mp.loadtest.units import parse_fraction

EXIT_OK, EXIT_FAILED, EXIT_USAGE = 0, 1, 2
DEFAULT_POLICIES = "first_successful,all_completed,all_successful"


def _positive_ints(text: str) -> list[int]:
    try:
        values = [int(part) for part in text.split(",") if part.strip()]
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"expected whole numbers separated by commas, got {text!r}"
        ) from None
    if not values or any(v < 1 for v in values):
        raise argparse.ArgumentTypeError(f"expected positive whole numbers, got {text!r}")
    return sorted(set(values))


def _positive_int(text: str) -> int:
    values = _positive_ints(text)
    if len(values) != 1:
        raise argparse.ArgumentTypeError(f"expected one positive whole number, got {text!r}")
    return values[0]


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Declare the tool's options on `parser` and make `run` its handler (`args.func`)."""
    g = parser.add_argument_group("workload")
    g.add_argument(
        "--items", type=_positive_int, default=None, help="items in the map (default 200; soak 10000)"
    )
    g.add_argument(
        "--cost",
        default=None,
        help="item cost: cpu:SECONDS, sleep:SECONDS, KIND:uniform:LOW:HIGH, "
        "KIND:exp:MEAN (default cpu:0.005; soak cpu:0)",
    )
    g.add_argument(
        "--fail-rate",
        default=None,
        help="share of items that fail: a fraction 0..1 (0.05) or a percent with %% (5%%); "
        "default 0.05, or 0 with --workload",
    )
    g.add_argument(
        "--workload",
        default=None,
        metavar="MODULE:FUNCTION",
        help="run your own map item function, FUNCTION(ctx, item, index, items) with item = the index, "
        "instead of the built-in CPU/sleep work (--cost is then unused)",
    )
    g.add_argument(
        "--fail-pattern",
        default="random",
        help="random | burst | burst@START | every | every:K (default random)",
    )
    g.add_argument("--seed", type=int, default=0, help="seed of costs and failures (default 0)")
    g = parser.add_argument_group("what to compare")
    g.add_argument(
        "--policy",
        action="append",
        default=None,
        help="completion policy, repeatable or comma separated: first_successful, all_completed, "
        "all_successful, fail_fast, min_successful=N, tolerated_count=N, tolerated_pct=P "
        "(join with +), custom, custom:quorum=P, custom=module:attr; P is a percent, 0-100 or N%% "
        f"(default {DEFAULT_POLICIES})",
    )
    g.add_argument(
        "--workers", type=_positive_ints, default=[1, 2], help="worker counts to sweep (default 1,2)"
    )
    g.add_argument("--executor", choices=("processes", "threads"), default="processes")
    g.add_argument(
        "--max-concurrency", type=_positive_int, default=None, help="items in flight (default unbounded)"
    )
    g.add_argument(
        "--repeat",
        "--repetitions",
        dest="repetitions",
        type=_positive_int,
        default=1,
        help="runs per configuration (default 1); the report shows the spread (min-max) across them",
    )
    g = parser.add_argument_group("output")
    g.add_argument(
        "--out", type=Path, default=Path("loadtest-out"), help="output folder (default ./loadtest-out)"
    )
    g.add_argument("--no-png", action="store_true", help="skip the matplotlib PNGs")
    g.add_argument("--timeout", type=float, default=600.0, help="seconds allowed per execution (default 600)")
    g = parser.add_argument_group("soak")
    g.add_argument(
        "--soak",
        action="store_true",
        help="one 10,000-item map, then 20 more executions, memory sampled throughout",
    )
    g.add_argument("--soak-executions", type=_positive_int, default=20)
    parser.set_defaults(func=run)


def _policies(args: argparse.Namespace, items: int) -> list[Policy]:
    policies = parse_policies(args.policy or [DEFAULT_POLICIES])
    for p in policies:
        if p.config.min_successful is not None and p.config.min_successful > items:
            raise SpecError(
                f"policy {p.name!r}: min_successful {p.config.min_successful} is more than the {items} items"
            )
    return policies


def fail_rate(args: argparse.Namespace) -> float:
    """--fail-rate as a fraction (default 0.05; 0 with --workload)."""
    if args.fail_rate is None:
        return 0.0 if getattr(args, "workload", None) else 0.05
    return parse_fraction(args.fail_rate, "--fail-rate")


def _workload(args: argparse.Namespace, default_items: int, default_cost: str) -> tuple[Workload, str]:
    cost = args.cost or default_cost
    failures = parse_failures(fail_rate(args), args.fail_pattern)
    workload = build_workload(args.items or default_items, parse_cost(cost), failures, args.seed)
    if getattr(args, "workload", None):
        try:
            load_item_function(args.workload)
        except (ValueError, TypeError) as exc:
            raise SpecError(str(exc)) from None
        workload = replace(workload, kind="call", function=args.workload)
    return workload, cost


def _warm(executor: str, workers: int) -> None:
    """Start (or resize) the pool for `workers` with a tiny unmeasured map."""
    from durable_mp.loadtest.policies import parse_policy

    tiny = Workload("sleep", (0.0,) * workers, (False,) * workers)  # the built-in work: no user code
    run_once(RunSettings(tiny, parse_policy("all_completed"), executor, workers, None))


def run(args: argparse.Namespace) -> int:
    """Run the load test (or the soak test) described by parsed arguments; returns the exit status."""
    try:
        if args.soak:
            from durable_mp.loadtest.soak import run_soak

            return run_soak(args)
        workload, cost = _workload(args, 200, "cpu:0.005")
        policies = _policies(args, workload.size)
    except SpecError as exc:
        print(f"loadtest: error: {exc}", file=sys.stderr)
        return EXIT_USAGE
    out = sys.stdout
    if args.executor == "threads" and len(args.workers) > 1:
        out.write(
            "note: the threads executor does not use `workers` (one thread per item in flight, at most 64); "
            "compare --max-concurrency values instead\n"
        )
    configs = [(p, w) for w in args.workers for p in policies]
    progress = ProgressLine(out, len(configs) * args.repetitions, tty=out.isatty())
    runs: dict[tuple[str, int], list[dict[str, Any]]] = {(p.name, w): [] for p, w in configs}
    t0 = time.perf_counter()
    from durable_mp import add_progress_hook, remove_progress_hook

    add_progress_hook(progress.on_batch)
    try:
        for rep in range(args.repetitions):
            for workers in args.workers:
                if rep == 0:
                    _warm(args.executor, workers)
                for policy in policies:
                    progress.begin(f"{policy.name} workers={workers} rep {rep + 1}")
                    record = run_once(
                        RunSettings(
                            workload, policy, args.executor, workers, args.max_concurrency, args.timeout
                        )
                    )
                    runs[(policy.name, workers)].append(record)
                    progress.end(
                        f"{record['reason']} ok {record['succeeded']} fail {record['failed']} "
                        f"in {record['wall_seconds']:.2f}s"
                    )
    finally:
        remove_progress_hook(progress.on_batch)
    configurations = [
        aggregate(
            {
                "policy": p.name,
                "executor": args.executor,
                "workers": w,
                "max_concurrency": args.max_concurrency,
            },
            runs[(p.name, w)],
        )
        for p, w in configs
    ]
    settings = {
        "items": workload.size,
        "cost": cost,
        "fail_rate": fail_rate(args),
        "fail_pattern": args.fail_pattern,
        "seed": args.seed,
        "policies": [p.name for p in policies],
        "workers": args.workers,
        "executor": args.executor,
        "max_concurrency": args.max_concurrency,
        "repetitions": args.repetitions,
        "workload_function": args.workload,
    }
    failing = sum(workload.fails)
    report = build_report(
        settings,
        {"failing_items": failing, "cost_seconds_total": sum(workload.costs), "cost_kind": workload.kind},
        configurations,
        time.perf_counter() - t0,
    )
    files = write_outputs(report, args.out, out, png=not args.no_png)
    out.write("\n" + render_table(report) + "\n")
    written = [files["json"], files["table"], files["html"], *files["png"]]
    out.write(f"wrote {', '.join(str(args.out / f) for f in written)}\n")
    mismatched = [c for c in configurations if c["matches_prediction"] is False]
    return EXIT_FAILED if mismatched else EXIT_OK


def main(argv: list[str] | None = None) -> int:
    """Entry point: parse `argv` (default sys.argv[1:]) and run; returns the exit status."""
    parser = argparse.ArgumentParser(
        prog="python -m durable_mp.loadtest",
        description="Load-test map completion policies and worker counts on the "
        "local durable execution service.",
    )
    add_arguments(parser)
    args = parser.parse_args(argv)
    return int(args.func(args))
