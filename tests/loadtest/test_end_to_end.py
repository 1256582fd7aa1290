"""The tool end to end on a tiny workload: outcomes, checks against the model, outputs, reproducibility."""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET
from pathlib import Path
from typing import Any

from durable_mp.loadtest.cli import main
from tests.loadtest.conftest import run_tool

Tiny = tuple[int, Path, dict[str, Any], str]


def _by_policy(report: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {c["policy"]: c for c in report["configurations"]}


def test_outcomes_follow_the_policies(tiny_run: Tiny) -> None:
    code, _, report, _ = tiny_run
    assert code == 0
    c = _by_policy(report)
    # every:4 (rate 0.25) -> items 3, 7, 11 fail, one at a time in index order
    assert c["first_successful"]["reasons"] == {"MIN_SUCCESSFUL_REACHED": 1}
    assert c["first_successful"]["items"]["never_started"] == 11
    assert c["all_completed"]["items"] == {
        "succeeded": 9,
        "failed": 3,
        "started": 12,
        "started_unfinished": 0,
        "never_started": 0,
    }
    assert c["all_completed"]["runs"][0]["failed_items"] == [3, 7, 11]
    assert c["all_successful"]["reasons"] == {"FAILURE_TOLERANCE_EXCEEDED": 1}
    assert (c["all_successful"]["items"]["succeeded"], c["all_successful"]["items"]["failed"]) == (3, 1)
    assert c["custom"]["reasons"] == {"CUSTOM_COMPLETION_SUCCEEDED": 1}
    assert c["custom"]["items"]["succeeded"] == 6
    assert all(x["matches_prediction"] is True for x in report["configurations"])
    assert all(x["invocations"] == 1 for x in report["configurations"])


def test_measures_cpu_latency_and_memory(tiny_run: Tiny) -> None:
    c = _by_policy(tiny_run[2])["all_completed"]
    assert 12 * 0.001 <= c["cpu_used_seconds"] < 12 * 0.001 + 0.05
    assert c["wasted"]["cpu_seconds"] == 0 and c["wasted"]["extra_item_runs"] == 0
    assert 0.001 <= c["latency_seconds"]["p50"] <= c["latency_seconds"]["p95"] <= c["latency_seconds"]["p99"]
    assert c["throughput_items_per_s"] > 0 and c["memory"]["parent_peak_mib"] > 10
    assert c["memory"]["worker_peak_mib"] > 5  # the worker process was sampled


def test_writes_html_with_four_svg_charts_a_legend_and_says_png_skipped(tiny_run: Tiny) -> None:
    _, out, report, _ = tiny_run
    page = (out / "report.html").read_text()
    assert (
        page.startswith("<!DOCTYPE html>")
        and "<script" not in page
        and "http" not in page.replace('xmlns="http://www.w3.org/2000/svg"', "")
    )
    svgs = [page[i : page.index("</svg>", i) + 6] for i in range(len(page)) if page.startswith("<svg", i)]
    titles = [ET.fromstring(svg).find("{http://www.w3.org/2000/svg}text").text for svg in svgs]
    assert titles == [
        "Items per policy: what it completed, cut and never started",
        "Time to decision (median, min-max over repetitions)",
        "Throughput vs workers",
        "Wasted work per policy",
    ]
    # the outcome chart: the "ok" segments differ per policy (1 for first_successful, 9 for all_completed),
    # and each bar is labelled with its completion reason
    ok_color = 'fill="#4e79a7"'
    ok_heights = [
        float(r.split('height="')[1].split('"')[0]) for r in svgs[0].split("<rect")[1:] if ok_color in r
    ]
    assert len(set(ok_heights[:4])) > 1
    assert ">min_ok</text>" in svgs[0] and ">tol_exceeded</text>" in svgs[0] and ">all</text>" in svgs[0]
    assert "<dt>unfin</dt><dd>items started but unfinished when the batch completed (cut off)</dd>" in page
    assert report["files"]["png"] == [] and "matplotlib is not installed" in report["files"]["png_skipped"]
    assert not list(out.glob("*.png"))


def test_same_seed_reproduces_other_seed_differs(tmp_path: Path, tiny_run: Tiny) -> None:
    args = ("--no-png", "--fail-pattern", "random", "--items", "20", "--fail-rate", "0.3")
    _, a = run_tool(tmp_path / "a", *args)
    _, b = run_tool(tmp_path / "b", *args)
    _, c = run_tool(tmp_path / "c", *args, "--seed", "4")
    fingerprints = lambda r: [x["runs"][0]["fingerprint"] for x in r["configurations"]]
    failed = lambda r: _by_policy(r)["all_completed"]["runs"][0]["failed_items"]
    assert fingerprints(a) == fingerprints(b) and failed(a) == failed(b) and failed(a)
    assert failed(a) != failed(c)


def test_bad_arguments_exit_2_with_a_clear_message(tmp_path: Path, capsys: Any) -> None:
    assert main(["--policy", "min_successful=500", "--items", "10", "--out", str(tmp_path)]) == 2
    assert "min_successful 500 is more than the 10 items" in capsys.readouterr().err
    assert main(["--cost", "cpu:fast", "--out", str(tmp_path)]) == 2
    assert "'fast' is not a number" in capsys.readouterr().err
    assert not (tmp_path / "report.json").exists()


def test_units_cannot_be_confused(tmp_path: Path, capsys: Any) -> None:
    code, report = run_tool(tmp_path / "pct", "--no-png", "--fail-rate", "25%")
    assert code == 0 and report["settings"]["fail_rate"] == 0.25
    assert main(["--fail-rate", "5", "--out", str(tmp_path)]) == 2
    assert "--fail-rate 5: a share of items is a fraction from 0 to 1 (0.05) or a percent with % (5%)" in (
        capsys.readouterr().err
    )
    assert main(["--policy", "custom:quorum=0.6", "--out", str(tmp_path)]) == 2
    assert "quorum=0.6 is a percent, not a fraction: write 60 for 60 %" in capsys.readouterr().err


def _run_one_policy(out: Path, policy: str, *extra: str) -> tuple[int, dict[str, Any]]:
    base = ["--items", "12", "--cost", "cpu:0.001", "--workers", "1", "--max-concurrency", "1", "--no-png"]
    code = main([*base, "--policy", policy, "--out", str(out), *extra])
    return code, json.loads((out / "report.json").read_text())


def test_repeat_gives_the_spread_and_time_to_decision(tmp_path: Path) -> None:
    code, report = _run_one_policy(tmp_path, "all_completed", "--repeat", "2")
    assert code == 0
    [c] = report["configurations"]
    assert c["repetitions"] == 2 and len(c["runs"]) == 2
    for key in ("wall_seconds", "decision_seconds", "throughput_items_per_s"):
        low, high = c["spread"][key]["min"], c["spread"][key]["max"]
        assert low is not None and high is not None and low <= c[key] <= high, key
    assert 0 < c["decision_seconds"] <= c["wall_seconds"]
    assert all(0 < r["decision_seconds"] <= r["wall_seconds"] for r in c["runs"])


def test_workload_runs_the_users_item_function(tmp_path: Path, capsys: Any) -> None:
    code, report = _run_one_policy(
        tmp_path, "all_completed", "--workload", "tests.loadtest.user_items:odd_fails"
    )
    assert code == 0 and report["settings"]["workload_function"] == "tests.loadtest.user_items:odd_fails"
    [c] = report["configurations"]
    assert (c["items"]["succeeded"], c["items"]["failed"]) == (6, 6)  # items 1, 3, ... 11 raise
    assert c["runs"][0]["failed_items"] == [1, 3, 5, 7, 9, 11]
    assert "workload tests.loadtest.user_items:odd_fails" in (tmp_path / "report.txt").read_text()
    assert main(["--workload", "tests.loadtest.user_items:nope", "--out", str(tmp_path / "x")]) == 2
    assert "workload 'tests.loadtest.user_items:nope': cannot load it" in capsys.readouterr().err
