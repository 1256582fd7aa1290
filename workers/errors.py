"""Errors of the worker pool. Imports nothing: the worker loads it only when a task fails."""

from __future__ import annotations


class TaskPicklingError(TypeError):
    """A task's function, an argument, a message or a result cannot be pickled to cross to another process."""


class RemoteTaskError(Exception):
    """Stands in for an exception raised in a worker that could not be pickled back to the parent.

    It keeps what can always cross: the original type's qualified name, its message and the worker-side
    traceback text.
    """

    def __init__(self, type_name: str, message: str, traceback_text: str) -> None:
        super().__init__(f"{type_name}: {message}")
        self.type_name = type_name
        self.message = message
        self.traceback_text = traceback_text

    def __reduce__(self) -> tuple[type[RemoteTaskError], tuple[str, str, str]]:
        return type(self), (self.type_name, self.message, self.traceback_text)


class RemoteTraceback(Exception):
    """Set as `__cause__` of an exception re-raised from a worker: its text is the worker-side traceback."""

    def __init__(self, traceback_text: str) -> None:
        super().__init__(traceback_text)
        self.traceback_text = traceback_text

    def __str__(self) -> str:
        return f'\n"""\n{self.traceback_text}"""'
