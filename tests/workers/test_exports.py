"""The worker package's lazy exports: `__all__` names exactly what `__getattr__` imports on first use."""

from __future__ import annotations

import importlib

import durable_mp_workers


def test_all_lists_exactly_the_lazy_exports() -> None:
    assert sorted(durable_mp_workers.__all__) == sorted(durable_mp_workers._EXPORTS)


def test_each_export_is_the_object_of_its_module() -> None:
    for name, module in durable_mp_workers._EXPORTS.items():
        owner = importlib.import_module(f"durable_mp_workers.{module}")
        assert getattr(durable_mp_workers, name) is getattr(owner, name), name
