"""How many workers: affinity, the Lambda memory cap, the env override, the `workers=` setting."""

from __future__ import annotations

import os

import pytest

from durable_mp_workers.sizing import default_worker_count, resolve_workers


@pytest.fixture(autouse=True)
def clean_env(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("DURABLE_MP_WORKERS", raising=False)
    monkeypatch.delenv("AWS_LAMBDA_FUNCTION_MEMORY_SIZE", raising=False)
    monkeypatch.setattr(os, "sched_getaffinity", lambda pid: {0, 1, 2, 3, 4, 5, 6, 7})


def test_usable_cpus_come_from_affinity() -> None:
    assert default_worker_count() == 8


@pytest.mark.parametrize(
    ("memory", "expected"), [("128", 1), ("1769", 1), ("1770", 2), ("3008", 2), ("10240", 6)]
)
def test_lambda_memory_caps_the_count(monkeypatch: pytest.MonkeyPatch, memory: str, expected: int) -> None:
    monkeypatch.setenv("AWS_LAMBDA_FUNCTION_MEMORY_SIZE", memory)
    assert default_worker_count() == expected


def test_lambda_cap_never_exceeds_the_cpus(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(os, "sched_getaffinity", lambda pid: {0, 1})
    monkeypatch.setenv("AWS_LAMBDA_FUNCTION_MEMORY_SIZE", "10240")
    assert default_worker_count() == 2


def test_env_override(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AWS_LAMBDA_FUNCTION_MEMORY_SIZE", "128")
    monkeypatch.setenv("DURABLE_MP_WORKERS", "3")
    assert default_worker_count() == 3
    monkeypatch.setenv("DURABLE_MP_WORKERS", "many")
    with pytest.raises(ValueError, match="DURABLE_MP_WORKERS.*'many'"):
        default_worker_count()


def test_resolve_workers() -> None:
    assert resolve_workers("auto") == resolve_workers(None) == 8
    assert resolve_workers(3) == 3
    for bad in (0, "four", True, 2.5):
        with pytest.raises(ValueError, match="workers"):
            resolve_workers(bad)  # type: ignore[arg-type]
