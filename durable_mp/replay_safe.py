"""Values that are the same on every replay: uuids, random generators and timestamps.

User code must not call `uuid.uuid4()`, `random.random()` or `time.time()` directly: a replay would see
different values than the first run. These helpers derive them from what replay keeps stable instead,
the operation id (deterministic, see `durable_mp.ids`) and the execution's start time.

- `uuid_from_operation(operation_id, seed="")`: a UUID with the RFC 4122 version 4 layout whose 122
  free bits are blake2b of the operation id and the seed.
- `random_from_operation(operation_id, seed="")`: a `random.Random` seeded the same way.
- `timestamp_from_execution(execution_start_ms)`: the execution's start as an aware UTC datetime.
"""

from __future__ import annotations

import random
import uuid
from datetime import UTC, datetime, timedelta
from hashlib import blake2b

_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


def _digest(operation_id: str, seed: str, person: bytes, size: int) -> bytes:
    if not isinstance(operation_id, str) or not operation_id:
        raise ValueError(f"operation_id must be a non-empty string, got: {operation_id!r}")
    if not isinstance(seed, str):
        raise ValueError(  # noqa: TRY004 - ValueError for any bad input is the tested contract
            f"seed must be a string, got: {type(seed).__name__}"
        )
    # NUL cannot be confused with a character of either part, so ("a", "b:") and ("a:", "b") differ
    return blake2b(f"{operation_id}\x00{seed}".encode(), digest_size=size, person=person).digest()


def uuid_from_operation(operation_id: str, seed: str = "") -> uuid.UUID:
    """A version 4 UUID that is always the same for the same operation id and seed."""
    return uuid.UUID(bytes=_digest(operation_id, seed, b"durable-mp/uuid", 16), version=4)


def uuid_string_from_operation(operation_id: str, seed: str = "") -> str:
    """`uuid_from_operation` as a string, e.g. "1b4e28ba-2fa1-4d2e-883f-0016d3cca427"."""
    return str(uuid_from_operation(operation_id, seed))


def random_from_operation(operation_id: str, seed: str = "") -> random.Random:
    """A `random.Random` seeded from the operation id and seed: the same sequence on every replay."""
    return random.Random(int.from_bytes(_digest(operation_id, seed, b"durable-mp/rand", 32), "big"))


def _check_ms(execution_start_ms: int) -> None:
    if isinstance(execution_start_ms, bool) or not isinstance(execution_start_ms, int):
        raise ValueError(  # noqa: TRY004 - ValueError for any bad input is the tested contract
            f"execution_start_ms must be an int of epoch milliseconds, got: {execution_start_ms!r}"
        )


def timestamp_from_execution(execution_start_ms: int) -> datetime:
    """The execution's start (epoch milliseconds) as an aware UTC datetime, exact to the millisecond."""
    _check_ms(execution_start_ms)
    return _EPOCH + timedelta(milliseconds=execution_start_ms)


def timestamp_seconds_from_execution(execution_start_ms: int) -> float:
    """The execution's start in epoch seconds."""
    _check_ms(execution_start_ms)
    return execution_start_ms / 1000
