"""The tool end to end on a tiny workload: outcomes, checks against the model, outputs, reproducibility."""

from __future__ import annotations

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


def test_writes_html_with_three_svg_charts_and_says_png_skipped(tiny_run: Tiny) -> None:
    _, out, report, _ = tiny_run
    page = (out / "report.html").read_text()
    assert (
        page.startswith("<!DOCTYPE html>")
        and "<script" not in page
        and "http" not in page.replace('xmlns="http://www.w3.org/2000/svg"', "")
    )
    svgs = [page[i : page.index("</svg>", i) + 6] for i in range(len(page)) if page.startswith("<svg", i)]
    titles = [ET.fromstring(svg).find("{http://www.w3.org/2000/svg}text").text for svg in svgs]
    assert titles == ["Throughput vs workers", "Completion reasons per policy", "Wasted work per policy"]
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
