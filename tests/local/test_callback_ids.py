"""Callback ids use the service's alphabet (standard base64) and never start with '-'."""

from __future__ import annotations

import base64
import re

import pytest

from durable_mp.local import checkpoints, ids

_SHAPE = re.compile(r"[A-Za-z0-9+/]{32}")


def test_generated_callback_ids_have_the_service_shape() -> None:
    generated = [ids.callback_id() for _ in range(20_000)]
    assert all(_SHAPE.fullmatch(cid) for cid in generated)
    assert not any(cid.startswith("-") for cid in generated)
    assert len(set(generated)) == len(generated)
    assert all(len(base64.b64decode(cid, validate=True)) == 24 for cid in generated[:500])
    alphabet = set("".join(generated))
    assert "+" in alphabet and "/" in alphabet and "-" not in alphabet and "_" not in alphabet


def test_an_id_with_slash_and_plus_works_over_http(monkeypatch: pytest.MonkeyPatch) -> None:
    """boto3 percent-encodes the id in the URL path; the server must route and decode it whole."""
    from durable_mp.local import LocalDurableService
    from durable_mp.local.server import DurableHttpServer
    from tests.server import handlers
    from tests.server.conftest import make_client
    from tests.server.test_boto3 import callback_id, start, wait_status

    monkeypatch.setattr(checkpoints, "callback_id", lambda: "ab/+cd" + ids.callback_id()[6:])
    service = LocalDurableService(skip_time=True)
    srv = DurableHttpServer(service, request_timeout=1.0)
    srv.register("approval", handlers.approval)
    srv.start_background()
    try:
        client = make_client(srv.url)
        arn = start(client, "approval")
        cid = callback_id(client, arn)
        assert cid.startswith("ab/+cd")
        client.send_durable_execution_callback_heartbeat(CallbackId=cid)
        client.send_durable_execution_callback_success(CallbackId=cid, Result=b'"yes"')
        assert wait_status(client, arn)["Status"] == "SUCCEEDED"
    finally:
        srv.close()
        service.close()
