"""A worker's checkpoint buffer is shared by the threads of a branch (a nested map or parallel runs on
threads inside the worker): nothing added while another thread sends the buffer may be lost."""

from __future__ import annotations

import threading
import time
from typing import Any

from durable_mp.concurrency.worker_entry import ChannelSink
from durable_mp.state.replay import ReplayState


class _SlowChannel:
    """Sending takes a while (pickling and writing a big buffer), so other threads add meanwhile."""

    def __init__(self) -> None:
        self.sent: list[Any] = []

    def send(self, message: tuple[str, list[Any]]) -> None:
        _, batch = message
        pickled = list(batch)  # what crosses the pipe: the buffer as it was when the send began
        time.sleep(0.0005)
        assert batch == pickled, "an entry was added to a buffer already being sent: it would be lost"
        self.sent.extend(pickled)


def test_updates_from_many_threads_are_each_sent_exactly_once() -> None:
    sink = ChannelSink(ReplayState("arn:test", []), "branch")
    channel = _SlowChannel()
    sink.channel = channel  # type: ignore[assignment]

    def work(t: int) -> None:
        for i in range(50):
            sink.add(("log", f"{t}-{i}"))
            update = {"Id": f"op-{t}-{i}", "Type": "STEP", "Action": "START"}
            sink.submit(update)
            sink.submit({**update, "Action": "SUCCEED"})  # completed work: the buffer is sent now

    threads = [threading.Thread(target=work, args=(t,)) for t in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    sent = channel.sent + sink.take_buffer()
    updates = [(e["Id"], e["Action"]) for e in sent if isinstance(e, dict)]
    logs = [e[1] for e in sent if isinstance(e, tuple)]
    assert sorted(updates) == sorted(
        (f"op-{t}-{i}", a) for t in range(8) for i in range(50) for a in ("START", "SUCCEED")
    )
    assert sorted(logs) == sorted(f"{t}-{i}" for t in range(8) for i in range(50))
    for t in range(8):  # each thread's own order is kept: a START before its SUCCEED
        mine = [u for u in updates if u[0].startswith(f"op-{t}-")]
        assert mine == [(f"op-{t}-{i}", a) for i in range(50) for a in ("START", "SUCCEED")]
