"""`durable-mp serve --handler-transport http` with a token: the handler runs through its plain Lambda entry and the SDK
checkpoints with its own boto3 client over HTTP to the server (AWS_ENDPOINT_URL_LAMBDA)."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from pathlib import Path

import botocore.exceptions
import pytest

from tests.server.conftest import make_client

ROOT = Path(__file__).resolve().parents[2]
TOKEN = "sdk-over-http-token"


def test_sdk_boto3_path_against_the_server() -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
    env["PYTHONPATH"] = str(ROOT)
    env["DURABLE_MP_SERVE_TOKEN"] = TOKEN  # the SDK's own client inside the server must present it too
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "durable_mp.cli",
            "serve",
            "--function",
            "via_boto=tests/server/handlers.py:via_boto",
            "--port",
            "0",
            "--store",
            "memory",
            "--skip-time",
            "--handler-transport",
            "http",
        ],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        line = proc.stdout.readline()  # type: ignore[union-attr]
        assert line.startswith("durable-mp serving via_boto on http://127.0.0.1:"), line + proc.stderr.read()  # type: ignore[union-attr]
        url = line.rsplit(" ", 1)[1].strip()
        with pytest.raises(botocore.exceptions.ClientError, match="UnrecognizedClientException"):
            make_client(url).get_durable_execution(DurableExecutionArn="x")
        client = make_client(url, key=TOKEN, read_timeout=20)
        reply = client.invoke(FunctionName="via_boto", Payload=b"{}")
        assert reply["StatusCode"] == 200, reply
        assert json.loads(reply["Payload"].read()) == {"total": 10, "endpoint": url}
        events = client.get_durable_execution_history(DurableExecutionArn=reply["DurableExecutionArn"])[
            "Events"
        ]
        kinds = [e["EventType"] for e in events]
        assert kinds.count("StepSucceeded") == 5 and kinds.count("InvocationCompleted") == 2
        assert kinds[-1] == "ExecutionSucceeded"
    finally:
        proc.send_signal(signal.SIGTERM)
        _, err = proc.communicate(timeout=10)
    assert proc.returncode == 0, err
    assert "Traceback" not in err
