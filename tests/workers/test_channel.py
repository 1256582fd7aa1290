"""A running task talks to the parent: send, request/reply, and large frames both ways."""

from __future__ import annotations

import pytest

from durable_mp_workers import TaskDone, TaskMessage, WorkerPool, channel

from . import tasks
from .conftest import drain


def test_send_and_request(pool: WorkerPool) -> None:
    task_id = pool.submit(tasks.talk, "why?")
    sent, asked = drain(pool, 2)
    assert sent == TaskMessage(task_id, ("progress", 1), wants_reply=False)
    assert asked == TaskMessage(task_id, "why?", wants_reply=True)
    pool.reply(task_id, "because")
    [done] = drain(pool, 1)
    assert done == TaskDone(task_id, "because!")


def test_reply_without_a_request_is_an_error(pool: WorkerPool) -> None:
    task_id = pool.submit(tasks.sleep_after_pid, 30)
    [sent] = drain(pool, 1)
    assert sent.wants_reply is False  # type: ignore[union-attr]
    with pytest.raises(RuntimeError, match=f"task {task_id} has no pending channel.request"):
        pool.reply(task_id, "unasked")
    pool.cancel(task_id)
    pool.reply(task_id, "late")  # the task is gone: ignored
    with pytest.raises(ValueError, match="no task 1000"):
        pool.reply(1000, "never submitted")


def test_in_worker() -> None:
    assert channel.in_worker() is False
    with pytest.raises(RuntimeError, match="only inside a task"):
        channel.send("x")
    with WorkerPool(1) as pool:
        pool.submit(tasks.in_worker)
        assert drain(pool, 1)[0].result is True  # type: ignore[union-attr]


def test_large_frames_both_directions_at_once(pool: WorkerPool) -> None:
    size = 50 << 20
    exchanging = pool.submit(tasks.big_exchange, size)
    consuming = pool.submit(tasks.length, b"a" * size)  # a 50 MB task sent while 50 MB arrive
    producing = 0
    results: dict[int, object] = {}
    while len(results) < 3:
        for event in pool.poll(30):
            if isinstance(event, TaskMessage) and event.wants_reply:
                pool.reply(exchanging, b"r" * event.payload)  # 50 MB reply
            elif isinstance(event, TaskMessage):
                assert len(event.payload) == size
            elif isinstance(event, TaskDone):
                results[event.task_id] = event.result
                if event.task_id == consuming:
                    producing = pool.submit(tasks.make_bytes, size)
                elif event.task_id != exchanging:
                    assert event.task_id == producing and len(event.result) == size
            else:
                raise AssertionError(event)
    assert results[exchanging] == size and results[consuming] == size
    assert isinstance(results[producing], bytes) and len(results[producing]) == size
