"""The report's three charts as data, and as one self-contained HTML page with inline SVG (no JS, no CDN).

Charts: throughput (items/s) vs workers, one line per policy; completion reasons per policy (stacked
runs); wasted CPU seconds per policy, one bar per worker count. `chart_data` is shared with `png`.
"""

from __future__ import annotations

import html
import math
from typing import Any

from durable_mp.loadtest.report import HEADERS, render_table, table_rows

PALETTE = ("#4e79a7", "#f28e2b", "#e15759", "#76b7b2", "#59a14f", "#edc948", "#b07aa1", "#ff9da7", "#9c755f")
REASON_ORDER = (
    "ALL_COMPLETED",
    "MIN_SUCCESSFUL_REACHED",
    "CUSTOM_COMPLETION_SUCCEEDED",
    "CUSTOM_COMPLETION_FAILED",
    "FAILURE_TOLERANCE_EXCEEDED",
)
W, H, LEFT, RIGHT, TOP, BOTTOM = 640, 320, 60, 170, 30, 50


def chart_data(report: dict[str, Any]) -> dict[str, Any]:
    """{"policies", "workers", "throughput": {policy: [items/s per worker count]},
    "reasons": {policy: {reason: runs}}, "wasted": {policy: [CPU s per worker count]}} (None where not run)."""
    configs = report["configurations"]
    policies = list(dict.fromkeys(c["policy"] for c in configs))
    workers = sorted({c["workers"] for c in configs})
    by = {(c["policy"], c["workers"]): c for c in configs}
    reasons: dict[str, dict[str, int]] = {p: {} for p in policies}
    for c in configs:
        for reason, n in c["reasons"].items():
            reasons[c["policy"]][reason] = reasons[c["policy"]].get(reason, 0) + n

    def series(field: Any) -> dict[str, list[float | None]]:
        return {p: [field(by[(p, w)]) if (p, w) in by else None for w in workers] for p in policies}

    return {
        "policies": policies,
        "workers": workers,
        "reasons": reasons,
        "throughput": series(lambda c: c["throughput_items_per_s"]),
        "wasted": series(lambda c: c["wasted"]["cpu_seconds"]),
    }


def _nice_max(value: float) -> float:
    """The top of the y axis: `value` rounded up to a half step of its order of magnitude."""
    if value <= 0:
        return 1.0
    magnitude = 10 ** math.floor(math.log10(value))
    return math.ceil(value / magnitude * 2) / 2 * magnitude


def _frame(title: str, y_label: str, y_max: float, x_labels: list[str]) -> list[str]:
    plot_w, plot_h = W - LEFT - RIGHT, H - TOP - BOTTOM
    out = [
        (
            f'<svg xmlns="http://www.w3.org/2000/svg" width="{W}" height="{H}" viewBox="0 0 {W} {H}" '
            f'font-family="sans-serif" font-size="11">'
        ),
        f'<text x="{W / 2 - RIGHT / 2:.0f}" y="18" text-anchor="middle" font-size="14">{html.escape(title)}</text>',
    ]
    for k in range(5):
        value = y_max * k / 4
        y = TOP + plot_h - plot_h * k / 4
        out.append(f'<line x1="{LEFT}" x2="{LEFT + plot_w}" y1="{y:.1f}" y2="{y:.1f}" stroke="#ddd"/>')
        out.append(f'<text x="{LEFT - 6}" y="{y + 4:.1f}" text-anchor="end">{value:.3g}</text>')
    out.append(
        f'<text transform="translate(14 {TOP + plot_h / 2:.0f}) rotate(-90)" text-anchor="middle">'
        f"{html.escape(y_label)}</text>"
    )
    slot = plot_w / max(1, len(x_labels))
    for i, label in enumerate(x_labels):
        out.append(
            f'<text x="{LEFT + slot * (i + 0.5):.1f}" y="{TOP + plot_h + 16}" text-anchor="middle">'
            f"{html.escape(label)}</text>"
        )
    out.append(f'<line x1="{LEFT}" x2="{LEFT}" y1="{TOP}" y2="{TOP + plot_h}" stroke="#333"/>')
    out.append(
        f'<line x1="{LEFT}" x2="{LEFT + plot_w}" y1="{TOP + plot_h}" y2="{TOP + plot_h}" stroke="#333"/>'
    )
    return out


def _legend(names: list[str]) -> list[str]:
    out = []
    for i, name in enumerate(names):
        y = TOP + 14 * i
        out.append(
            f'<rect x="{W - RIGHT + 12}" y="{y}" width="10" height="10" fill="{PALETTE[i % len(PALETTE)]}"/>'
        )
        out.append(f'<text x="{W - RIGHT + 26}" y="{y + 9}">{html.escape(name)}</text>')
    return out


