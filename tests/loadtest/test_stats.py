"""Percentiles and latency summaries."""

from __future__ import annotations

import pytest

from durable_mp.loadtest.stats import latency_summary, percentile


def test_percentile_interpolates_between_ranks() -> None:
    values = [1.0, 2.0, 3.0, 4.0]
    assert percentile(values, 0) == 1.0
    assert percentile(values, 100) == 4.0
    assert percentile(values, 50) == 2.5
    assert percentile(values, 25) == pytest.approx(1.75)
    assert percentile(list(range(1, 101)), 99) == pytest.approx(99.01)


def test_percentile_ignores_input_order_and_handles_one_or_none() -> None:
    assert percentile([5.0, 1.0, 3.0], 50) == 3.0
    assert percentile([7.0], 95) == 7.0
    assert percentile([], 50) is None


def test_percentile_rejects_out_of_range() -> None:
    with pytest.raises(ValueError, match="between 0 and 100"):
        percentile([1.0], 101)


def test_latency_summary() -> None:
    s = latency_summary([0.01] * 98 + [0.5, 1.0])
    assert s["p50"] == 0.01 and s["max"] == 1.0
    assert 0.01 < s["p99"] < 1.0
    assert s["mean"] == pytest.approx((0.98 + 1.5) / 100)
    assert latency_summary([]) == {"p50": None, "p95": None, "p99": None, "max": None, "mean": None}
