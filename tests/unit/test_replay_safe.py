"""Tests of durable_mp.replay_safe: values derived deterministically from operation ids."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

import pytest

from durable_mp.replay_safe import (
    random_from_operation,
    timestamp_from_execution,
    timestamp_seconds_from_execution,
    uuid_from_operation,
    uuid_string_from_operation,
)

OP = "1ced8f5be2db23a6513eba4d819c73806424748a7bc6fa0d792cc1c7d1775a97"


def test_uuid_is_deterministic_v4() -> None:
    value = uuid_from_operation(OP)
    assert value == uuid_from_operation(OP)
    assert value.version == 4 and value.variant == uuid.RFC_4122
    assert str(value) == "403bcecb-52da-406d-87f7-b1399ea650d4"  # pinned: must never change between releases
    assert uuid_string_from_operation(OP) == str(value)


def test_uuid_depends_on_id_and_seed_unambiguously() -> None:
    assert uuid_from_operation(OP, "a") != uuid_from_operation(OP)
    assert uuid_from_operation("x", "y:") != uuid_from_operation("x:", "y")
    assert len({uuid_from_operation(str(i)) for i in range(1000)}) == 1000


def test_random_is_reproducible() -> None:
    a, b = random_from_operation(OP), random_from_operation(OP)
    assert [a.random() for _ in range(5)] == [b.random() for _ in range(5)]
    assert random_from_operation(OP, "s").random() != random_from_operation(OP).random()


def test_timestamps() -> None:
    ts = timestamp_from_execution(1_700_000_000_123)
    assert ts == datetime(2023, 11, 14, 22, 13, 20, 123000, tzinfo=UTC) and ts.tzinfo is UTC
    assert timestamp_seconds_from_execution(1_700_000_000_123) == 1_700_000_000.123


def test_bad_input() -> None:
    with pytest.raises(ValueError, match="operation_id"):
        uuid_from_operation("")
    with pytest.raises(ValueError, match="seed"):
        random_from_operation(OP, 3)  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="execution_start_ms"):
        timestamp_from_execution(1.5)  # type: ignore[arg-type]
