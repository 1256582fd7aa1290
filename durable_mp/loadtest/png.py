"""The report's charts as PNG files, with matplotlib (the optional `plot` extra)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from durable_mp.loadtest.charts import REASON_ORDER, chart_data

MISSING = "matplotlib is not installed (pip install 'durable-mp[plot]'): PNG charts skipped"


def matplotlib_available() -> bool:
    try:
        import matplotlib  # noqa: F401
    except ImportError:
        return False
    return True


def write_pngs(report: dict[str, Any], out: Path) -> list[str]:
    """Write the three PNGs into `out`; returns their file names. Requires matplotlib."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    d = chart_data(report)
    policies, workers = d["policies"], d["workers"]
    names = []

    fig, ax = plt.subplots(figsize=(7, 4))
    for policy, values in d["throughput"].items():
        points = [(w, v) for w, v in zip(workers, values) if v is not None]
        ax.plot([w for w, _ in points], [v for _, v in points], marker="o", label=policy)
    ax.set(title="Throughput vs workers", xlabel="workers", ylabel="items / s", xticks=workers)
    ax.legend(fontsize=8)
    names.append(_save(fig, out / "throughput_vs_workers.png"))

    fig, ax = plt.subplots(figsize=(7, 4))
    bottom = [0.0] * len(policies)
    for reason in REASON_ORDER:
        counts = [float(d["reasons"][p].get(reason, 0)) for p in policies]
        if any(counts):
            ax.bar(policies, counts, bottom=bottom, label=reason)
            bottom = [b + c for b, c in zip(bottom, counts)]
    ax.set(title="Completion reasons per policy", ylabel="runs")
    ax.legend(fontsize=8)
    ax.tick_params(axis="x", labelrotation=20)
    names.append(_save(fig, out / "completion_reasons.png"))

    fig, ax = plt.subplots(figsize=(7, 4))
    width = 0.8 / max(1, len(workers))
    for j, w in enumerate(workers):
        values = [d["wasted"][p][j] or 0.0 for p in policies]
        ax.bar([i + j * width for i in range(len(policies))], values, width, label=f"{w} workers")
    ax.set_xticks([i + width * (len(workers) - 1) / 2 for i in range(len(policies))], policies, rotation=20)
    ax.set(title="Wasted work per policy", ylabel="CPU seconds")
    ax.legend(fontsize=8)
    names.append(_save(fig, out / "wasted_work.png"))
    return names


def _save(fig: Any, path: Path) -> str:
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    import matplotlib.pyplot as plt

    plt.close(fig)
    return path.name
