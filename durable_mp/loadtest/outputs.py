"""Writing a report out: report.json, report.txt (the table), report.html (inline SVG) and the PNGs."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any, TextIO

from durable_mp.loadtest.charts import render_html
from durable_mp.loadtest.png import MISSING, matplotlib_available, write_pngs
from durable_mp.loadtest.report import render_table, validate_report


def write_outputs(report: dict[str, Any], out: Path, say: TextIO, png: bool = True) -> dict[str, Any]:
    """Write every output into `out` (created); returns {"json", "table", "html", "png": [...], "png_skipped"}.

    The report is checked against its schema first: a report that does not conform is a bug in the tool.
    """
    problems = validate_report(report)
    if problems:
        raise AssertionError("the load-test report does not match its schema: " + "; ".join(problems))
    out.mkdir(parents=True, exist_ok=True)
    files: dict[str, Any] = {
        "json": "report.json",
        "table": "report.txt",
        "html": "report.html",
        "png": [],
        "png_skipped": None,
    }
    if not png:
        files["png_skipped"] = "--no-png"
    elif matplotlib_available():
        files["png"] = write_pngs(report, out)
    else:
        files["png_skipped"] = MISSING
        say.write(MISSING + "\n")
    report["files"] = files
    (out / "report.json").write_text(json.dumps(report, indent=1) + "\n")
    (out / "report.txt").write_text(render_table(report) + "\n")
    (out / "report.html").write_text(render_html(report))
    return files
