"""The report: its JSON schema (validated), the aggregates and the table."""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

import pytest

from durable_mp.loadtest.report import SCHEMA_ID, aggregate, render_table, validate_report

Tiny = tuple[int, Path, dict[str, Any], str]


def test_tool_report_matches_schema(tiny_run: Tiny) -> None:
    _, _, report, _ = tiny_run
    assert report["schema"] == SCHEMA_ID
    assert validate_report(report) == []
    assert [c["policy"] for c in report["configurations"]] == [
        "first_successful",
        "all_completed",
        "all_successful",
        "custom",
    ]


def test_schema_violations_are_named(tiny_run: Tiny) -> None:
    report = copy.deepcopy(tiny_run[2])
    del report["configurations"][0]["latency_seconds"]["p99"]
    report["configurations"][1]["workers"] = "two"
    report["configurations"][2]["reproducible"] = 1
    del report["configurations"][3]["runs"][0]["fingerprint"]
    report["settings"]["seed"] = True
    problems = validate_report(report)
    assert "report.configurations[0].latency_seconds.p99: missing" in problems
    assert "report.configurations[1].workers: wrong type str" in problems
    assert "report.configurations[2].reproducible: wrong type int" in problems
    assert "report.configurations[3].runs[0]: missing fingerprint" in problems
    assert "report.settings.seed: expected a number, got a bool" in problems
    assert validate_report({"schema": SCHEMA_ID}) and validate_report([]) == [
        "report: expected an object, got list"
    ]


def _run(
    reason: str, ok: int, bad: int, wall: float, fingerprint: str, latencies: list[float]
) -> dict[str, Any]:
    return {
        "reason": reason,
        "batch_status": "FAILED" if bad else "SUCCEEDED",
        "succeeded": ok,
        "failed": bad,
        "started": ok + bad,
        "started_unfinished": 0,
        "never_started": 10 - ok - bad,
        "fingerprint": fingerprint,
        "wall_seconds": wall,
        "decision_seconds": wall / 2,
        "throughput_items_per_s": (ok + bad) / wall,
        "invocations": 1,
        "memory": {
            "parent_peak_mib": 50.0,
            "parent_growth_mib": 1.0,
            "workers_total_peak_mib": 40.0,
            "worker_peak_mib": 20.0,
            "parent_start_mib": 49.0,
            "workers_seen": 2,
        },
        "cpu_used_seconds": 0.1,
        "cpu_wasted_seconds": 0.02,
        "item_seconds_wasted": 0.03,
        "item_runs": ok + bad + 1,
        "matches_prediction": None,
        "failed_items": list(range(bad)),
        "latencies": latencies,
    }


def test_aggregate_over_repetitions() -> None:
    runs = [
        _run("ALL_COMPLETED", 9, 1, 1.0, "a", [0.1, 0.2]),
        _run("ALL_COMPLETED", 9, 1, 2.0, "a", [0.3]),
        _run("FAILURE_TOLERANCE_EXCEEDED", 4, 1, 4.0, "b", [0.4]),
    ]
    c = aggregate({"policy": "p", "executor": "processes", "workers": 2, "max_concurrency": None}, runs)
    assert c["reasons"] == {"ALL_COMPLETED": 2, "FAILURE_TOLERANCE_EXCEEDED": 1}
    assert c["items"]["succeeded"] == pytest.approx(22 / 3) and c["items"]["never_started"] == pytest.approx(
        5 / 3
    )
    assert c["wall_seconds"] == 2.0  # median
    assert c["spread"]["wall_seconds"] == {"min": 1.0, "max": 4.0}  # across the repetitions
    assert c["decision_seconds"] == 1.0 and c["spread"]["decision_seconds"] == {"min": 0.5, "max": 2.0}
    assert c["latency_seconds"]["p50"] == 0.25 and c["latency_seconds"]["max"] == 0.4
    assert c["wasted"]["extra_item_runs"] == 1.0
    assert c["reproducible"] is False and c["matches_prediction"] is None
    assert "latencies" not in c["runs"][0]


def test_table_has_a_row_per_configuration(tiny_run: Tiny) -> None:
    _, _, report, text = tiny_run
    assert text.strip() == render_table(report)
    lines = text.splitlines()
    assert lines[0].startswith("12 items, cost cpu:0.001, failures every 0.25 (25 %), seed 3")
    assert lines[1].split()[:4] == ["policy", "exec", "wk", "reason"]
    rows = {line.split()[0]: line for line in lines[3:7]}
    assert set(rows) == {"first_successful", "all_completed", "all_successful", "custom"}
    assert "min_ok" in rows["first_successful"] and "model ok" in rows["all_completed"]


def test_soak_growth_ignores_the_warm_up_plateau_but_not_a_climb() -> None:
    from durable_mp.loadtest.soak import _growth

    plateau = [100.0, 101.4, 102.7, 104.5, 103.9, 105.5, 106.9, 107.9, 109.8, 111.3] + [112.0] * 10
    base, growth = _growth(plateau)
    assert base == 107.9 and growth == pytest.approx(4.1)
    leak = [100.0 + 3 * i for i in range(20)]
    assert _growth(leak)[1] == pytest.approx(30.0)


def test_pngs_with_matplotlib(tiny_run: Tiny, tmp_path: Path) -> None:
    pytest.importorskip("matplotlib", reason="the plot extra is not installed")
    from durable_mp.loadtest.png import write_pngs

    names = write_pngs(tiny_run[2], tmp_path)
    assert names == ["outcomes.png", "time_to_decision.png", "throughput_vs_workers.png", "wasted_work.png"]
    assert all((tmp_path / n).read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" for n in names)
