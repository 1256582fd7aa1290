"""Side effects that really ran, counted across processes (workers, child executions, invocation processes).

Each run appends one line to `<dir>/effects.log`: one `os.write` of a short line with O_APPEND, atomic between
processes. The functions are module level, so item functions that run in other processes can call them.
"""

from __future__ import annotations

import os

EFFECTS = "effects.log"


def effect(directory: str, tag: str) -> None:
    """Record that the work `tag` ran (once per call), and in which process."""
    fd = os.open(os.path.join(directory, EFFECTS), os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
    try:
        os.write(fd, f"{tag} {os.getpid()}\n".encode())
    finally:
        os.close(fd)


def effect_runs(directory: str) -> list[tuple[str, int]]:
    """Every effect recorded so far, in order, as (tag, pid of the process that ran it)."""
    try:
        with open(os.path.join(directory, EFFECTS)) as f:
            lines = f.read().splitlines()
    except FileNotFoundError:
        return []
    return [(tag, int(pid)) for tag, pid in (line.split() for line in lines)]


def effects(directory: str) -> list[str]:
    """The tags of every effect recorded so far, in order."""
    return [tag for tag, _ in effect_runs(directory)]
