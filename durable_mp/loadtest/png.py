"""The report's charts as PNG files, with matplotlib (the optional `plot` extra)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from durable_mp.loadtest.charts import chart_data

MISSING = "matplotlib is not installed (pip install 'durable-mp[plot]'): PNG charts skipped"


def matplotlib_available() -> bool:
    try:
        import matplotlib  # noqa: F401 - imported only to see whether it is installed
    except ImportError:
        return False
    return True


def write_pngs(report: dict[str, Any], out: Path) -> list[str]:
    """Write the four PNGs into `out`; returns their file names. Requires matplotlib."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    d = chart_data(report)
    policies, workers, configs = d["policies"], d["workers"], d["configs"]
    positions = list(range(len(configs)))
    names = []

    fig, ax = plt.subplots(figsize=(8, 4.5))
    bottom = [0.0] * len(configs)
    for label, values in d["outcomes"].items():
        ax.bar(positions, values, bottom=bottom, label=label)
        bottom = [b + v for b, v in zip(bottom, values)]
    for x, (top, reason) in enumerate(zip(bottom, d["reasons"])):
        ax.text(x, top, reason, ha="center", va="bottom", fontsize=7)
    ax.set_xticks(positions, configs, rotation=20, ha="right", fontsize=8)
    ax.set_ylim(0, max(bottom, default=1.0) * 1.1 or 1.0)  # room for the reason labels
    ax.set(title="Items per policy: completed, cut off, never started", ylabel="items (mean)")
    ax.legend(fontsize=8)
    names.append(_save(fig, out / "outcomes.png"))

    fig, ax = plt.subplots(figsize=(8, 4.5))
    medians = [v or 0.0 for v in d["decision"]]
    errors = [
        [m - (low if low is not None else m) for m, (low, _) in zip(medians, d["decision_range"])],
        [(high if high is not None else m) - m for m, (_, high) in zip(medians, d["decision_range"])],
    ]
    ax.bar(positions, medians, yerr=errors, capsize=4)
    for x, (top, reason) in enumerate(zip(medians, d["reasons"])):
        ax.text(x, top, reason, ha="center", va="bottom", fontsize=7)
    ax.set_xticks(positions, configs, rotation=20, ha="right", fontsize=8)
    ax.set(title="Time to decision (median, min-max over repetitions)", ylabel="seconds")
    names.append(_save(fig, out / "time_to_decision.png"))

    fig, ax = plt.subplots(figsize=(7, 4))
    for policy, values in d["throughput"].items():
        points = [(w, v) for w, v in zip(workers, values) if v is not None]
        ax.plot([w for w, _ in points], [v for _, v in points], marker="o", label=policy)
    ax.set(title="Throughput vs workers", xlabel="workers", ylabel="items / s", xticks=workers)
    ax.legend(fontsize=8)
    names.append(_save(fig, out / "throughput_vs_workers.png"))

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
