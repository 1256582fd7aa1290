"""`history`, `executions` and `callback` with --endpoint: the same commands against a running server."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator

import pytest

from durable_mp.local import LocalDurableService
from durable_mp.local.server import DurableHttpServer
from tests.cli import workflows
from tests.cli.conftest import Cli


@pytest.fixture
def url() -> Iterator[str]:
    service = LocalDurableService(skip_time=True)
    server = DurableHttpServer(service)
    server.register("approval", workflows.approval)
    server.start_background()
    yield server.url
    server.close()
    service.close()


def test_callback_history_and_executions_over_http(cli: Cli, url: str) -> None:
    arn = _start(url)
    code, out, _ = cli("history", arn, "--endpoint", url, "--json", store=False)
    events = json.loads(out)
    [cid] = [e["CallbackStartedDetails"]["CallbackId"] for e in events if e["EventType"] == "CallbackStarted"]
    assert cli("callback", "heartbeat", cid, "--endpoint", url, store=False)[0] == 0
    assert cli("callback", "succeed", cid, "--result", '{"go": 1}', "--endpoint", url, store=False)[0] == 0
    deadline = time.monotonic() + 5
    while time.monotonic() < deadline:
        code, out, _ = cli("executions", "--function", "approval", "--endpoint", url, store=False)
        if "SUCCEEDED" in out:
            break
        time.sleep(0.02)
    assert out.splitlines()[1].split()[:3] == ["remote", "approval", "SUCCEEDED"]
    code, out, _ = cli("history", arn, "--endpoint", url, store=False)
    assert [line.split()[2] for line in out.splitlines()[1:]][-2:] == [
        "InvocationCompleted",
        "ExecutionSucceeded",
    ]
    code, _, err = cli("callback", "succeed", cid, "--endpoint", url, store=False)
    assert code == 2 and "InvalidParameterValueException: callback" in err and len(err.splitlines()) == 1
    code, _, err = cli("history", arn + "x", "--endpoint", url, store=False)
    assert code == 2 and err.startswith("durable-mp history: error: ResourceNotFoundException: ")


def _start(url: str) -> str:
    from tests.server.conftest import make_client

    client = make_client(url)
    arn = client.invoke(
        FunctionName="approval", InvocationType="Event", Payload=b"{}", DurableExecutionName="remote"
    )["DurableExecutionArn"]
    deadline = time.monotonic() + 5
    while time.monotonic() < deadline:
        kinds = [
            e["EventType"] for e in client.get_durable_execution_history(DurableExecutionArn=arn)["Events"]
        ]
        if "CallbackStarted" in kinds:
            return arn
        time.sleep(0.01)
    raise AssertionError("the callback never started")
