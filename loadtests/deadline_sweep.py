"""Deadline sweep (issue 11): maps whose items fit in an invocation must complete, whatever the deadlines.

Run: python -m loadtests.deadline_sweep [--mode repro|random|both] [--runs 10] [--items 6] [--seed 1]
     [--func cpu|sleep] [--workers 2]

- repro: `--runs` runs at invocation timeouts spread over 2.0-2.5 s, items of 1.45 s (the issue's case:
  with a fixed 0.5 s margin such items were stopped three times and failed).
- random: `--runs` runs at random invocation timeouts from 1.5 to 6 s, items of 5-90 % of the timeout
  (one item of 90 % in every run), at most the timeout less 0.3 s (the yield margin's 0.2 s floor and the
  invocation's start-up: a 1.35 s item cannot fit in a 1.5 s invocation).

Items are one step that burns pure-Python CPU for its length of wall time (`--func cpu`, as the issue's
reproduction did; on a loaded machine it gets less CPU but still ends on time) or sleeps (`--func sleep`). Prints one line per run and a
summary: runs with complete correct results, invocations, cut-off invocations, wall time.
"""

from __future__ import annotations

import argparse
import random
import time
from typing import Any

from durable_mp import DurableContext, durable_execution
from durable_mp.config import MapConfig
from durable_mp.testing import DurableFunctionTestRunner


def cpu_item(ctx: DurableContext, item: dict[str, Any], index: int, items: Any) -> int:
    def work(_: Any) -> int:
        end = time.monotonic() + item["seconds"]
        while time.monotonic() < end:
            sum(range(1000))
        return index * 10

    return ctx.step(work, name="work")


def sleep_item(ctx: DurableContext, item: dict[str, Any], index: int, items: Any) -> int:
    def work(_: Any) -> int:
        time.sleep(item["seconds"])
        return index * 10

    return ctx.step(work, name="work")


@durable_execution
def sweep_map(event: dict[str, Any], ctx: DurableContext) -> list[Any]:
    func = cpu_item if event["func"] == "cpu" else sleep_item
    config = MapConfig(executor="processes", workers=event["workers"])
    result = ctx.map(event["items"], func, name="sweep", config=config)
    return [[item.status.value, item.result] for item in result.all]


def one_run(timeout: float, seconds: list[float], func: str, workers: int) -> dict[str, Any]:
    items = [{"seconds": s} for s in seconds]
    started = time.monotonic()
    # real time, as on Lambda: the 1 s wait of a yield lets replacement workers boot before the next invocation
    with DurableFunctionTestRunner(sweep_map, invocation_timeout=timeout, skip_time=False) as runner:
        result = runner.run(input={"func": func, "items": items, "workers": workers}, timeout=600)
        events = runner.get_execution_history(result.execution_arn)["Events"]
    done = [e["InvocationCompletedDetails"] for e in events if e["EventType"] == "InvocationCompleted"]
    expected = [["SUCCEEDED", i * 10] for i in range(len(items))]
    return {
        "ok": result.status.value == "SUCCEEDED" and result.result_value == expected,
        "status": result.status.value,
        "failed_items": sum(1 for r in result.result_value or [] if r[0] != "SUCCEEDED"),
        "invocations": len(done),
        "cut_off": sum(1 for d in done if d.get("Error")),
        "seconds": time.monotonic() - started,
    }


def cases(mode: str, runs: int, items: int, rng: random.Random) -> list[tuple[float, list[float]]]:
    if mode == "repro":
        return [(round(2.0 + 0.5 * k / max(1, runs - 1), 3), [1.45] * items) for k in range(runs)]
    out = []
    for _ in range(runs):
        timeout = round(rng.uniform(1.5, 6.0), 2)
        longest = round(min(0.9 * timeout, timeout - 0.3), 2)  # the margin's 0.2 s floor + start-up
        seconds = [round(rng.uniform(0.05, 1.0) * longest, 2) for _ in range(items)]
        seconds[rng.randrange(items)] = longest
        out.append((timeout, seconds))
    return out


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--mode", choices=("repro", "random", "both"), default="both")
    parser.add_argument("--runs", type=int, default=10)
    parser.add_argument("--items", type=int, default=6)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--func", choices=("cpu", "sleep"), default="cpu")
    parser.add_argument("--workers", type=int, default=2)
    args = parser.parse_args()
    rng = random.Random(args.seed)
    for mode in ("repro", "random") if args.mode == "both" else (args.mode,):
        results = []
        for k, (timeout, seconds) in enumerate(cases(mode, args.runs, args.items, rng)):
            r = one_run(timeout, seconds, args.func, args.workers)
            results.append(r)
            print(
                f"{mode} {k:2d}: timeout {timeout:5.2f} s, items {seconds} -> {r['status']}, "
                f"{'complete' if r['ok'] else 'INCOMPLETE'}, {r['failed_items']} failed items, "
                f"{r['invocations']} invocations, {r['cut_off']} cut off, {r['seconds']:.1f} s",
                flush=True,
            )
        ok = sum(r["ok"] for r in results)
        print(
            f"{mode}: {ok}/{len(results)} runs complete and correct; "
            f"{sum(r['invocations'] for r in results)} invocations, "
            f"{sum(r['cut_off'] for r in results)} cut off; {sum(r['seconds'] for r in results):.1f} s in all",
            flush=True,
        )


if __name__ == "__main__":
    main()
