"""Wall time of `durable-mp run` on a 1,000-sequential-step handler, interpreter start included.

Run: python -m loadtests.bench_cli [--repeat 5] [--steps 1000]
Each run is a fresh process (`python -m durable_mp.cli run ... -q`) with a fresh store: the SQLite store
(a new file per run) and the in-memory one. Prints the median and the fastest run of each, against the
target of 1 s; for reference, the official SDK's in-process test runner needs ~2.15 s for the steps alone.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time

HANDLER = """
from durable_mp import durable_execution


@durable_execution
def handler(event, context):
    total = 0
    for i in range(int(event["steps"])):
        total += context.step(lambda _, i=i: i, name="s")
    return total
"""
TARGET_S = 1.0


def one_run(folder: str, steps: int, store: str) -> float:
    command = [
        sys.executable,
        "-m",
        "durable_mp.cli",
        "run",
        os.path.join(folder, "steps_flow.py:handler"),
        "--input",
        f'{{"steps": {steps}}}',
        "--store",
        store,
        "-q",
    ]
    start = time.perf_counter()
    done = subprocess.run(command, cwd=folder, capture_output=True, text=True, check=False)
    elapsed = time.perf_counter() - start
    expected = f"{steps * (steps - 1) // 2}\n"
    if done.returncode != 0 or done.stdout != expected:
        raise SystemExit(f"durable-mp run failed ({done.returncode}): {done.stdout}{done.stderr}")
    return elapsed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--steps", type=int, default=1000)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="durable-mp-bench-") as folder:
        with open(os.path.join(folder, "steps_flow.py"), "w") as handle:
            handle.write(HANDLER)
        print(
            f"durable-mp run, {args.steps} sequential steps, {args.repeat} runs each "
            f"(wall time, interpreter start included; target < {TARGET_S:.1f} s)"
        )
        for label in ("sqlite", "memory"):
            times = []
            for i in range(args.repeat):
                store = os.path.join(folder, f"run-{i}.db") if label == "sqlite" else "memory"
                times.append(one_run(folder, args.steps, store))
            median = statistics.median(times)
            verdict = "ok" if median < TARGET_S else "OVER TARGET"
            print(f"  {label:<6}  median {median:.3f} s   fastest {min(times):.3f} s   {verdict}")


if __name__ == "__main__":
    main()
