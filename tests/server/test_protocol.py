"""The HTTP/1.1 layer on raw sockets: framing, keep-alive, pipelining, a typed 4xx for every bad request."""

from __future__ import annotations

import json
import socket
import time
from typing import Any

import pytest

from durable_mp.local.server import MAX_BODY_BYTES, DurableHttpServer


def connect(server: DurableHttpServer) -> socket.socket:
    sock = socket.create_connection(("127.0.0.1", server.port), timeout=5)
    return sock


def read_response(sock: socket.socket) -> tuple[int, dict[str, str], bytes]:
    """One response; raises if the server closes before a full one arrives."""
    data = b""
    while b"\r\n\r\n" not in data:
        chunk = sock.recv(65536)
        if not chunk:
            raise ConnectionError(f"closed after {data!r}")
        data += chunk
    head, _, rest = data.partition(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    status = int(lines[0].split(" ")[1])
    headers = {k.lower(): v.strip() for k, _, v in (line.partition(":") for line in lines[1:])}
    length = int(headers.get("content-length", "0"))
    while len(rest) < length:
        chunk = sock.recv(65536)
        if not chunk:
            raise ConnectionError("closed mid-body")
        rest += chunk
    assert len(rest) == length, "extra bytes after a response"
    return status, headers, rest


def exchange(server: DurableHttpServer, raw: bytes) -> tuple[int, dict[str, str], bytes, bool]:
    """Send raw bytes; return the response and whether the server then closed the connection."""
    with connect(server) as sock:
        sock.sendall(raw)
        status, headers, body = read_response(sock)
        sock.settimeout(0.2)
        try:
            closed = sock.recv(1) == b""
        except TimeoutError:
            closed = False
        return status, headers, body, closed


def error(body: bytes) -> str:
    payload = json.loads(body)
    return payload.get("Message") or payload.get("message")


def get(path: str, extra: str = "") -> bytes:
    return f"GET {path} HTTP/1.1\r\nHost: x\r\n{extra}\r\n".encode()


def post(path: str, body: bytes, extra: str = "") -> bytes:
    return f"POST {path} HTTP/1.1\r\nHost: x\r\nContent-Length: {len(body)}\r\n{extra}\r\n".encode() + body


CHECKPOINT = "/2025-12-01/durable-executions/arn%3Aaws%3Alambda%3Aus-east-1%3A1%3Afunction%3Aq/checkpoint"


def test_malformed_json_body_is_invalid_request_content(server: DurableHttpServer) -> None:
    status, headers, body, closed = exchange(server, post(CHECKPOINT, b'{"CheckpointToken": '))
    assert status == 400 and headers["x-amzn-errortype"] == "InvalidRequestContentException"
    assert "Could not parse request body into json" in error(body)
    assert not closed  # a well-framed request with bad JSON keeps the connection
    status, headers, body, _ = exchange(server, post(CHECKPOINT, b"[1, 2]"))
    assert status == 400 and "expected an object, got list" in error(body)


def test_unknown_route_and_wrong_method(server: DurableHttpServer) -> None:
    status, headers, body, _ = exchange(server, get("/2025-12-01/nothing-here/x"))
    assert status == 404 and headers["x-amzn-errortype"] == "UnknownOperationException"
    assert "GET /2025-12-01/nothing-here/x" in error(body)
    status, headers, _, _ = exchange(server, post("/2025-12-01/durable-executions/abc", b""))
    assert status == 404 and headers["x-amzn-errortype"] == "UnknownOperationException"


@pytest.mark.parametrize(
    ("raw", "status", "code", "words"),
    [
        (b"GARBAGE\r\n\r\n", 400, "BadRequestException", "malformed request line"),
        (b"GET /x HTTP/2.0\r\n\r\n", 505, "HttpVersionNotSupportedException", "HTTP/2.0"),
        (b"GET /x HTTP/1.1\r\nNoColonHere\r\n\r\n", 400, "BadRequestException", "malformed header line"),
        (b"POST /x HTTP/1.1\r\nContent-Length: ten\r\n\r\n", 400, "BadRequestException", "Content-Length"),
        (
            b"POST /x HTTP/1.1\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\n",
            400,
            "BadRequestException",
            "conflicting",
        ),
        (
            b"POST /x HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n",
            411,
            "LengthRequiredException",
            "Transfer-Encoding",
        ),
        (
            f"POST /x HTTP/1.1\r\nContent-Length: {MAX_BODY_BYTES + 1}\r\n\r\n".encode(),
            413,
            "RequestTooLargeException",
            "limit",
        ),
        (
            b"GET /x HTTP/1.1\r\nX-Big: " + b"a" * 70_000 + b"\r\n\r\n",
            431,
            "RequestHeaderFieldsTooLargeException",
            "head exceeds",
        ),
        (b"GET http://elsewhere/ HTTP/1.1\r\n\r\n", 400, "BadRequestException", "must be a path"),
    ],
)
def test_malformed_requests_get_a_typed_error_and_a_close(
    server: DurableHttpServer, raw: bytes, status: int, code: str, words: str
) -> None:
    got_status, headers, body, closed = exchange(server, raw)
    assert (got_status, headers["x-amzn-errortype"]) == (status, code)
    assert words in error(body)
    assert closed and headers["connection"] == "close"


def test_bad_percent_encoding_and_bad_query_values(server: DurableHttpServer) -> None:
    status, headers, body, _ = exchange(server, get("/2025-12-01/durable-executions/%FF%FE"))
    assert status == 400 and "percent-encoding" in error(body)
    status, headers, body, _ = exchange(
        server, get("/2025-12-01/functions/quick/durable-executions?MaxItems=lots")
    )
    assert status == 400 and headers["x-amzn-errortype"] == "InvalidParameterValueException"
    assert "MaxItems must be an integer" in error(body)
    status, _, body, _ = exchange(
        server, get("/2025-12-01/functions/quick/durable-executions?ReverseOrder=maybe")
    )
    assert status == 400 and "ReverseOrder must be true or false" in error(body)
    status, _, body, _ = exchange(
        server, get("/2025-12-01/functions/quick/durable-executions?StartedAfter=yesterday")
    )
    assert status == 400 and "StartedAfter" in error(body)


def test_incomplete_request_times_out_with_408(server: DurableHttpServer) -> None:
    start = time.monotonic()
    status, headers, body, closed = exchange(server, b'POST /x HTTP/1.1\r\nContent-Length: 50\r\n\r\n{"a"')
    assert status == 408 and headers["x-amzn-errortype"] == "RequestTimeoutException" and closed
    assert 0.9 < time.monotonic() - start < 3
    assert "not complete within 1 seconds" in error(body)


def test_keep_alive_pipelining_and_connection_close(server: DurableHttpServer) -> None:
    with connect(server) as sock:
        invoke = post("/2015-03-31/functions/quick/invocations", b'{"x": 1}')
        plain = post("/2015-03-31/functions/echo/invocations", b'{"y": 2}')
        sock.sendall(invoke + plain)  # two requests in one write: answered in order
        first, second = read_response(sock), read_response(sock)
        assert first[0] == 200 and json.loads(first[2]) == {"double": 2}
        assert first[1]["x-amz-durable-execution-arn"].startswith("arn:aws:lambda:us-east-1:")
        assert first[1]["x-amz-executed-version"] == "$LATEST"
        assert second[0] == 200 and json.loads(second[2])["echo"] == {"y": 2}
        sock.sendall(get("/2025-12-01/durable-executions/nope", "Connection: close\r\n"))
        status, headers, _ = read_response(sock)
        assert status == 404 and headers["connection"] == "close"
        assert sock.recv(1) == b""


def test_event_invoke_answers_202_with_the_arn(server: DurableHttpServer) -> None:
    raw = post("/2015-03-31/functions/quick/invocations", b"{}", "X-Amz-Invocation-Type: Event\r\n")
    status, headers, body, _ = exchange(server, raw)
    assert status == 202 and body == b""
    assert "/durable-execution/" in headers["x-amz-durable-execution-arn"]


def test_expect_100_continue(server: DurableHttpServer) -> None:
    with connect(server) as sock:
        body = b'{"x": 4}'
        sock.sendall(
            f"POST /2015-03-31/functions/quick/invocations HTTP/1.1\r\nContent-Length: {len(body)}\r\n"
            "Expect: 100-continue\r\n\r\n".encode()
        )
        assert sock.recv(100) == b"HTTP/1.1 100 Continue\r\n\r\n"
        sock.sendall(body)
        status, _, answer = read_response(sock)
        assert status == 200 and json.loads(answer) == {"double": 8}


def test_route_crash_is_a_500_service_exception_not_a_traceback(
    server: DurableHttpServer, monkeypatch: Any, capsys: Any
) -> None:
    def boom(**kwargs: Any) -> Any:
        raise RuntimeError("disk on fire")

    monkeypatch.setattr(server.service, "get_durable_execution", boom)
    status, headers, body, closed = exchange(server, get("/2025-12-01/durable-executions/any"))
    assert status == 500 and headers["x-amzn-errortype"] == "ServiceException" and not closed
    assert json.loads(body) == {"Type": "Service", "Message": "internal error: RuntimeError: disk on fire"}
    assert b"Traceback" not in body
    assert "Traceback" in capsys.readouterr().err
