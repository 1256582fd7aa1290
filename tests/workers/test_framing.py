"""Frames survive any split of the byte stream, and the parent's writes never block."""

from __future__ import annotations

import os
import socket

import pytest

from durable_mp_workers.framing import BlockingChannel, FrameReader, Outbox, header


def test_reader_reassembles_frames_split_anywhere() -> None:
    parent, child = socket.socketpair()
    parent.setblocking(False)
    bodies = [b"", b"x", b"y" * 70_000, b"z" * 10, b"w" * 300_000]
    stream = b"".join(header(len(b)) + b for b in bodies)
    reader = FrameReader(parent.fileno())
    got: list[bytes] = []
    for start in range(0, len(stream), 4099):  # odd-sized pieces cut through headers and bodies
        child.sendall(stream[start : start + 4099])
        got.extend(bytes(frame) for frame in reader.read())
    assert got == bodies
    child.close()
    try:
        reader.read()
    except EOFError:
        pass
    else:
        raise AssertionError("EOF not reported")
    parent.close()


def test_outbox_never_blocks_and_delivers_everything() -> None:
    parent, child = socket.socketpair()
    parent.setblocking(False)
    outbox = Outbox(parent.fileno())
    payload = os.urandom(1 << 20)
    outbox.send(b"head", payload)  # far more than the socket buffer: returns at once, keeps the rest
    outbox.flush()
    assert outbox
    channel = BlockingChannel(child.fileno())
    received = bytearray()
    child.setblocking(False)
    while outbox or len(received) < len(payload) + 12:
        outbox.flush()
        try:
            received += os.read(child.fileno(), 1 << 16)
        except BlockingIOError:
            pass
    assert bytes(received) == header(len(payload) + 4) + b"head" + payload
    child.setblocking(True)
    outbox.send(b"", b"small")
    outbox.flush()
    assert bytes(channel.recv()) == b"small"
    parent.close()
    child.close()


def test_outbox_sends_the_frames_queued_between_flushes_together() -> None:
    parent, child = socket.socketpair()
    parent.setblocking(False)
    child.setblocking(False)
    outbox = Outbox(parent.fileno())
    for i in range(3):
        outbox.send(b"h", f"frame {i}".encode())
    with pytest.raises(BlockingIOError):  # queued, not written: nothing reached the peer yet
        os.read(child.fileno(), 100)
    outbox.flush()
    assert not outbox
    child.setblocking(True)
    channel = BlockingChannel(child.fileno())
    assert [bytes(channel.recv()) for _ in range(3)] == [b"hframe 0", b"hframe 1", b"hframe 2"]
    parent.close()
    child.close()
