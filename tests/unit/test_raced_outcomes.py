"""Outcomes that ended before a batch completed but were not yet taken keep their true status, per item."""

from __future__ import annotations

import json

from durable_mp.concurrency.branch import BranchSpec, Outcome
from durable_mp.concurrency.coordinator import _record_raced
from durable_mp.wire import FAILED, SUCCEEDED


class _Drained:
    def __init__(self, outcomes: list[Outcome]) -> None:
        self._outcomes = outcomes

    def drain(self) -> list[Outcome]:
        return self._outcomes


def _spec(index: int, items: range | None = None) -> BranchSpec:
    return BranchSpec(index, f"op-{index}", None, "MapIteration", "map", False, False, items)


def test_a_raced_item_and_a_raced_batch_are_recorded_per_item_without_overwriting() -> None:
    specs = [_spec(0), _spec(1), _spec(2, range(2, 4))]
    envelope = json.dumps([["S", '"two"'], ["F", {"ErrorType": "E", "ErrorMessage": "three"}]])
    outcomes = {0: (0, SUCCEEDED, '"taken"')}
    raced = [
        Outcome(0, FAILED, error={"ErrorMessage": "late copy"}),  # already taken: kept as it was
        Outcome(1, FAILED, error={"ErrorMessage": "one"}),
        Outcome(2, SUCCEEDED, payload=envelope),
        Outcome(3, "SUSPENDED"),  # not an ending: ignored
    ]
    _record_raced(_Drained(raced), specs, outcomes)  # type: ignore[arg-type]
    assert outcomes[0] == (0, SUCCEEDED, '"taken"')
    assert outcomes[1] == (1, FAILED, {"ErrorMessage": "one"})
    assert outcomes[2][:2] == (2, SUCCEEDED) and outcomes[3][:2] == (3, FAILED)
