"""The report's charts as data, and as one self-contained HTML page with inline SVG (no JS, no CDN).

Charts, one per question a policy tuner asks: what each configuration (policy x workers) completed, cut off
and never started (stacked items, its completion reason written above: a chart of reasons alone would be
bars of equal height, one reason per run); when it decided (time to decision, median with the min-max
range over repetitions); throughput vs workers; wasted CPU per policy. `chart_data` is shared with `png`.
The page also carries the table and its column legend.
"""

from __future__ import annotations

import html
import math
from collections.abc import Mapping, Sequence
from typing import Any

from durable_mp.loadtest.report import COLUMNS, HEADERS, headline, short_reasons, table_rows

PALETTE = ("#4e79a7", "#f28e2b", "#e15759", "#76b7b2", "#59a14f", "#edc948", "#b07aa1", "#ff9da7", "#9c755f")
W, H, LEFT, RIGHT, TOP, BOTTOM = 660, 380, 90, 170, 40, 100


OUTCOMES = (
    ("succeeded", "ok"),
    ("failed", "failed"),
    ("started_unfinished", "unfinished (cut off)"),
    ("never_started", "never started"),
)


def config_label(c: dict[str, Any]) -> str:
    return f"{c['policy']} ({c['workers']} wk)"


def chart_data(report: dict[str, Any]) -> dict[str, Any]:
    """Everything the charts draw (shared with `png`), None where a configuration did not run:

    {"policies", "workers", "throughput": {policy: [items/s per worker count]},
     "wasted": {policy: [CPU s per worker count]}, "configs": [label per configuration],
     "outcomes": {outcome label: [mean items per configuration]}, "reasons": [short reasons per configuration],
     "decision": [median s per configuration], "decision_range": [(min, max) per configuration]}."""
    configs = report["configurations"]
    policies = list(dict.fromkeys(c["policy"] for c in configs))
    workers = sorted({c["workers"] for c in configs})
    by = {(c["policy"], c["workers"]): c for c in configs}

    def series(field: Any) -> dict[str, list[float | None]]:
        return {p: [field(by[(p, w)]) if (p, w) in by else None for w in workers] for p in policies}

    return {
        "policies": policies,
        "workers": workers,
        "throughput": series(lambda c: c["throughput_items_per_s"]),
        "wasted": series(lambda c: c["wasted"]["cpu_seconds"]),
        "configs": [config_label(c) for c in configs],
        "outcomes": {label: [float(c["items"][key]) for c in configs] for key, label in OUTCOMES},
        "reasons": [short_reasons(c["reasons"]) for c in configs],
        "decision": [c["decision_seconds"] for c in configs],
        "decision_range": [
            (c["spread"]["decision_seconds"]["min"], c["spread"]["decision_seconds"]["max"]) for c in configs
        ],
    }


def _nice_max(value: float) -> float:
    """The top of the y axis: `value` rounded up to a half step of its order of magnitude."""
    if value <= 0:
        return 1.0
    magnitude = 10.0 ** math.floor(math.log10(value))
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
        x, y = LEFT + slot * (i + 0.5), TOP + plot_h + 16
        if len(x_labels) > 3:  # long labels in narrow slots: slanted, ending under their bar
            out.append(
                f'<text x="{x:.1f}" y="{y}" text-anchor="end" transform="rotate(-35 {x:.1f} {y})">'
                f"{html.escape(label)}</text>"
            )
        else:
            out.append(f'<text x="{x:.1f}" y="{y}" text-anchor="middle">{html.escape(label)}</text>')
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


