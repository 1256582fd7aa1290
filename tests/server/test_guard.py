"""Who may talk to the emulator: Host (DNS rebinding), Origin (web pages), the shared token, the bind address."""

from __future__ import annotations

import argparse
import json
from collections.abc import Iterator
from typing import Any

import botocore.exceptions
import pytest

from durable_mp.cli import main
from durable_mp.cli.serve import _address_and_token
from durable_mp.local import LocalDurableService
from durable_mp.local.guard import bind_address, check_token
from durable_mp.local.server import DurableHttpServer
from tests.server import handlers
from tests.server.conftest import make_client
from tests.server.test_protocol import exchange

TOKEN = "t0ken-for-the-tests-only"
INVOKE = "/2015-03-31/functions/quick/invocations"
MISSING = "/2025-12-01/durable-executions/nope"


def raw(method: str, path: str, headers: str, body: bytes = b"") -> bytes:
    return f"{method} {path} HTTP/1.1\r\n{headers}Content-Length: {len(body)}\r\n\r\n".encode() + body


def code_of(body: bytes) -> str:
    return json.loads(body).get("Message", "")


def test_only_the_loopback_host_names_are_served(server: DurableHttpServer) -> None:
    port = server.port
    for name in ("127.0.0.1", "localhost", "LOCALHOST", "[::1]"):
        status, headers, _, _ = exchange(server, raw("GET", MISSING, f"Host: {name}:{port}\r\n"))
        assert (status, headers["x-amzn-errortype"]) == (404, "ResourceNotFoundException"), name
    for bad in (f"Host: rebound.example:{port}\r\n", "Host: 127.0.0.1:1\r\n", "Host: 127.0.0.1\r\n"):
        status, headers, body, _ = exchange(server, raw("GET", MISSING, bad))
        assert (status, headers["x-amzn-errortype"]) == (403, "AccessDeniedException"), bad
        assert "is not this server's address" in code_of(body)
    assert exchange(server, raw("GET", MISSING, ""))[0] == 400  # no Host at all: aiohttp refuses it


def test_cross_origin_requests_are_refused_before_running_anything(server: DurableHttpServer) -> None:
    host = f"Host: 127.0.0.1:{server.port}\r\n"
    simple = host + "Origin: http://evil.example\r\nContent-Type: text/plain\r\n"  # a CORS simple request
    status, headers, body, _ = exchange(server, raw("POST", INVOKE, simple, b'{"x": 1}'))
    assert (status, headers["x-amzn-errortype"]) == (403, "AccessDeniedException")
    assert "cross-origin requests are refused" in code_of(body)
    for extra in (
        "Origin: null\r\n",
        f"Origin: http://localhost:{server.port}\r\n",
        "Sec-Fetch-Site: cross-site\r\n",
    ):
        status, _, _, _ = exchange(server, raw("POST", INVOKE, host + extra, b"{}"))
        assert status == 403, extra
    listed = server.service.list_durable_executions_by_function(FunctionName="quick")
    assert listed["DurableExecutions"] == []  # the handler never ran
    same = host + f"Origin: http://127.0.0.1:{server.port}\r\nSec-Fetch-Site: same-origin\r\n"
    status, _, body, _ = exchange(server, raw("POST", INVOKE, same, b'{"x": 1}'))
    assert status == 200 and json.loads(body) == {"double": 2}


@pytest.fixture
def guarded() -> Iterator[DurableHttpServer]:
    service = LocalDurableService(skip_time=True)
    server = DurableHttpServer(service, token=TOKEN)
    server.register("quick", handlers.quick)
    server.start_background()
    yield server
    server.close()
    service.close()


