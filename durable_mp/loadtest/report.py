"""The load-test report: per-configuration aggregates of the runs, its JSON schema, and the terminal table.

A configuration is (policy, executor, workers, max_concurrency); its runs are the repetitions. Counts
and wasted work are means over the runs, throughput and wall time medians, latency percentiles are over
every used item of every run, memory figures are maxima. `reproducible` says whether every repetition
ended with the same items succeeded / failed / unfinished and the same reason; `matches_prediction`
(max_concurrency=1 only) whether each run gave what the policy model predicts.
"""

from __future__ import annotations

import os
import platform
import time
from collections import Counter
from collections.abc import Sequence
from typing import Any

from durable_mp.cli.tables import render_rows
from durable_mp.loadtest.stats import latency_summary, mean, median

SCHEMA_ID = "durable-mp-loadtest/2"
ITEM_KEYS = ("succeeded", "failed", "started", "started_unfinished", "never_started")
MEMORY_KEYS = ("parent_peak_mib", "parent_growth_mib", "workers_total_peak_mib", "worker_peak_mib")
RUN_KEYS = (
    "reason",
    "batch_status",
    *ITEM_KEYS,
    "fingerprint",
    "wall_seconds",
    "decision_seconds",
    "throughput_items_per_s",
    "invocations",
    "memory",
    "cpu_used_seconds",
    "cpu_wasted_seconds",
    "item_seconds_wasted",
    "item_runs",
    "matches_prediction",
)
FAILED_ITEMS_KEPT = 50
# The figures whose spread across repetitions the report keeps (min and max over the runs).
SPREAD_KEYS = ("wall_seconds", "decision_seconds", "throughput_items_per_s", "cpu_wasted_seconds")


def machine() -> dict[str, Any]:
    """The machine the figures come from."""
    load = os.getloadavg() if hasattr(os, "getloadavg") else (0.0, 0.0, 0.0)
    return {
        "cpus": os.cpu_count(),
        "python": platform.python_version(),
        "platform": platform.platform(),
        "load_average": [round(x, 2) for x in load],
    }


def aggregate(key: dict[str, Any], runs: Sequence[dict[str, Any]]) -> dict[str, Any]:
    """One configuration's entry from its runs (run records of `runner.run_once`)."""
    latencies = [x for r in runs for x in r["latencies"]]
    checks = [r["matches_prediction"] for r in runs]
    kept = []
    for r in runs:
        entry = {k: r[k] for k in RUN_KEYS}
        entry["failed_items"] = r["failed_items"][:FAILED_ITEMS_KEPT]
        kept.append(entry)
    return {
        **key,
        "repetitions": len(runs),
        "reasons": dict(Counter(r["reason"] for r in runs)),
        "batch_status": dict(Counter(r["batch_status"] for r in runs)),
        "items": {k: mean([r[k] for r in runs]) for k in ITEM_KEYS},
        "wasted": {
            "cpu_seconds": mean([r["cpu_wasted_seconds"] for r in runs]),
            "item_seconds": mean([r["item_seconds_wasted"] for r in runs]),
            "extra_item_runs": mean([r["item_runs"] - r["succeeded"] - r["failed"] for r in runs]),
        },
        "cpu_used_seconds": mean([r["cpu_used_seconds"] for r in runs]),
        "throughput_items_per_s": median([r["throughput_items_per_s"] for r in runs]),
        "wall_seconds": median([r["wall_seconds"] for r in runs]),
        "decision_seconds": median(
            [r["decision_seconds"] for r in runs if r["decision_seconds"] is not None]
        ),
        "spread": {k: _spread([r[k] for r in runs if r[k] is not None]) for k in SPREAD_KEYS},
        "latency_seconds": latency_summary(latencies),
        "memory": {k: max(r["memory"][k] for r in runs) for k in MEMORY_KEYS},
        "invocations": max(r["invocations"] for r in runs),
        "reproducible": len({r["fingerprint"] for r in runs}) == 1,
        "matches_prediction": None if checks[0] is None else all(checks),
        "runs": kept,
    }


def _spread(values: list[float]) -> dict[str, float | None]:
    return {"min": min(values) if values else None, "max": max(values) if values else None}


