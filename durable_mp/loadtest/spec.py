"""The workload of a load test: what each item costs and which items fail, drawn from a seed.

Cost specs (`--cost`): `KIND:DIST`, KIND is `cpu` (pure-Python CPU seconds) or `sleep` (seconds asleep);
DIST is a number (`cpu:0.005`), `uniform:LOW:HIGH` or `exp:MEAN`.

Failure specs (`--fail-rate P --fail-pattern PATTERN`):
- `random`: each item fails with probability P (seeded);
- `burst`: one contiguous run of round(P * n) failing items, starting at a seeded offset;
  `burst@START` starts it at item START;
- `every`: every k-th item fails (items k-1, 2k-1, ...), k = round(1 / P); `every:K` gives k directly.

A `Workload` is pure data: the same (spec, items, seed) always gives the same costs and failing items.
Costs and failures use separate random streams, so changing the failure rate keeps the costs.
"""

from __future__ import annotations

import math
import random
from dataclasses import dataclass

COST_KINDS = ("cpu", "sleep")
PATTERNS = ("random", "burst", "every")


class SpecError(ValueError):
    """A cost, failure or policy spec that cannot be parsed; the message names the bad part."""


@dataclass(frozen=True)
class CostSpec:
    """How long each item works: `kind` cpu|sleep, `dist` const|uniform|exp and its parameters."""

    kind: str
    dist: str
    params: tuple[float, ...]
    text: str

    def draw(self, n: int, rng: random.Random) -> list[float]:
        """`n` item costs in seconds."""
        if self.dist == "const":
            return [self.params[0]] * n
        if self.dist == "uniform":
            low, high = self.params
            return [rng.uniform(low, high) for _ in range(n)]
        mean = self.params[0]
        return [rng.expovariate(1 / mean) if mean > 0 else 0.0 for _ in range(n)]


def _number(text: str, what: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise SpecError(f"{what}: {text!r} is not a number") from None
    if not math.isfinite(value) or value < 0:
        raise SpecError(f"{what}: {text!r} must be a finite number >= 0")
    return value


def parse_cost(text: str) -> CostSpec:
    """`cpu:0.005`, `sleep:0.01`, `cpu:uniform:0.01:0.05`, `sleep:exp:0.02` (a bare number means cpu)."""
    parts = text.strip().split(":")
    if len(parts) == 1:
        parts = ["cpu", *parts]
    kind, rest = parts[0], parts[1:]
    if kind not in COST_KINDS:
        raise SpecError(f"cost {text!r}: kind must be one of {', '.join(COST_KINDS)}, got {kind!r}")
    where = f"cost {text!r}"
    if len(rest) == 1:
        return CostSpec(kind, "const", (_number(rest[0], where),), text)
    if rest and rest[0] == "uniform" and len(rest) == 3:
        low, high = _number(rest[1], where), _number(rest[2], where)
        if low > high:
            raise SpecError(f"{where}: uniform LOW {low} is above HIGH {high}")
        return CostSpec(kind, "uniform", (low, high), text)
    if rest and rest[0] == "exp" and len(rest) == 2:
        return CostSpec(kind, "exp", (_number(rest[1], where),), text)
    raise SpecError(f"{where}: expected KIND:SECONDS, KIND:uniform:LOW:HIGH or KIND:exp:MEAN")


@dataclass(frozen=True)
class FailureSpec:
    """Which items fail: `pattern` random|burst|every with `rate`, and `start` / `every` when given."""

    pattern: str
    rate: float
    start: int | None = None
    every: int | None = None

    def choose(self, n: int, rng: random.Random) -> list[bool]:
        """One flag per item: True when the item fails."""
        if self.pattern == "every":
            k = self.every or (round(1 / self.rate) if self.rate > 0 else 0)
            return [k > 0 and (i + 1) % k == 0 for i in range(n)]
        if self.pattern == "burst":
            length = min(n, round(self.rate * n))
            start = self.start if self.start is not None else rng.randrange(n - length + 1) if n else 0
            return [start <= i < start + length for i in range(n)]
        return [rng.random() < self.rate for _ in range(n)]

    def describe(self) -> str:
        if self.pattern == "every":
            return f"every:{self.every}" if self.every else f"every (rate {self.rate:g})"
        at = f"@{self.start}" if self.start is not None else ""
        return f"{self.pattern}{at} {self.rate:g}"


def parse_failures(rate: float, pattern: str) -> FailureSpec:
    """`rate` in [0, 1] with a pattern: `random`, `burst`, `burst@START`, `every`, `every:K`."""
    if not 0 <= rate <= 1:
        raise SpecError(f"fail rate must be between 0 and 1, got {rate}")
    name, _, arg = pattern.strip().partition("@" if "@" in pattern else ":")
    if name not in PATTERNS:
        raise SpecError(f"fail pattern {pattern!r}: must be random, burst, burst@START, every or every:K")
    if name == "random":
        if arg:
            raise SpecError(f"fail pattern {pattern!r}: random takes no argument (the seed is --seed)")
        return FailureSpec("random", rate)
    if name == "burst":
        if arg and not arg.isdigit():
            raise SpecError(f"fail pattern {pattern!r}: burst@START needs a whole item index")
        return FailureSpec("burst", rate, start=int(arg) if arg else None)
    if arg:
        if not arg.isdigit() or int(arg) < 1:
            raise SpecError(f"fail pattern {pattern!r}: every:K needs a whole K >= 1")
        return FailureSpec("every", rate, every=int(arg))
    return FailureSpec("every", rate)


@dataclass(frozen=True)
class Workload:
    """The items of one load test: their costs (seconds) and whether each fails."""

    kind: str
    costs: tuple[float, ...]
    fails: tuple[bool, ...]
    function: str = ""  # kind "call": the user's item function, module:function

    @property
    def size(self) -> int:
        return len(self.costs)


def build_workload(items: int, cost: CostSpec, failures: FailureSpec, seed: int) -> Workload:
    """The workload for `items` items; deterministic in `seed`."""
    if items < 1:
        raise SpecError(f"items must be at least 1, got {items}")
    costs = cost.draw(items, random.Random(f"cost-{seed}"))
    fails = failures.choose(items, random.Random(f"fail-{seed}"))
    if failures.pattern == "burst" and failures.start is not None and failures.start >= items:
        raise SpecError(f"burst start {failures.start} is past the last item ({items - 1})")
    return Workload(cost.kind, tuple(costs), tuple(fails))