def test_a_token_server_answers_only_requests_carrying_the_token(guarded: DurableHttpServer) -> None:
    ok = make_client(guarded.url, key=TOKEN)
    assert json.loads(ok.invoke(FunctionName="quick", Payload=b'{"x": 2}')["Payload"].read()) == {"double": 4}
    for key in ("x", TOKEN + "x", TOKEN[:-1]):
        with pytest.raises(botocore.exceptions.ClientError) as caught:
            make_client(guarded.url, key=key).invoke(FunctionName="quick", Payload=b"{}")
        assert caught.value.response["Error"]["Code"] == "UnrecognizedClientException"
    host = f"Host: 127.0.0.1:{guarded.port}\r\n"
    assert exchange(guarded, raw("GET", MISSING, host))[0] == 403
    assert exchange(guarded, raw("GET", MISSING, host + f"Authorization: Bearer {TOKEN}\r\n"))[0] == 404
    assert (
        exchange(guarded, raw("GET", MISSING, f"Host: evil:1\r\nAuthorization: Bearer {TOKEN}\r\n"))[0] == 403
    )


def test_bind_address_and_token_validation() -> None:
    assert bind_address("127.0.0.1") == "127.0.0.1" and bind_address("[::1]") == "::1"
    assert bind_address("localhost") == "127.0.0.1"
    for garbage in ("", "not a host", "300.1.1.1", "example.com", "127.0.0.1:80"):
        with pytest.raises(ValueError, match="is not an IP address"):
            bind_address(garbage)
    for bad in ("short", "has space in it here", "x" * 129, "slash/in/the/token/"):
        with pytest.raises(ValueError, match="16 to 128 characters"):
            check_token(bad)
    with pytest.raises(ValueError, match="requires a token"):
        DurableHttpServer(object(), host="0.0.0.0")


def _args(**kw: Any) -> argparse.Namespace:
    return argparse.Namespace(**{"host": "127.0.0.1", "token": None, **kw})


def test_serve_refuses_an_open_address_without_a_token(capsys: Any, monkeypatch: Any) -> None:
    monkeypatch.delenv("DURABLE_MP_SERVE_TOKEN", raising=False)
    for argv, words in (
        (["--host", "0.0.0.0"], "is not a loopback address"),
        (["--host", "my laptop"], "--host 'my laptop' is not an IP address"),
        (["--token", "short"], "--token: the token must be 16 to 128 characters"),
    ):
        assert main(["serve", "--function", "q=tests/server/handlers.py:quick", *argv]) == 2
        err = capsys.readouterr().err
        assert words in err and len(err.splitlines()) == 1, err
    monkeypatch.setenv("DURABLE_MP_SERVE_TOKEN", TOKEN)
    assert _address_and_token(_args()) == ("127.0.0.1", TOKEN)
    assert capsys.readouterr().err == ""
    assert _address_and_token(_args(host="0.0.0.0")) == ("0.0.0.0", TOKEN)
    assert "warning: serving on 0.0.0.0, reachable from other machines" in capsys.readouterr().err
    assert _address_and_token(_args(host="::", token=TOKEN + "2")) == ("::", TOKEN + "2")


def test_cli_endpoint_commands_send_the_token_from_the_environment(
    guarded: DurableHttpServer, capsys: Any, monkeypatch: Any
) -> None:
    monkeypatch.delenv("DURABLE_MP_SERVE_TOKEN", raising=False)
    assert main(["executions", "--function", "quick", "--endpoint", guarded.url]) == 2
    assert "UnrecognizedClientException" in capsys.readouterr().err
    monkeypatch.setenv("DURABLE_MP_SERVE_TOKEN", TOKEN)
    assert main(["executions", "--function", "quick", "--endpoint", guarded.url]) == 0


def test_serve_without_aiohttp_says_which_extra_to_install(capsys: Any, monkeypatch: Any) -> None:
    import sys

    monkeypatch.delitem(sys.modules, "durable_mp.local.server")  # imported afresh, as if aiohttp were absent
    monkeypatch.setitem(sys.modules, "aiohttp", None)
    assert main(["serve", "--function", "q=tests/server/handlers.py:quick"]) == 2
    assert "pip install 'durable-mp[local]'" in capsys.readouterr().err