def build_report(
    settings: dict[str, Any], workload: dict[str, Any], configurations: list[dict[str, Any]], wall: float
) -> dict[str, Any]:
    return {
        "schema": SCHEMA_ID,
        "created": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
        "machine": machine(),
        "settings": settings,
        "workload": workload,
        "total_wall_seconds": wall,
        "configurations": configurations,
    }


# ---------------------------------------------------------------------------------------- schema

_NUM = (int, float)
_OPT_NUM = (int, float, type(None))
TOP = {
    "schema": str,
    "created": str,
    "machine": dict,
    "settings": dict,
    "workload": dict,
    "total_wall_seconds": _NUM,
    "configurations": list,
}
SETTINGS = {
    "items": int,
    "cost": str,
    "fail_rate": _NUM,
    "fail_pattern": str,
    "seed": int,
    "policies": list,
    "workers": list,
    "executor": str,
    "max_concurrency": (int, type(None)),
    "repetitions": int,
    "workload_function": (str, type(None)),
}
CONFIG = {
    "policy": str,
    "executor": str,
    "workers": int,
    "max_concurrency": (int, type(None)),
    "repetitions": int,
    "reasons": dict,
    "batch_status": dict,
    "items": dict,
    "wasted": dict,
    "cpu_used_seconds": _NUM,
    "throughput_items_per_s": _NUM,
    "wall_seconds": _NUM,
    "decision_seconds": _OPT_NUM,
    "spread": dict,
    "latency_seconds": dict,
    "memory": dict,
    "invocations": int,
    "reproducible": bool,
    "matches_prediction": (bool, type(None)),
    "runs": list,
}
NESTED: dict[str, dict[str, Any]] = {
    "items": dict.fromkeys(ITEM_KEYS, _NUM),
    "wasted": {"cpu_seconds": _NUM, "item_seconds": _NUM, "extra_item_runs": _NUM},
    "latency_seconds": dict.fromkeys(("p50", "p95", "p99", "max", "mean"), _OPT_NUM),
    "memory": dict.fromkeys(MEMORY_KEYS, _NUM),
    "spread": dict.fromkeys(SPREAD_KEYS, dict),
}


def _check(obj: Any, shape: dict[str, Any], where: str, problems: list[str]) -> None:
    if not isinstance(obj, dict):
        problems.append(f"{where}: expected an object, got {type(obj).__name__}")
        return
    for key, kind in shape.items():
        if key not in obj:
            problems.append(f"{where}.{key}: missing")
        elif isinstance(obj[key], bool) and kind in (_NUM, int, _OPT_NUM):
            problems.append(f"{where}.{key}: expected a number, got a bool")
        elif not isinstance(obj[key], kind):
            problems.append(f"{where}.{key}: wrong type {type(obj[key]).__name__}")


def validate_report(report: Any) -> list[str]:
    """Everything wrong with `report` against the schema (an empty list when it conforms)."""
    problems: list[str] = []
    _check(report, TOP, "report", problems)
    if problems:
        return problems
    if report["schema"] != SCHEMA_ID:
        problems.append(f"report.schema: expected {SCHEMA_ID!r}, got {report['schema']!r}")
    _check(report["settings"], SETTINGS, "report.settings", problems)
    for i, config in enumerate(report["configurations"]):
        where = f"report.configurations[{i}]"
        _check(config, CONFIG, where, problems)
        for key, shape in NESTED.items():
            if isinstance(config, dict) and isinstance(config.get(key), dict):
                _check(config[key], shape, f"{where}.{key}", problems)
        for j, run in enumerate(config.get("runs", []) if isinstance(config, dict) else []):
            missing = [k for k in RUN_KEYS if k not in run]
            if missing:
                problems.append(f"{where}.runs[{j}]: missing {', '.join(missing)}")
    return problems


# ---------------------------------------------------------------------------------------- table


def _ms(value: float | None) -> str:
    return "-" if value is None else f"{value * 1000:.1f}"


def short_reasons(reasons: dict[str, int]) -> str:
    """`min_ok`, or `allx2 tol_exceededx1` when the repetitions ended differently."""
    short = {
        "ALL_COMPLETED": "all",
        "MIN_SUCCESSFUL_REACHED": "min_ok",
        "FAILURE_TOLERANCE_EXCEEDED": "tol_exceeded",
        "CUSTOM_COMPLETION_SUCCEEDED": "custom_ok",
        "CUSTOM_COMPLETION_FAILED": "custom_failed",
    }
    return " ".join(
        f"{short.get(k, k)}x{v}" if len(reasons) > 1 or v > 1 else short.get(k, k)
        for k, v in sorted(reasons.items())
    )