def line_chart(
    title: str, y_label: str, x_labels: list[str], series: Mapping[str, Sequence[float | None]]
) -> str:
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
    title: str,
    y_label: str,
    groups: list[str],
    series: dict[str, list[float | None]],
    stacked: bool = False,
    labels: list[str] | None = None,
    whiskers: list[tuple[float | None, float | None]] | None = None,
) -> str:
    """Bars per group, one per series (side by side, or stacked when `stacked`); `labels` are written above
    each group's bars, `whiskers` (one series only) draw each bar's min-max range."""
    if stacked:
        totals = [sum(vs[g] or 0 for vs in series.values()) for g in range(len(groups))]
        y_max = _nice_max(max(totals, default=0.0))
    else:
        tops = [v for vs in series.values() for v in vs if v is not None]
        tops += [high for _, high in whiskers or [] if high is not None]
        y_max = _nice_max(max(tops, default=0.0))
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
        centre = LEFT + slot * g + slot / 2
        if whiskers is not None and whiskers[g][0] is not None and whiskers[g][1] is not None:
            # both ends checked not None just above (mypy does not narrow them through the generator)
            low, high = (TOP + plot_h - plot_h * v / y_max for v in whiskers[g])  # type: ignore[operator]
            out.append(
                f'<line x1="{centre:.1f}" x2="{centre:.1f}" y1="{low:.1f}" y2="{high:.1f}" stroke="#222"/>'
            )
            for y in (low, high):
                out.append(
                    f'<line x1="{centre - 5:.1f}" x2="{centre + 5:.1f}" y1="{y:.1f}" y2="{y:.1f}" stroke="#222"/>'
                )
        if labels is not None:
            out.append(
                f'<text x="{centre:.1f}" y="{TOP - 4}" text-anchor="middle" font-size="9">{html.escape(labels[g])}</text>'
            )
    out.extend(_legend(list(series)))
    return "\n".join([*out, "</svg>"])


def svg_charts(report: dict[str, Any]) -> list[str]:
    """The four charts as SVG documents: outcomes, time to decision, throughput, wasted work."""
    d = chart_data(report)
    workers = [f"{w} worker{'s' if w != 1 else ''}" for w in d["workers"]]
    wasted = {workers[j]: [d["wasted"][p][j] for p in d["policies"]] for j in range(len(d["workers"]))}
    return [
        bar_chart(
            "Items per policy: what it completed, cut and never started",
            "items (mean)",
            d["configs"],
            d["outcomes"],
            stacked=True,
            labels=d["reasons"],
        ),
        bar_chart(
            "Time to decision (median, min-max over repetitions)",
            "seconds",
            d["configs"],
            {"time to decision": d["decision"]},
            labels=d["reasons"],
            whiskers=d["decision_range"],
        ),
        line_chart("Throughput vs workers", "items / s", workers, d["throughput"]),
        bar_chart("Wasted work per policy", "CPU seconds", d["policies"], wasted),
    ]


def render_html(report: dict[str, Any]) -> str:
    """One self-contained page: settings, the table, the three charts."""
    rows = "\n".join(
        "<tr>" + "".join(f"<td>{html.escape(cell)}</td>" for cell in row) + "</tr>"
        for row in table_rows(report)
    )
    head = "".join(f"<th>{html.escape(h)}</th>" for h in HEADERS)
    summary = html.escape(headline(report))
    charts = "\n".join(f'<div class="chart">{svg}</div>' for svg in svg_charts(report))
    legend = "\n".join(
        f"<dt>{html.escape(name)}</dt><dd>{html.escape(meaning)}</dd>" for name, meaning in COLUMNS
    )
    return f"""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>durable-mp load test</title>
<style>body{{font-family:sans-serif;margin:24px;color:#222}} table{{border-collapse:collapse;font-size:12px}}
td,th{{border:1px solid #ccc;padding:3px 6px;text-align:right}} td:nth-child(-n+4),th{{text-align:left}}
.chart{{display:inline-block;margin:8px}} dl.legend{{font-size:12px;display:grid;grid-template-columns:max-content auto;gap:2px 12px}}
dl.legend dd{{margin:0}}</style></head>
<body><h1>durable-mp load test</h1><p>{summary}</p><p>Created {html.escape(report["created"])};
{report["total_wall_seconds"]:.1f} s in total.</p>
<table><tr>{head}</tr>
{rows}
</table>
<h2>Columns</h2>
<dl class="legend">
{legend}
</dl>
{charts}
</body></html>
"""
