"""The HTTP layer on raw sockets: framing, keep-alive, pipelining, limits, a typed error for every bad request."""

from __future__ import annotations

import json
import socket
import time
from typing import Any

import pytest

from durable_mp.local import LocalDurableService
from durable_mp.local.server import MAX_BODY_BYTES, DurableHttpServer


class Conn:
    """A client connection that reads responses one at a time, each framed by its Content-Length."""

    def __init__(self, server: DurableHttpServer) -> None:
        self.server = server
        self.sock = socket.create_connection(("127.0.0.1", server.port), timeout=5)
        self._buf = b""

    def __enter__(self) -> Conn:  # noqa: PYI034
        return self

    def __exit__(self, *exc: object) -> None:
        self.sock.close()

    def send(self, raw: bytes) -> None:
        self.sock.sendall(raw)

    def _fill(self, what: str) -> None:
        chunk = self.sock.recv(65536)
        if not chunk:
            raise ConnectionError(f"closed while reading {what}, after {self._buf[:300]!r}")
        self._buf += chunk

    def read_response(self) -> tuple[int, dict[str, str], bytes]:
        """The next response; bytes after it (a pipelined answer) stay buffered for the next call."""
        while b"\r\n\r\n" not in self._buf:
            self._fill("a head")
        head, _, self._buf = self._buf.partition(b"\r\n\r\n")
        lines = head.decode("latin-1").split("\r\n")
        status = int(lines[0].split(" ")[1])
        headers = {k.lower(): v.strip() for k, _, v in (line.partition(":") for line in lines[1:])}
        length = int(headers.get("content-length", "0"))
        while len(self._buf) < length:
            self._fill("a body")
        body, self._buf = self._buf[:length], self._buf[length:]
        return status, headers, body

    def closed(self, wait: float = 0.2) -> bool:
        """Whether the server closed the connection (nothing more is buffered or arrives in `wait` s)."""
        if self._buf:
            return False
        self.sock.settimeout(wait)
        try:
            return self.sock.recv(1) == b""
        except ConnectionResetError:
            return True
        except TimeoutError:
            return False
        finally:
            self.sock.settimeout(5)


def exchange(server: DurableHttpServer, raw: bytes) -> tuple[int, dict[str, str], bytes, bool]:
    """Send raw bytes; return the response and whether the server then closed the connection."""
    with Conn(server) as conn:
        conn.send(raw)
        status, headers, body = conn.read_response()
        return status, headers, body, conn.closed()


def error(body: bytes) -> str:
    payload = json.loads(body)
    return payload.get("Message") or payload.get("message")


def host(server: DurableHttpServer) -> str:
    return f"Host: 127.0.0.1:{server.port}\r\n"


def get(server: DurableHttpServer, path: str, extra: str = "") -> bytes:
    return f"GET {path} HTTP/1.1\r\n{host(server)}{extra}\r\n".encode()


def post(server: DurableHttpServer, path: str, body: bytes, extra: str = "") -> bytes:
    head = f"POST {path} HTTP/1.1\r\n{host(server)}Content-Length: {len(body)}\r\n{extra}\r\n"
    return head.encode() + body


CHECKPOINT = "/2025-12-01/durable-executions/arn%3Aaws%3Alambda%3Aus-east-1%3A1%3Afunction%3Aq/checkpoint"
INVOKE = "/2015-03-31/functions/{}/invocations"


def test_malformed_json_body_is_invalid_request_content(server: DurableHttpServer) -> None:
    status, headers, body, closed = exchange(server, post(server, CHECKPOINT, b'{"CheckpointToken": '))
    assert status == 400 and headers["x-amzn-errortype"] == "InvalidRequestContentException"
    assert "Could not parse request body into json" in error(body)
    assert not closed  # a well-framed request with bad JSON keeps the connection
    status, headers, body, _ = exchange(server, post(server, CHECKPOINT, b"[1, 2]"))
    assert status == 400 and "expected an object, got list" in error(body)


def test_deeply_nested_json_is_a_400_not_a_500(server: DurableHttpServer) -> None:
    deep = b"[" * 100_000 + b"]" * 100_000
    for path in (CHECKPOINT, INVOKE.format("quick"), INVOKE.format("echo")):
        status, headers, body, closed = exchange(server, post(server, path, deep))
        assert (status, headers["x-amzn-errortype"]) == (400, "InvalidRequestContentException"), body
        assert "nested too deeply" in error(body) and b"Traceback" not in body and not closed


def test_invoke_rejects_nan_and_infinity(server: DurableHttpServer) -> None:
    for payload in (b"NaN", b'{"x": Infinity}', b"[-Infinity]"):
        status, headers, body, _ = exchange(server, post(server, INVOKE.format("quick"), payload))
        assert (status, headers["x-amzn-errortype"]) == (400, "InvalidRequestContentException")
        assert "is not valid JSON" in error(body)
    assert server.service.list_durable_executions_by_function(FunctionName="quick")["DurableExecutions"] == []


