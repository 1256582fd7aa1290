"""JSON frames over a stream socket: a 4-byte big-endian length, then that many bytes of UTF-8 JSON.

The private channel between the local service and an isolated invocation process (isolation.py,
isolated_child.py). Nothing but JSON crosses it.
"""

from __future__ import annotations

import json
import socket
import struct
from typing import Any

_HEADER = struct.Struct(">I")


def send(sock: socket.socket, obj: Any) -> None:
    data = json.dumps(obj, separators=(",", ":"), ensure_ascii=False).encode()
    sock.sendall(_HEADER.pack(len(data)) + data)


def recv(sock: socket.socket) -> Any:
    """The next frame's object, or None when the other end closed the channel (or died)."""
    header = _read(sock, _HEADER.size)
    if header is None:
        return None
    (size,) = _HEADER.unpack(header)
    body = _read(sock, size)
    if body is None:
        return None
    return json.loads(body)


def _read(sock: socket.socket, n: int) -> bytes | None:
    chunks: list[bytes] = []
    while n:
        try:
            chunk = sock.recv(min(n, 1 << 20))
        except ConnectionResetError:
            return None
        if not chunk:
            return None
        chunks.append(chunk)
        n -= len(chunk)
    return b"".join(chunks)