def line_chart(title: str, y_label: str, x_labels: list[str], series: dict[str, list[float | None]]) -> str:
    """Lines over categorical x positions; a None value breaks its line."""
    values = [v for vs in series.values() for v in vs if v is not None]
    y_max = _nice_max(max(values, default=0.0))
    out = _frame(title, y_label, y_max, x_labels)
    plot_w, plot_h = W - LEFT - RIGHT, H - TOP - BOTTOM
    slot = plot_w / max(1, len(x_labels))
    for i, (name, vs) in enumerate(series.items()):
        color = PALETTE[i % len(PALETTE)]
        points = [
            (LEFT + slot * (j + 0.5), TOP + plot_h - plot_h * v / y_max)
            for j, v in enumerate(vs)
            if v is not None
        ]
        if len(points) > 1:
            path = " ".join(f"{x:.1f},{y:.1f}" for x, y in points)
            out.append(f'<polyline points="{path}" fill="none" stroke="{color}" stroke-width="2"/>')
        out.extend(f'<circle cx="{x:.1f}" cy="{y:.1f}" r="3.5" fill="{color}"/>' for x, y in points)
    out.extend(_legend(list(series)))
    return "\n".join([*out, "</svg>"])


def bar_chart(
    title: str, y_label: str, groups: list[str], series: dict[str, list[float | None]], stacked: bool = False
) -> str:
    """Bars per group, one per series (side by side, or stacked when `stacked`)."""
    if stacked:
        totals = [sum(vs[g] or 0 for vs in series.values()) for g in range(len(groups))]
        y_max = _nice_max(max(totals, default=0.0))
    else:
        y_max = _nice_max(max((v for vs in series.values() for v in vs if v is not None), default=0.0))
    out = _frame(title, y_label, y_max, groups)
    plot_w, plot_h = W - LEFT - RIGHT, H - TOP - BOTTOM
    slot = plot_w / max(1, len(groups))
    n = 1 if stacked else max(1, len(series))
    bar = slot * 0.7 / n
    for g in range(len(groups)):
        base = 0.0
        for i, vs in enumerate(series.values()):
            value = vs[g]
            if value is None:
                continue
            height = plot_h * value / y_max
            x = LEFT + slot * g + slot * 0.15 + (0 if stacked else bar * i)
            y = TOP + plot_h - height - (plot_h * base / y_max if stacked else 0)
            out.append(
                f'<rect x="{x:.1f}" y="{y:.1f}" width="{bar:.1f}" height="{height:.1f}" '
                f'fill="{PALETTE[i % len(PALETTE)]}"><title>{value:.4g}</title></rect>'
            )
            if stacked:
                base += value
    out.extend(_legend(list(series)))
    return "\n".join([*out, "</svg>"])


def svg_charts(report: dict[str, Any]) -> list[str]:
    """The three charts as SVG documents."""
    d = chart_data(report)
    workers = [f"{w} worker{'s' if w != 1 else ''}" for w in d["workers"]]
    reasons = [r for r in REASON_ORDER if any(r in d["reasons"][p] for p in d["policies"])]
    reason_series = {r: [float(d["reasons"][p].get(r, 0)) for p in d["policies"]] for r in reasons}
    wasted = {f"{w} workers": [d["wasted"][p][j] for p in d["policies"]] for j, w in enumerate(d["workers"])}
    return [
        line_chart("Throughput vs workers", "items / s", workers, d["throughput"]),
        bar_chart("Completion reasons per policy", "runs", d["policies"], reason_series, stacked=True),
        bar_chart("Wasted work per policy", "CPU seconds", d["policies"], wasted),
    ]


def render_html(report: dict[str, Any]) -> str:
    """One self-contained page: settings, the table, the three charts."""
    rows = "\n".join(
        "<tr>" + "".join(f"<td>{html.escape(cell)}</td>" for cell in row) + "</tr>"
        for row in table_rows(report)
    )
    head = "".join(f"<th>{html.escape(h)}</th>" for h in HEADERS)
    summary = html.escape(render_table(report).splitlines()[0])
    charts = "\n".join(f'<div class="chart">{svg}</div>' for svg in svg_charts(report))
    return f"""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>durable-mp load test</title>
<style>body{{font-family:sans-serif;margin:24px;color:#222}} table{{border-collapse:collapse;font-size:12px}}
td,th{{border:1px solid #ccc;padding:3px 6px;text-align:right}} td:nth-child(-n+4),th{{text-align:left}}
.chart{{display:inline-block;margin:8px}}</style></head>
<body><h1>durable-mp load test</h1><p>{summary}</p><p>Created {html.escape(report["created"])};
{report["total_wall_seconds"]:.1f} s in total.</p>
<table><tr>{head}</tr>
{rows}
</table>
{charts}
</body></html>
"""