def _check_mark(config: dict[str, Any]) -> str:
    marks = ["repro" if config["reproducible"] else "VARIES"]
    if config["matches_prediction"] is not None:
        marks.append("model ok" if config["matches_prediction"] else "MODEL MISMATCH")
    return ", ".join(marks)


COLUMNS: tuple[tuple[str, str], ...] = (
    ("policy", "the completion policy"),
    ("exec", "executor: proc (worker processes) or thre (threads)"),
    ("wk", "worker processes"),
    (
        "reason",
        "completion reason (xN: in N of the runs): all, min_ok, tol_exceeded, custom_ok, custom_failed",
    ),
    ("ok", "items succeeded (mean over the repetitions)"),
    ("fail", "items failed"),
    ("unfin", "items started but unfinished when the batch completed (cut off)"),
    ("never", "items never started"),
    ("decide ms", "time to decision: from the map's start to its result checkpoint (median)"),
    ("waste cpu s", "CPU seconds of item runs whose result was not used (cut off, orphaned, rerun)"),
    ("items/s", "throughput: (ok + fail) / wall time (median)"),
    ("p50 ms", "item latency, start to end inside the item (all counted items of all runs)"),
    ("p95 ms", "item latency, 95th percentile"),
    ("p99 ms", "item latency, 99th percentile"),
    ("wall s", "execution wall time, end to end (median)"),
    ("wall range", "smallest and largest wall time over the repetitions (the spread)"),
    ("rss parent", "peak RSS of this process (MiB)"),
    ("rss workers", "peak summed RSS of the worker processes (MiB)"),
    ("inv", "invocations the execution used"),
    (
        "check",
        "repro: every repetition ended the same (VARIES otherwise); model ok: matches the sequential model",
    ),
)
HEADERS = tuple(name for name, _ in COLUMNS)


def _range(spread: dict[str, float | None], digits: int = 2) -> str:
    low, high = spread["min"], spread["max"]
    return "-" if low is None or high is None else f"{low:.{digits}f}-{high:.{digits}f}"


def table_rows(report: dict[str, Any]) -> list[tuple[str, ...]]:
    rows: list[tuple[str, ...]] = []
    for c in report["configurations"]:
        items, lat, mem = c["items"], c["latency_seconds"], c["memory"]
        rows.append(
            (
                c["policy"],
                c["executor"][:4],
                str(c["workers"]),
                short_reasons(c["reasons"]),
                f"{items['succeeded']:g}",
                f"{items['failed']:g}",
                f"{items['started_unfinished']:g}",
                f"{items['never_started']:g}",
                _ms(c["decision_seconds"]),
                f"{c['wasted']['cpu_seconds']:.3f}",
                f"{c['throughput_items_per_s']:.0f}",
                _ms(lat["p50"]),
                _ms(lat["p95"]),
                _ms(lat["p99"]),
                f"{c['wall_seconds']:.2f}",
                _range(c["spread"]["wall_seconds"]),
                f"{mem['parent_peak_mib']:.0f}M",
                f"{mem['workers_total_peak_mib']:.0f}M",
                str(c["invocations"]),
                _check_mark(c),
            )
        )
    return rows


def headline(report: dict[str, Any]) -> str:
    """The line naming the workload and the machine."""
    s = report["settings"]
    work = f"workload {s['workload_function']}" if s.get("workload_function") else f"cost {s['cost']}"
    return (
        f"{s['items']} items, {work}, failures {s['fail_pattern']} {s['fail_rate']:g} "
        f"({s['fail_rate'] * 100:g} %), seed {s['seed']}, max_concurrency {s['max_concurrency'] or 'unbounded'}, "
        f"{s['repetitions']} repetition(s); {report['machine']['cpus']} cores, Python {report['machine']['python']}"
    )


def render_table(report: dict[str, Any]) -> str:
    """The report as a fixed-width text table, with a header naming the workload and the column legend."""
    table = render_rows([HEADERS, *table_rows(report)], right_from=4, header_rule=True)
    legend = "\n".join(f"  {name}: {meaning}" for name, meaning in COLUMNS)
    return f"{headline(report)}\n{table}\ncolumns:\n{legend}"
