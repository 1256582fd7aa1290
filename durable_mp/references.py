"""References to module-level objects (`module:qualname`): how a function travels to another process by
name instead of by pickle (a child execution of `executor="invoke"`, an isolated local invocation)."""

from __future__ import annotations

import importlib
from typing import Any


def reference_of(obj: Any) -> tuple[str | None, str | None]:
    """(`module:qualname`, None) for an object another process can import by name, else (None, why not)."""
    module = getattr(obj, "__module__", None)
    qualname = getattr(obj, "__qualname__", None)
    if not module or not qualname:
        return None, "it has no module and qualified name"
    if "<" in qualname:
        return None, f"{qualname!r} is a lambda or is defined inside a function"
    if module == "__main__":
        return None, "it is defined in __main__, which another process cannot import"
    return f"{module}:{qualname}", None


def resolve_attribute(obj: Any, dotted: str) -> Any:
    """`obj.a.b.c` for `dotted` "a.b.c"."""
    for part in dotted.split("."):
        obj = getattr(obj, part)
    return obj


def resolve_reference(reference: str) -> Any:
    """The object `package.module:qualname` names."""
    module_name, _, qualname = reference.partition(":")
    return resolve_attribute(importlib.import_module(module_name), qualname)
