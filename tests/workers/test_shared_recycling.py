"""The shared pool takes its worker recycling settings from the environment."""

from __future__ import annotations

import pytest

from durable_mp_workers.shared import recycling_from_env


def test_recycling_settings_come_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DURABLE_MP_MAX_TASKS_PER_WORKER", "50")
    monkeypatch.setenv("DURABLE_MP_WORKER_MAX_MEMORY_MB", "512.5")
    assert recycling_from_env() == {"max_tasks_per_worker": 50, "max_memory_mb": 512.5}


def test_recycling_is_off_by_default(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("DURABLE_MP_MAX_TASKS_PER_WORKER", raising=False)
    monkeypatch.delenv("DURABLE_MP_WORKER_MAX_MEMORY_MB", raising=False)
    assert recycling_from_env() == {"max_tasks_per_worker": None, "max_memory_mb": None}


def test_bad_recycling_settings_are_named(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DURABLE_MP_MAX_TASKS_PER_WORKER", "lots")
    with pytest.raises(ValueError, match="DURABLE_MP_MAX_TASKS_PER_WORKER"):
        recycling_from_env()
