"""Deterministic operation ids, byte-compatible with the official SDK (see docs/architecture.md, "Operation ids").

The n-th operation (n from 1) of the root context gets ``H(str(n))``; of a context whose id is C,
``H(f"{C}-{n}")``; item or branch i (from 0) of a map/parallel M gets ``H(f"{M}-{i}")``.
"""

from __future__ import annotations

from hashlib import blake2b


def hash_id(text: str) -> str:
    """H(s): the first 64 hex characters of blake2b(s) (default 64-byte digest)."""
    return blake2b(text.encode("utf-8")).hexdigest()[:64]


def child_id(prefix: str | None, n: int) -> str:
    """Id of operation n (from 1) in the context whose id is `prefix` (None for the root)."""
    return hash_id(str(n) if prefix is None else f"{prefix}-{n}")


def item_id(batch_id: str, index: int) -> str:
    """Id of item or branch `index` (from 0) of the map/parallel `batch_id`."""
    return hash_id(f"{batch_id}-{index}")
