"""Fixtures: a skip-time local service served over HTTP on a free loopback port, and a stock boto3 client."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import boto3
import pytest
from botocore.config import Config

from durable_mp.local import LocalDurableService
from durable_mp.local.server import DurableHttpServer
from tests.server import handlers


@pytest.fixture
def gate() -> handlers.Gate:
    return handlers.Gate()


@pytest.fixture
def server(gate: handlers.Gate) -> Iterator[DurableHttpServer]:
    service = LocalDurableService(skip_time=True, retry_backoff=0.01)
    srv = DurableHttpServer(service, request_timeout=1.0)
    for name in ("quick", "approval", "napper", "failing", "echo"):
        srv.register(name, getattr(handlers, name))
    srv.register("gate", gate)
    srv.start_background()
    yield srv
    srv.close()
    service.close()
    assert service.timer_errors == []


def make_client(url: str, *, key: str = "x", **config: Any) -> Any:
    """A stock boto3 `lambda` client for `url`; `key` (the access key id) carries a server's token."""
    return boto3.client(
        "lambda",
        endpoint_url=url,
        region_name="us-east-1",
        aws_access_key_id=key,
        aws_secret_access_key="x",
        config=Config(retries={"max_attempts": 1}, **config),
    )


@pytest.fixture
def client(server: DurableHttpServer) -> Any:
    return make_client(server.url)
