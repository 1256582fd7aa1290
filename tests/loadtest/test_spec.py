"""Workload specs: cost distributions, failure patterns, and reproducibility by seed."""

from __future__ import annotations

import random

import pytest

from durable_mp.loadtest.spec import SpecError, build_workload, parse_cost, parse_failures


def test_cost_specs_parse_kind_and_distribution() -> None:
    assert parse_cost("cpu:0.005").draw(3, random.Random(0)) == [0.005] * 3
    assert parse_cost("0.25").kind == "cpu"
    sleep = parse_cost("sleep:uniform:0.01:0.05")
    values = sleep.draw(500, random.Random(1))
    assert sleep.kind == "sleep" and all(0.01 <= v <= 0.05 for v in values)
    assert max(values) - min(values) > 0.03  # actually spread over the range
    exp = parse_cost("cpu:exp:0.02").draw(4000, random.Random(2))
    assert 0.018 < sum(exp) / len(exp) < 0.022


@pytest.mark.parametrize(
    "text, fragment",
    [
        ("gpu:1", "kind must be one of"),
        ("cpu:abc", "not a number"),
        ("cpu:-1", ">= 0"),
        ("cpu:uniform:0.5:0.1", "above HIGH"),
        ("cpu:normal:1:2", "expected KIND:SECONDS"),
    ],
)
def test_bad_cost_specs_name_the_problem(text: str, fragment: str) -> None:
    with pytest.raises(SpecError, match=fragment):
        parse_cost(text)


def test_every_kth_pattern() -> None:
    assert parse_failures(0.25, "every").choose(10, random.Random(0)) == [
        False,
        False,
        False,
        True,
        False,
        False,
        False,
        True,
        False,
        False,
    ]
    flags = parse_failures(0.0, "every:3").choose(9, random.Random(0))
    assert [i for i, f in enumerate(flags) if f] == [2, 5, 8]


def test_burst_pattern_is_one_contiguous_run() -> None:
    flags = parse_failures(0.1, "burst").choose(200, random.Random(7))
    failing = [i for i, f in enumerate(flags) if f]
    assert len(failing) == 20 and failing == list(range(failing[0], failing[0] + 20))
    fixed = parse_failures(0.05, "burst@10").choose(100, random.Random(0))
    assert [i for i, f in enumerate(fixed) if f] == [10, 11, 12, 13, 14]


def test_random_pattern_rate() -> None:
    flags = parse_failures(0.2, "random").choose(5000, random.Random(3))
    assert 0.18 < sum(flags) / 5000 < 0.22


@pytest.mark.parametrize(
    "rate, pattern, fragment",
    [
        (1.5, "random", "between 0 and 1"),
        (0.1, "zigzag", "must be random, burst"),
        (0.1, "every:0", "K >= 1"),
        (0.1, "burst@x", "whole item index"),
        (0.1, "random:3", "takes no argument"),
    ],
)
def test_bad_failure_specs(rate: float, pattern: str, fragment: str) -> None:
    with pytest.raises(SpecError, match=fragment):
        parse_failures(rate, pattern)


def test_same_seed_same_workload_other_seed_other_failures() -> None:
    cost, failures = parse_cost("cpu:uniform:0.001:0.01"), parse_failures(0.1, "random")
    a = build_workload(300, cost, failures, seed=42)
    assert a == build_workload(300, cost, failures, seed=42)
    b = build_workload(300, cost, failures, seed=43)
    assert a.fails != b.fails and a.costs != b.costs


def test_failure_rate_does_not_change_costs() -> None:
    cost = parse_cost("cpu:exp:0.01")
    low = build_workload(100, cost, parse_failures(0.01, "random"), seed=5)
    high = build_workload(100, cost, parse_failures(0.5, "random"), seed=5)
    assert low.costs == high.costs and sum(low.fails) < sum(high.fails)


def test_workload_validation() -> None:
    with pytest.raises(SpecError, match="at least 1"):
        build_workload(0, parse_cost("cpu:0"), parse_failures(0, "random"), 0)
    with pytest.raises(SpecError, match="past the last item"):
        build_workload(10, parse_cost("cpu:0"), parse_failures(0.1, "burst@10"), 0)
