"""Policy specs, and the tool's sequential model checked against durable_mp's CompletionPolicy."""

from __future__ import annotations

import random

import pytest

from durable_mp.concurrency.policy import CompletionPolicy
from durable_mp.config import CompletionConfig
from durable_mp.loadtest.policies import Quorum, parse_policies, parse_policy, predict_sequential
from durable_mp.loadtest.spec import SpecError

F, T = False, True


def test_presets_and_thresholds() -> None:
    assert parse_policy("first_successful").config == CompletionConfig(min_successful=1)
    assert parse_policy("all-completed").config == CompletionConfig(tolerated_failure_percentage=100)
    assert parse_policy("all_successful").config == CompletionConfig(
        tolerated_failure_count=0, tolerated_failure_percentage=0
    )
    assert parse_policy("fail-fast").config == CompletionConfig()
    combo = parse_policy("min_successful=150+tolerated_count=5+tolerated_pct=2.5").config
    assert (combo.min_successful, combo.tolerated_failure_count, combo.tolerated_failure_percentage) == (
        150,
        5,
        2.5,
    )


def test_custom_policies() -> None:
    assert parse_policy("custom").config.should_complete == Quorum(50.0)
    assert parse_policy("custom:quorum=80").config.should_complete == Quorum(80.0)
    assert parse_policy("custom:quorum=80%").config.should_complete == Quorum(80.0)
    assert parse_policy("custom:quorum=0.5%").config.should_complete == Quorum(0.5)
    assert parse_policy("tolerated_pct=5%").config.tolerated_failure_percentage == 5.0
    loaded = parse_policy("custom=durable_mp.loadtest.policies:Quorum").config.should_complete
    assert loaded is Quorum


@pytest.mark.parametrize(
    "text, fragment",
    [
        ("most_successful", "is not one of"),
        ("min_successful=x", "needs a number"),
        ("tolerated_count=1.5", "whole number"),
        ("tolerated_pct=150", "a percent must be from 0 to 100"),
        ("tolerated_pct=0.5", "is a percent, not a fraction: write 50 for 50 %, or 0.5% for 0.5 %"),
        ("min_successful=0", "at least 1"),
        ("custom:quorum=0", "a percent must be above 0 and at most 100"),
        ("custom:quorum=0.6", "quorum=0.6 is a percent, not a fraction: write 60 for 60 %"),
        ("custom=nosuchmodule_xyz:f", "cannot load"),
        ("custom=oops", "expected custom"),
    ],
)
def test_bad_policies_name_the_problem(text: str, fragment: str) -> None:
    with pytest.raises(SpecError, match=fragment):
        parse_policy(text)


def test_parse_policies_splits_commas_and_drops_duplicates() -> None:
    names = [p.name for p in parse_policies(["first_successful,all_completed", "first_successful", "custom"])]
    assert names == ["first_successful", "all_completed", "custom"]
    with pytest.raises(SpecError, match="no completion policy"):
        parse_policies([" , "])


@pytest.mark.parametrize(
    "policy, fails, expected",
    [
        ("fail_fast", [F, F, T, F], ("FAILURE_TOLERANCE_EXCEEDED", 2, 1, 1)),
        ("first_successful", [T, F, F], ("MIN_SUCCESSFUL_REACHED", 1, 1, 1)),
        ("first_successful", [T, T, T], ("ALL_COMPLETED", 0, 3, 0)),
        ("all_completed", [T, T, T, T], ("ALL_COMPLETED", 0, 4, 0)),
        ("all_successful", [F, T, F], ("FAILURE_TOLERANCE_EXCEEDED", 1, 1, 1)),
        ("tolerated_pct=10", [T, T, F] + [F] * 16 + [T], ("FAILURE_TOLERANCE_EXCEEDED", 17, 3, 0)),
        ("tolerated_pct=10", [T, F, T, T] + [F] * 16, ("FAILURE_TOLERANCE_EXCEEDED", 1, 3, 16)),
        (
            "min_successful=3",
            [T, F, F, F],
            ("ALL_COMPLETED", 3, 1, 0),
        ),  # ALL_COMPLETED outranks min_successful
        ("min_successful=2+tolerated_count=1", [T, T, F, F], ("FAILURE_TOLERANCE_EXCEEDED", 0, 2, 2)),
        ("custom", [T, T, T, F], ("CUSTOM_COMPLETION_FAILED", 0, 3, 1)),
        ("custom:quorum=50", [F, T, F, F], ("CUSTOM_COMPLETION_SUCCEEDED", 2, 1, 1)),
    ],
)
def test_predict_sequential(policy: str, fails: list[bool], expected: tuple[str, int, int, int]) -> None:
    p = predict_sequential(parse_policy(policy).config, fails)
    assert (p.reason, p.succeeded, p.failed, p.never_started) == expected


def _drive_sdk_policy(config: CompletionConfig, fails: list[bool]) -> tuple[str, int, int, int]:
    policy = CompletionPolicy(len(fails), config)
    for i, failed in enumerate(fails):
        if policy.check() is not None:
            break
        policy.mark_started(i)
        policy.record(i, not failed)
    reason = policy.check()
    assert reason is not None
    ok, bad = policy.succeeded_count, policy.failed_count
    return reason.value, ok, bad, len(fails) - ok - bad


def test_model_agrees_with_durable_mp_policy_on_random_cases() -> None:
    rng = random.Random(11)
    specs = [
        "fail_fast",
        "first_successful",
        "all_completed",
        "all_successful",
        "custom",
        "custom:quorum=30",
        "tolerated_count=2",
        "tolerated_pct=15",
        "min_successful=4+tolerated_pct=20",
    ]
    for _ in range(300):
        n = rng.randint(4, 30)
        fails = [rng.random() < rng.choice((0.05, 0.3, 0.7)) for _ in range(n)]
        config = parse_policy(rng.choice(specs)).config
        p = predict_sequential(config, fails)
        assert (p.reason, p.succeeded, p.failed, p.never_started) == _drive_sdk_policy(config, fails)
