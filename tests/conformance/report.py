"""Per-suite table of the conformance run: passed / failed / not implemented, for processes and threads.

    python -m tests.conformance.report                  # runs the conformance tests (pytest -n 2), then reports
    python -m tests.conformance.report --junit run.xml  # reports on an earlier run's junit xml

map and parallel requirements run once per executor; the other suites do not use an executor, so their
single result is shown in both columns (marked *). Exits 1 when any requirement failed.
"""

from __future__ import annotations

import argparse
import re
import subprocess
import sys
import tempfile
import xml.etree.ElementTree as ET
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

from .harness import EXECUTOR_SUITES, EXECUTORS, SUITE_ORDER

_TEST_NAME = re.compile(
    r"^test_requirement\[(?P<suite>[a-z_]+)-(?P<rid>\d+(?:-\d+)*?)(?:-(?P<executor>processes|threads))?\]$"
)
OUTCOMES = ("passed", "failed", "not implemented")


@dataclass(frozen=True)
class Outcome:
    """The result of one conformance test case."""

    suite: str
    requirement_id: str
    executor: str | None
    outcome: str
    message: str


def read_junit(path: Path) -> list[Outcome]:
    """The requirement outcomes recorded in a pytest junit xml file."""
    outcomes: list[Outcome] = []
    for case in ET.parse(path).iter("testcase"):
        match = _TEST_NAME.match(case.get("name", ""))
        if match is None:
            continue
        outcome, message = "passed", ""
        for child in case:
            if child.tag in ("failure", "error"):
                outcome, message = "failed", child.get("message", "")
            elif child.tag == "skipped":
                is_declared = child.get("type") == "pytest.xfail"
                outcome = "not implemented" if is_declared else "failed"
                message = child.get("message", "") if is_declared else f"skipped: {child.get('message', '')}"
        outcomes.append(Outcome(match["suite"], match["rid"], match["executor"], outcome, message))
    return outcomes


def table(outcomes: list[Outcome]) -> str:
    """The per-suite table, one row per suite, one column group per executor."""
    counts: dict[tuple[str, str], Counter[str]] = {}
    for item in outcomes:
        columns = (item.executor,) if item.executor else EXECUTORS
        for executor in columns:
            counts.setdefault((item.suite, executor), Counter())[item.outcome] += 1
    suites = [s for s in SUITE_ORDER if any(key[0] == s for key in counts)]
    suites += sorted({key[0] for key in counts} - set(suites))
    header = f"{'suite':<20}" + "".join(f" | {e + ' pass/fail/NI':>24}" for e in EXECUTORS)
    lines = [header, "-" * len(header)]
    totals = {e: Counter() for e in EXECUTORS}
    for suite in suites:
        cells = []
        for executor in EXECUTORS:
            c = counts.get((suite, executor), Counter())
            totals[executor].update(c)
            cells.append(" | " + f"{c['passed']}/{c['failed']}/{c['not implemented']}".rjust(24))
        mark = "" if suite in EXECUTOR_SUITES else " *"
        lines.append(f"{suite + mark:<20}" + "".join(cells))
    lines.append("-" * len(header))
    lines.append(
        f"{'total':<20}"
        + "".join(
            " | " + f"{t['passed']}/{t['failed']}/{t['not implemented']}".rjust(24) for t in totals.values()
        )
    )
    lines.append("* runs once, without an executor: the same result is counted in both columns")
    return "\n".join(lines)


def details(outcomes: list[Outcome]) -> str:
    """Each failed and not-implemented requirement with its message's first line."""
    lines = []
    for kind in ("failed", "not implemented"):
        chosen = [o for o in outcomes if o.outcome == kind]
        if chosen:
            lines.append(f"\n{kind.upper()} ({len(chosen)}):")
            for o in chosen:
                label = f"{o.suite}/{o.requirement_id}" + (f" [{o.executor}]" if o.executor else "")
                lines.append(f"  {label}: {o.message.strip().splitlines()[0] if o.message.strip() else ''}")
    return "\n".join(lines)


def run_tests(junit: Path, workers: int) -> int:
    """Run the conformance tests with pytest-xdist, writing ``junit``; returns pytest's exit code."""
    command = [
        sys.executable,
        "-m",
        "pytest",
        str(Path(__file__).parent / "test_conformance.py"),
        "-q",
        "-p",
        "no:cacheprovider",
        f"--junitxml={junit}",
    ]
    if workers > 1:
        command += ["-n", str(workers)]
    return subprocess.run(command, check=False).returncode


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m tests.conformance.report", description=__doc__.splitlines()[0]
    )
    parser.add_argument("--junit", type=Path, help="read this junit xml instead of running the tests")
    parser.add_argument(
        "-n", "--workers", type=int, default=2, help="pytest-xdist workers for the run (default 2)"
    )
    args = parser.parse_args(argv)
    junit = args.junit
    if junit is None:
        junit = Path(tempfile.mkdtemp(prefix="conformance-")) / "junit.xml"
        run_tests(junit, args.workers)
    if not junit.is_file():
        parser.error(f"no junit xml at {junit}")
    outcomes = read_junit(junit)
    if not outcomes:
        parser.error(f"{junit} holds no conformance requirement results")
    print(table(outcomes))
    print(details(outcomes))
    return 1 if any(o.outcome == "failed" for o in outcomes) else 0


if __name__ == "__main__":
    sys.exit(main())
