"""Shares and percents on the command line, so that neither can be mistaken for the other.

A share of items (`--fail-rate`) is a fraction from 0 to 1 (`0.05`) or a percent written with `%` (`5%`).
A percent (`quorum=P`, `tolerated_pct=P`) is a number from 0 to 100, with or without `%` (`60`, `60%`);
a bare value between 0 and 1 (`0.6`) is refused as ambiguous (60 %, or 0.6 %?): write `60` or `0.6%`.
"""

from __future__ import annotations

import math

from durable_mp.loadtest.spec import SpecError


def _number(text: str, what: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise SpecError(f"{what}: {text!r} is not a number") from None
    if not math.isfinite(value):
        raise SpecError(f"{what}: {text!r} is not a finite number")
    return value


def parse_fraction(text: str | float, what: str) -> float:
    """A share from 0 to 1: `0.05` or `5%`."""
    raw = str(text).strip()
    if raw.endswith("%"):
        value = _number(raw[:-1].strip(), what) / 100
    else:
        value = _number(raw, what)
        if value > 1:
            raise SpecError(
                f"{what} {raw}: a share of items is a fraction from 0 to 1 (0.05) or a percent with % "
                f"({raw}%)"
            )
    if not 0 <= value <= 1:
        raise SpecError(f"{what} {raw}: must be from 0 to 1 (0 % to 100 %)")
    return value


def parse_percent(text: str, what: str, *, allow_zero: bool = True) -> float:
    """A percent from 0 (or just above, without `allow_zero`) to 100: `60` or `60%`; a bare 0 < x < 1 is refused."""
    raw = text.strip()
    explicit = raw.endswith("%")
    value = _number(raw[:-1].strip() if explicit else raw, what)
    if not explicit and 0 < value < 1:
        raise SpecError(
            f"{what}={raw} is a percent, not a fraction: write {value * 100:g} for {value * 100:g} %, "
            f"or {raw}% for {raw} %"
        )
    low_ok = value >= 0 if allow_zero else value > 0
    if not low_ok or value > 100:
        bounds = "from 0 to 100" if allow_zero else "above 0 and at most 100"
        raise SpecError(f"{what}={raw}: a percent must be {bounds}")
    return value
