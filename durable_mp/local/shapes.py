"""Response shaping for the boto3-style API: epoch-ms timestamps to `datetime`, paging markers."""

from __future__ import annotations

import datetime
from typing import Any

from durable_mp.local.errors import invalid

_UTC = datetime.UTC


def to_datetime(ms: float) -> datetime.datetime:
    return datetime.datetime.fromtimestamp(ms / 1000.0, tz=_UTC)


def to_ms(value: Any, what: str) -> int:
    if isinstance(value, datetime.datetime):
        if value.tzinfo is None:
            value = value.replace(tzinfo=_UTC)
        return int(value.timestamp() * 1000)
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return int(value * 1000)  # boto3 accepts epoch seconds
    raise invalid(f"{what} must be a datetime or epoch seconds, got {value!r}")


def with_datetimes(obj: Any) -> Any:
    """A copy of `obj` whose `*Timestamp` values are timezone-aware datetimes, as boto3 returns them."""
    if isinstance(obj, dict):
        return {
            k: (
                to_datetime(v)
                if k.endswith("Timestamp") and isinstance(v, (int, float))
                else with_datetimes(v)
            )
            for k, v in obj.items()
        }
    if isinstance(obj, list):
        return [with_datetimes(v) for v in obj]
    return obj


def page(
    items: list[Any], marker: str | None, max_items: int | None, default: int = 1000
) -> tuple[list[Any], str | None]:
    """One page of `items` from `marker` (an offset string we issued) and the next marker."""
    start = 0
    if marker:
        if not marker.isdigit() or int(marker) > len(items):
            raise invalid(f"Marker {marker!r} is not a marker this service returned")
        start = int(marker)
    size = default if not max_items else max_items
    if not isinstance(size, int) or not 1 <= size <= 1000:
        raise invalid(f"MaxItems must be an integer from 1 to 1000, got {max_items!r}")
    end = start + size
    return items[start:end], (str(end) if end < len(items) else None)
