"""Outcomes that ended before a batch completed but were not taken are recorded as item results."""

from __future__ import annotations

from durable_mp.concurrency.branch import BranchSpec, Outcome
from durable_mp.concurrency.coordinator import _record_raced
from durable_mp.wire import FAILED, SUCCEEDED


class _Drained:
    def __init__(self, outcomes: list[Outcome]) -> None:
        self.outcomes = outcomes

    def drain(self) -> list[Outcome]:
        return self.outcomes


def _spec(index: int, items: range | None = None) -> BranchSpec:
    return BranchSpec(index, f"op{index}", None, "ParallelBranch", "batch", False, False, items)


def test_raced_outcomes_become_item_results_without_overwriting_recorded_ones() -> None:
    specs = [_spec(0), _spec(1), _spec(2, range(2, 4))]
    outcomes = {0: (0, FAILED, {"ErrorMessage": "recorded"})}
    raced = [
        Outcome(0, SUCCEEDED, payload='"late"'),
        Outcome(1, SUCCEEDED, payload='"b"'),
        Outcome(2, SUCCEEDED, payload='[["S", "1"], ["F", {"ErrorMessage": "no"}]]'),
    ]
    _record_raced(_Drained(raced), outcomes, specs)
    assert outcomes == {
        0: (0, FAILED, {"ErrorMessage": "recorded"}),
        1: (1, SUCCEEDED, '"b"'),
        2: (2, SUCCEEDED, "1"),
        3: (3, FAILED, {"ErrorMessage": "no"}),
    }
