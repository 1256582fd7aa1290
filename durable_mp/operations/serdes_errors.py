"""A serialization failure that names the operation whose value could not be written, and the value's type."""

from __future__ import annotations

from typing import Any

from durable_mp.exceptions import SerDesError


def naming_operation(exc: SerDesError, kind: str, name: str | None, op_id: str, value: Any) -> SerDesError:
    """`exc` again (same class, data and stack trace), its message prefixed with the operation and the type:
    `step 'make-thing' (id 1ced...): its result of type Thing cannot be serialized: Unsupported type: ...`."""
    label = f"{kind} {name!r}" if name else f"{kind} {op_id}"
    kind_of = type(value)
    type_name = (
        kind_of.__qualname__
        if kind_of.__module__ == "builtins"
        else f"{kind_of.__module__}.{kind_of.__qualname__}"
    )
    message = f"{label}: its result of type {type_name} cannot be serialized: {exc.message or exc}"
    try:
        named = type(exc)(message, data=exc.data, stack_trace=exc.stack_trace)
    except TypeError:  # a subclass with another constructor
        named = SerDesError(message, data=exc.data, stack_trace=exc.stack_trace)
    return named
