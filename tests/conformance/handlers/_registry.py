"""A mapping of requirement id -> durable handler, filled by a decorator in each suite module."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

Handler = Callable[..., Any]


class HandlerRegistry(dict[str, Handler]):
    """Handlers of one suite keyed by requirement id ("1-1", "9-14", ...)."""

    def register(self, requirement_id: str) -> Callable[[Handler], Handler]:
        """Decorator: record the decorated durable handler under ``requirement_id``."""

        def decorator(handler: Handler) -> Handler:
            if requirement_id in self:
                raise ValueError(f"requirement {requirement_id!r} already has a handler")
            self[requirement_id] = handler
            return handler

        return decorator
