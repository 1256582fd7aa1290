"""Hundreds of simultaneous connections: synchronous invokes held open while their executions run, mixed with
reads, all answered, none lost or crossed."""

from __future__ import annotations

import asyncio
import json
import time

from durable_mp.local.server import DurableHttpServer


async def _request(port: int, raw: bytes) -> tuple[int, bytes]:
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    try:
        writer.write(raw)
        await writer.drain()
        head = await reader.readuntil(b"\r\n\r\n")
        lines = head.decode("latin-1").split("\r\n")
        length = next(
            int(line.split(":", 1)[1]) for line in lines if line.lower().startswith("content-length:")
        )
        return int(lines[0].split(" ")[1]), await reader.readexactly(length)
    finally:
        writer.close()


def _invoke(i: int, port: int) -> bytes:
    body = json.dumps({"i": i}).encode()
    return (
        f"POST /2015-03-31/functions/napper/invocations HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\n"
        f"Content-Length: {len(body)}\r\n\r\n"
    ).encode() + body


def _list(port: int) -> bytes:
    path = "/2025-12-01/functions/napper/durable-executions?MaxItems=5"
    return f"GET {path} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\n\r\n".encode()


def test_200_concurrent_requests(server: DurableHttpServer) -> None:
    async def main() -> list[tuple[int, bytes]]:
        calls = [_request(server.port, _invoke(i, server.port)) for i in range(120)]
        calls += [_request(server.port, _list(server.port)) for _ in range(80)]
        return await asyncio.wait_for(asyncio.gather(*calls), timeout=30)

    start = time.monotonic()
    answers = asyncio.run(main())
    elapsed = time.monotonic() - start
    invokes, lists = answers[:120], answers[120:]
    assert [status for status, _ in answers] == [200] * 200
    assert [json.loads(body) for _, body in invokes] == [f"rested {i}" for i in range(120)]
    assert all("DurableExecutions" in json.loads(body) for _, body in lists)
    listed = server.service.list_durable_executions_by_function(FunctionName="napper", Statuses=["SUCCEEDED"])
    assert len(listed["DurableExecutions"]) == 120
    assert elapsed < 20
