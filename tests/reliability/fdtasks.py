"""Worker-pool tasks for the fd tests (module level: pickled by reference into workers)."""

from __future__ import annotations

import os
import subprocess
import sys
import time


def read(path: str) -> str:
    try:
        with open(path) as f:
            return f.read().strip()
    except FileNotFoundError:
        return ""


def channel_fd() -> int:
    """This worker's channel fd."""
    from durable_mp_workers import channel

    return channel.fileno()


def spawn_children(directory: str) -> dict[str, int]:
    """Start children every way user code might (os.system in the background, Popen(close_fds=False),
    a bare fork), each living 30 s; return their pids and this worker's channel fd."""
    path = os.path.join(directory, "system.pid")
    os.system(f"sleep 30 & echo $! > {path}")
    popen = subprocess.Popen(["sleep", "30"], close_fds=False)
    child = os.fork()
    ready = os.path.join(directory, "fork.ready")
    if child == 0:  # the forked copy of this worker (its at-fork hooks have run): it only sleeps
        open(ready, "w").close()
        time.sleep(30)
        os._exit(0)
    while not read(path) or not os.path.exists(ready):
        time.sleep(0.01)
    return {"system": int(read(path)), "popen": popen.pid, "fork": child, "fd": channel_fd()}


def leak_channel_and_hang() -> int:
    """Hand a copy of the channel to a grandchild on purpose (as a careless library might), then hang: the
    pool must still see this worker die at once, from the process, not from the channel's EOF."""
    os.dup2(channel_fd(), 50, inheritable=True)
    sys.stdout.flush()
    subprocess.Popen(["sleep", "30"], pass_fds=(50,))
    time.sleep(60)
    return 0
