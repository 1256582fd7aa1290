"""Outcomes that ended while a batch completed (drained from the executor) keep their item's true status."""

from __future__ import annotations

import json

from durable_mp.concurrency.branch import BranchSpec, Outcome
from durable_mp.concurrency.coordinator import _record_raced
from durable_mp.wire import FAILED, SUCCEEDED


class _Drained:
    def __init__(self, outcomes: list[Outcome]) -> None:
        self.outcomes = outcomes

    def drain(self) -> list[Outcome]:
        return self.outcomes


def _spec(index: int, items: range | None = None) -> BranchSpec:
    return BranchSpec(index, f"op-{index}", None, "MapIteration", "batch", False, False, items)


def test_raced_outcomes_are_recorded_as_item_results() -> None:
    specs = [_spec(0), _spec(1), _spec(2, range(2, 4))]
    outcomes = {0: (0, SUCCEEDED, '"taken"')}
    raced = [
        Outcome(0, SUCCEEDED, '"late"'),  # already taken: kept as it was
        Outcome(1, FAILED, error={"ErrorType": "E"}),
        Outcome(2, SUCCEEDED, json.dumps([["S", '"a"'], ["F", None]])),  # a batch of items 2 and 3
    ]
    _record_raced(_Drained(raced), specs, outcomes)
    assert outcomes[0] == (0, SUCCEEDED, '"taken"')
    assert outcomes[1] == (1, FAILED, {"ErrorType": "E"})
    assert outcomes[2] == (2, SUCCEEDED, '"a"') and outcomes[3] == (3, FAILED, None)