def test_a_result_that_is_not_json_answers_a_json_function_error(server: DurableHttpServer) -> None:
    server.register("nan", lambda event, context: {"ratio": float("nan")})
    status, headers, body, _ = exchange(server, post(server, INVOKE.format("nan"), b"{}"))
    assert status == 200 and headers["x-amz-function-error"] == "Unhandled"
    assert json.loads(body)["errorType"] == "Runtime.MarshalError"


def test_unknown_route_404_and_wrong_method_405(server: DurableHttpServer) -> None:
    status, headers, body, _ = exchange(server, get(server, "/2025-12-01/nothing-here/x"))
    assert status == 404 and headers["x-amzn-errortype"] == "UnknownOperationException"
    assert "GET /2025-12-01/nothing-here/x" in error(body)
    status, headers, body, _ = exchange(server, post(server, "/2025-12-01/durable-executions/abc", b""))
    assert status == 405 and headers["x-amzn-errortype"] == "MethodNotAllowedException"
    assert headers["allow"] == "GET" and "use GET" in error(body)
    status, headers, _, _ = exchange(server, get(server, INVOKE.format("quick")))
    assert status == 405 and headers["allow"] == "POST"


@pytest.mark.parametrize(
    "raw",
    [
        b"GARBAGE\r\n\r\n",
        b"GET /x HTTP/1.1\r\nHost: 127.0.0.1\r\nNoColonHere\r\n\r\n",
        b"POST /x HTTP/1.1\r\nContent-Length: ten\r\n\r\n",
        b"POST /x HTTP/1.1\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\n",
        b"GET /x HTTP/1.1\r\nX-Big: " + b"a" * 70_000 + b"\r\n\r\n",
    ],
)
def test_what_is_not_http_gets_a_400_and_a_close(server: DurableHttpServer, raw: bytes) -> None:
    status, _, body, closed = exchange(server, raw)
    assert status == 400 and closed and b"Traceback" not in body


def test_body_over_the_limit_is_a_typed_413(server: DurableHttpServer) -> None:
    head = f"POST {INVOKE.format('quick')} HTTP/1.1\r\n{host(server)}Content-Length: {MAX_BODY_BYTES + 1}\r\n\r\n"
    status, headers, body, _ = exchange(server, head.encode())
    assert (status, headers["x-amzn-errortype"]) == (413, "RequestTooLargeException")
    assert "the limit is 6,356,992 bytes" in error(body) and headers["connection"] == "close"
    chunk = b"x" * 1_000_000
    chunked = f"POST {CHECKPOINT} HTTP/1.1\r\n{host(server)}Transfer-Encoding: chunked\r\n\r\n".encode()
    chunked += b"".join(b"%x\r\n%s\r\n" % (len(chunk), chunk) for _ in range(7)) + b"0\r\n\r\n"
    status, headers, body, _ = exchange(server, chunked)
    assert (status, headers["x-amzn-errortype"]) == (413, "RequestTooLargeException")


def test_bad_percent_encoding_and_bad_query_values(server: DurableHttpServer) -> None:
    status, headers, body, _ = exchange(server, get(server, "/2025-12-01/durable-executions/%FF%FE"))
    assert status == 400 and "percent-encoding" in error(body)
    listing = "/2025-12-01/functions/quick/durable-executions"
    status, headers, body, _ = exchange(server, get(server, f"{listing}?MaxItems=lots"))
    assert status == 400 and headers["x-amzn-errortype"] == "InvalidParameterValueException"
    assert "MaxItems must be an integer" in error(body)
    status, _, body, _ = exchange(server, get(server, f"{listing}?ReverseOrder=maybe"))
    assert status == 400 and "ReverseOrder must be true or false" in error(body)
    status, _, body, _ = exchange(server, get(server, f"{listing}?StartedAfter=yesterday"))
    assert status == 400 and "StartedAfter" in error(body)


def test_incomplete_body_times_out_with_408(server: DurableHttpServer) -> None:
    start = time.monotonic()
    raw = f"POST {CHECKPOINT} HTTP/1.1\r\n{host(server)}Content-Length: 50\r\n\r\n" + '{"a"'
    status, headers, body, _ = exchange(server, raw.encode())
    assert status == 408 and headers["x-amzn-errortype"] == "RequestTimeoutException"
    assert headers["connection"] == "close" and 0.9 < time.monotonic() - start < 3
    assert "not complete within 1 seconds" in error(body)


