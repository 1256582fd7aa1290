"""Task functions the worker-pool tests run in worker processes (module level, so pickled by reference)."""

from __future__ import annotations

import os
import threading
import time

from durable_mp_workers import channel

_kept: list[bytes] = []


def add(a: int, b: int) -> int:
    return a + b


def pid() -> int:
    return os.getpid()


def fail(message: str) -> None:
    raise ValueError(message)


class LockedError(Exception):
    """An exception that holds a lock, so it cannot be pickled."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.lock = threading.Lock()


class TwoArgError(Exception):
    """Pickles, but cannot be unpickled (its __init__ needs two arguments, args holds one)."""

    def __init__(self, a: str, b: str) -> None:
        super().__init__(f"{a}/{b}")


def fail_unpicklable(message: str) -> None:
    raise LockedError(message)


def fail_two_args() -> None:
    raise TwoArgError("left", "right")


def return_lock() -> object:
    return threading.Lock()


def talk(question: str) -> str:
    channel.send(("progress", 1))
    answer = channel.request(question)
    return f"{answer}!"


def in_worker() -> bool:
    return channel.in_worker()


def sleep_after_pid(seconds: float) -> None:
    channel.send(os.getpid())
    time.sleep(seconds)


def big_exchange(size: int) -> int:
    """Stream `size` bytes out, ask for `size` bytes, return `size` bytes: large frames both ways."""
    channel.send(b"o" * size)
    reply = channel.request(size)
    assert isinstance(reply, bytes) and len(reply) == size
    return len(reply)


def length(data: bytes) -> int:
    return len(data)


def make_bytes(size: int) -> bytes:
    return b"r" * size


def hold_memory(megabytes: int) -> int:
    _kept.append(b"m" * (megabytes << 20))
    return os.getpid()


def append_line(path: str, text: str) -> str:
    """Append `text` to the file `path` (what ran, in order), and return it."""
    with open(path, "a") as f:
        f.write(text + "\n")
    return text


def die_after_line(path: str, text: str) -> None:
    """Append `text` to `path`, then end the worker process at once (a crash mid-task)."""
    append_line(path, text)
    os._exit(3)


def getenv(name: str) -> str | None:
    return os.environ.get(name)


def gc_state() -> tuple[bool, int]:
    """Whether the worker collects garbage, and how many objects it has frozen (those of the template)."""
    import gc

    return gc.isenabled(), gc.get_freeze_count()
