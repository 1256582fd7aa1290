"""Operation names, validated as the service validates them, before anything is checkpointed.

The service's `OperationUpdate.Name` is a string of 1 to 256 printable ASCII characters (0x20-0x7E:
no newline, tab or other control character, nothing outside ASCII). A name it would reject fails
locally too, with a `ValidationError` naming the operation and what is wrong, raised before the
operation is given an id or checkpointed, so nothing already recorded is lost. `None` means no name.
"""

from __future__ import annotations

import re
from typing import Any

from durable_mp.exceptions import ValidationError

MAX_NAME_LENGTH = 256
_PRINTABLE_ASCII = re.compile(r"[\x20-\x7e]+")


def validate_operation_name(name: Any, what: str = "operation") -> None:
    """Raise `ValidationError` unless `name` is None or a name the service accepts."""
    if name is None:
        return
    if not isinstance(name, str):
        raise ValidationError(f"the name of {what} must be a str, got {type(name).__name__}: {name!r}")
    if not name:
        raise ValidationError(f"the name of {what} must not be empty (use None for no name)")
    if len(name) > MAX_NAME_LENGTH:
        raise ValidationError(
            f"the name of {what} is {len(name)} characters, over the service's limit of {MAX_NAME_LENGTH}: "
            f"{name[:40]!r}..."
        )
    if not _PRINTABLE_ASCII.fullmatch(name):
        bad = next(c for c in name if not 0x20 <= ord(c) <= 0x7E)
        raise ValidationError(
            f"the name of {what} may hold only printable ASCII characters (space to '~'), but {name!r} "
            f"holds {bad!r}"
        )
