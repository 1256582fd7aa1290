"""The TerminationManager's margin is measured (with a 0.2 s floor), not a fixed share of the invocation."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from durable_mp import termination
from durable_mp.termination import MARGIN_FLOOR, TerminationManager


class Ctx:
    def __init__(self, ms: float) -> None:
        self.ms = ms

    def get_remaining_time_in_millis(self) -> float:
        return self.ms


@pytest.fixture(autouse=True)
def no_measured_yields() -> Iterator[None]:
    saved = list(termination._yield_costs)
    termination._yield_costs.clear()
    yield
    termination._yield_costs.clear()
    termination._yield_costs.extend(saved)


def test_the_margin_is_the_floor_until_something_costs_more() -> None:
    for ms in (
        1500,
        2000,
        60_000,
        900_000,
    ):  # the old default was 0.5 s for these short ones, 10 s for 15 min
        assert TerminationManager(Ctx(ms)).margin == MARGIN_FLOOR == 0.2


def test_slow_checkpoints_and_slow_yields_widen_the_margin() -> None:
    manager = TerminationManager(Ctx(60_000))
    manager.observe_checkpoint(0.15)
    assert manager.margin == pytest.approx(0.6)  # 4 requests of 0.15 s
    termination._yield_costs.append(0.5)
    assert manager.margin == pytest.approx(1.0)  # twice the longest yield measured in this process
    assert TerminationManager(Ctx(1000)).margin == 0.5  # never more than half the invocation


def test_a_fixed_margin_is_kept() -> None:
    manager = TerminationManager(Ctx(2000), safety_margin=0.7)
    manager.observe_checkpoint(1.0)
    assert manager.margin == 0.7


def test_work_begun_late_did_not_have_a_full_budget() -> None:
    manager = TerminationManager(Ctx(2000))
    assert manager.started_with_full_budget(manager.started + 0.1)
    assert not manager.started_with_full_budget(manager.started + 0.5)
    assert manager.budget == pytest.approx(1.8)