def test_keep_alive_pipelining_and_connection_close(server: DurableHttpServer) -> None:
    with Conn(server) as conn:
        invoke = post(server, INVOKE.format("quick"), b'{"x": 1}')
        plain = post(server, INVOKE.format("echo"), b'{"y": 2}')
        conn.send(invoke + plain)  # two requests in one write: answered in order
        first, second = conn.read_response(), conn.read_response()
        assert first[0] == 200 and json.loads(first[2]) == {"double": 2}
        assert first[1]["x-amz-durable-execution-arn"].startswith("arn:aws:lambda:us-east-1:")
        assert first[1]["x-amz-executed-version"] == "$LATEST"
        assert second[0] == 200 and json.loads(second[2])["echo"] == {"y": 2}
        assert not conn.closed()  # kept alive
        conn.send(get(server, "/2025-12-01/durable-executions/nope", "Connection: close\r\n"))
        status, headers, _ = conn.read_response()
        assert status == 404 and headers["connection"] == "close"
        assert conn.closed(wait=2)


def test_event_invoke_answers_202_with_the_arn(server: DurableHttpServer) -> None:
    raw = post(server, INVOKE.format("quick"), b"{}", "X-Amz-Invocation-Type: Event\r\n")
    status, headers, body, _ = exchange(server, raw)
    assert status == 202 and body == b""
    assert "/durable-execution/" in headers["x-amz-durable-execution-arn"]


def test_expect_100_continue(server: DurableHttpServer) -> None:
    with Conn(server) as conn:
        body = b'{"x": 4}'
        conn.send(
            f"POST {INVOKE.format('quick')} HTTP/1.1\r\n{host(server)}Content-Length: {len(body)}\r\n"
            "Expect: 100-continue\r\n\r\n".encode()
        )
        assert conn.sock.recv(100) == b"HTTP/1.1 100 Continue\r\n\r\n"
        conn.send(body)
        status, _, answer = conn.read_response()
        assert status == 200 and json.loads(answer) == {"double": 8}


def test_connections_over_the_limit_get_a_typed_429() -> None:
    service = LocalDurableService(skip_time=True)
    server = DurableHttpServer(service, max_connections=3).start_background()
    try:
        held = [Conn(server) for _ in range(3)]
        for conn in held:  # each is served
            conn.send(get(server, "/2025-12-01/durable-executions/nope"))
            assert conn.read_response()[0] == 404
        status, headers, body, closed = exchange(server, get(server, "/2025-12-01/durable-executions/x"))
        assert (status, headers["x-amzn-errortype"]) == (429, "TooManyRequestsException") and closed
        assert "too many open connections" in error(body)
        held.pop().sock.close()
        deadline = time.monotonic() + 5
        while exchange(server, get(server, "/2025-12-01/durable-executions/x"))[0] == 429:
            assert time.monotonic() < deadline, "a freed slot was never reused"
            time.sleep(0.02)
        for conn in held:
            conn.sock.close()
    finally:
        server.close()
        service.close()


def test_route_crash_is_a_500_service_exception_not_a_traceback(
    server: DurableHttpServer, monkeypatch: Any, capsys: Any
) -> None:
    def boom(**kwargs: Any) -> Any:
        raise RuntimeError("disk on fire")

    monkeypatch.setattr(server.service, "get_durable_execution", boom)
    status, headers, body, closed = exchange(server, get(server, "/2025-12-01/durable-executions/any"))
    assert status == 500 and headers["x-amzn-errortype"] == "ServiceException" and not closed
    assert json.loads(body) == {"Type": "Service", "Message": "internal error: RuntimeError: disk on fire"}
    assert b"Traceback" not in body
    assert "Traceback" in capsys.readouterr().err


def test_clients_that_pipeline_without_reading_cannot_grow_memory(server: DurableHttpServer) -> None:
    """8 clients pipeline 7.5 MB of requests each and never read: the server stops reading them (flow
    control) instead of buffering their answers (the hand-written server grew by ~57 MB here)."""
    import psutil

    data = get(server, "/2025-12-01/durable-executions/nope") * 100_000
    process = psutil.Process()
    before = peak = process.memory_info().rss
    socks = [socket.create_connection(("127.0.0.1", server.port)) for _ in range(8)]
    sent = [0] * len(socks)
    for sock in socks:
        sock.setblocking(False)
    deadline = time.monotonic() + 2.5
    try:
        while time.monotonic() < deadline:
            for i, sock in enumerate(socks):
                try:
                    sent[i] += sock.send(data[sent[i] : sent[i] + 65536])
                except BlockingIOError:
                    pass
            peak = max(peak, process.memory_info().rss)
            time.sleep(0.005)
    finally:
        for sock in socks:
            sock.close()
    assert (peak - before) / 2**20 < 25
    assert exchange(server, get(server, "/2025-12-01/durable-executions/nope"))[0] == 404  # still serving
