"""Message framing on a worker's socket: one frame = 8-byte little-endian body length + body.

Both sides use this module; it imports nothing beyond ``os`` so a worker starts fast.

- `FrameReader` is the parent's incremental, non-blocking reader: it takes whatever bytes are available and
  returns the frames they complete. Small frames are parsed out of a scratch buffer; a large frame gets its
  own buffer of exactly its size and is read into directly: a 50 MB frame costs one allocation, no copies.
- `Outbox` is the parent's outbound buffer: `send()` only queues; `flush()`, which the parent calls when the
  selector says the socket is writable, writes what the socket takes (frames queued together in one
  `writev`) and keeps the rest.
- `BlockingChannel` is the worker's side: blocking reads of whole frames and blocking writes.
"""

from __future__ import annotations

import os

HEADER = 8
_SCRATCH = 256 * 1024
_LARGE = 64 * 1024  # frames bigger than this are read straight into their own buffer
_IOV_MAX = 1024  # buffers per writev (Linux's limit)


def header(size: int) -> bytes:
    """The 8-byte header announcing a body of `size` bytes."""
    return size.to_bytes(HEADER, "little")


def body_size(buf: bytes | bytearray | memoryview, offset: int = 0) -> int:
    """The body length stored in the header at `offset`."""
    return int.from_bytes(buf[offset : offset + HEADER], "little")


def take_frames(buf: bytearray) -> list[bytearray]:
    """Cut the whole frames off the front of `buf` and return their bodies (a partial frame stays)."""
    frames = []
    while len(buf) >= HEADER and len(buf) >= (end := HEADER + body_size(buf)):
        frames.append(buf[HEADER:end])
        del buf[:end]
    return frames


class FrameReader:
    """Turns the bytes of a non-blocking socket into whole frames (parent side)."""

    __slots__ = ("_big", "_big_pos", "_big_view", "_fd", "_pending", "_scratch", "_view")

    def __init__(self, fd: int) -> None:
        self._fd = fd
        self._scratch = bytearray(_SCRATCH)
        self._view = memoryview(self._scratch)
        self._pending = bytearray()
        self._big: bytearray | None = None
        self._big_view = memoryview(b"")
        self._big_pos = 0

    def read(self) -> list[bytearray]:
        """Read what the socket holds now; return the frame bodies it completes (EOFError: peer closed)."""
        frames: list[bytearray] = []
        while True:
            if self._big is not None:
                want = len(self._big) - self._big_pos
                n = self._readinto(self._big_view[self._big_pos :])
                if n is None:
                    return frames
                self._big_pos += n
                if n == want:
                    frames.append(self._big)
                    self._big = None
                    self._big_view = memoryview(b"")
                continue
            n = self._readinto(self._view)
            if n is None:
                return frames
            self._pending += self._view[:n]
            self._split(frames)
            if n < _SCRATCH and self._big is None:
                return frames  # the socket is most likely drained: skip the EAGAIN round trip

    def _readinto(self, view: memoryview) -> int | None:
        try:
            n = os.readv(self._fd, [view])
        except BlockingIOError:
            return None
        if n == 0:
            raise EOFError("worker closed its end of the channel")
        return n

    def _split(self, frames: list[bytearray]) -> None:
        pending = self._pending
        while len(pending) >= HEADER:
            size = body_size(pending)
            end = HEADER + size
            if len(pending) >= end:
                frames.append(pending[HEADER:end])
                del pending[:end]
            elif size > _LARGE:
                big = bytearray(size)
                have = len(pending) - HEADER
                big[:have] = pending[HEADER:]
                pending.clear()
                self._big, self._big_view, self._big_pos = big, memoryview(big), have
                return
            else:
                return


class Outbox:
    """Frames waiting to be written to a non-blocking socket (parent side)."""

    __slots__ = ("_chunks", "_fd")

    def __init__(self, fd: int) -> None:
        self._fd = fd
        self._chunks: list[memoryview] = []

    def __bool__(self) -> bool:
        return bool(self._chunks)

    def send(self, head: bytes, payload: bytes) -> None:
        """Queue the frame `head + payload` for the next `flush()` (frames queued meanwhile go together)."""
        self._chunks.extend(_chunks(head, payload))

    def flush(self) -> None:
        """Write queued bytes (several frames per system call) until the socket would block.
        BrokenPipeError if the worker is gone."""
        chunks = self._chunks
        while chunks:
            try:
                n = os.writev(self._fd, chunks[:_IOV_MAX])
            except BlockingIOError:
                return
            while n and n >= len(chunks[0]):
                n -= len(chunks[0])
                del chunks[0]
            if n:
                chunks[0] = chunks[0][n:]
                return  # the socket took part of a frame: it is full


class BlockingChannel:
    """Whole-frame blocking reads and writes on the worker's end of the socket (worker side)."""

    __slots__ = ("_buf", "_fd")

    def __init__(self, fd: int) -> None:
        self._fd = fd
        self._buf = bytearray()

    def recv(self) -> bytearray:
        """The next frame body. EOFError when the parent closed the channel."""
        buf = self._buf
        while len(buf) < HEADER:
            self._fill()
        size = body_size(buf)
        end = HEADER + size
        if len(buf) < end and size > _LARGE:
            body = bytearray(size)
            have = len(buf) - HEADER
            body[:have] = buf[HEADER:]
            buf.clear()
            view = memoryview(body)
            while have < size:
                n = os.readv(self._fd, [view[have:]])
                if n == 0:
                    raise EOFError("parent closed the channel")
                have += n
            return body
        while len(buf) < end:
            self._fill()
        body = buf[HEADER:end]
        del buf[:end]
        return body

    def fileno(self) -> int:
        return self._fd

    def available(self) -> list[bytearray]:
        """The whole frames that can be read now without blocking (a partial one stays for `recv`)."""
        import select  # a C module: cheap, and only a worker that runs tasks needs it

        while select.select([self._fd], [], [], 0)[0]:
            self._fill()
        return take_frames(self._buf)

    def _fill(self) -> None:
        chunk = os.read(self._fd, _SCRATCH)
        if not chunk:
            raise EOFError("parent closed the channel")
        self._buf += chunk

    def send(self, head: bytes, payload: bytes) -> None:
        """Write the frame `head + payload`, blocking until the parent has taken all of it."""
        for view in _chunks(head, payload):
            while view:
                view = view[os.write(self._fd, view) :]


def _chunks(head: bytes, payload: bytes) -> list[memoryview]:
    """The frame `head + payload` as buffers to write: one for a small frame, no copy of a large payload."""
    size = len(head) + len(payload)
    if size <= _LARGE:
        return [memoryview(header(size) + head + payload)]
    return [memoryview(header(size) + head), memoryview(payload)]
