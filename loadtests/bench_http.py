"""The HTTP emulator (`durable-mp serve`) under a stock boto3 client: latency, throughput and memory.

Run: python -m loadtests.bench_http [--calls 2000] [--threads 8] [--pipeliners 100] [--depth 500]

Starts `durable-mp serve` in a subprocess (in-memory store, skip-time) with one small durable function and
prints:
- the latency of one small call (GetDurableExecution; median and p99 over --calls sequential calls) and of a
  synchronous Invoke of a one-step durable function (median over 100 calls);
- the throughput of --calls GetDurableExecution calls from one boto3 client, and from --threads threads
  with a client each, and the server's CPU time per call (user + system: steadier than wall time on a
  shared machine);
- the server's resident memory before and at the peak while --pipeliners raw connections each pipeline
  --depth requests without reading the answers for a while, then read them all (none may be lost).
Set DURABLE_MP_SERVE_TOKEN to run against a server that requires a token (the clients then send it).
"""

from __future__ import annotations

import argparse
import os
import re
import socket
import statistics
import subprocess
import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import boto3
import psutil
from botocore.config import Config

from durable_mp import DurableContext, durable_execution

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


@durable_execution
def quick(event: dict[str, Any], context: DurableContext) -> int:
    return context.step(lambda _: 1, name="one")


def start_server() -> tuple[subprocess.Popen[str], str]:
    command = [sys.executable, "-m", "durable_mp.cli", "serve", "--function"]
    command += ["quick=loadtests/bench_http.py:quick", "--port", "0", "--store", "memory", "--skip-time"]
    proc = subprocess.Popen(command, cwd=ROOT, stdout=subprocess.PIPE, text=True)
    line = proc.stdout.readline()  # type: ignore[union-attr]
    found = re.search(r"http://\S+", line)
    if not found:
        proc.kill()
        raise SystemExit(f"durable-mp serve did not start: {line!r}")
    return proc, found.group(0)


def client(url: str) -> Any:
    key = os.environ.get("DURABLE_MP_SERVE_TOKEN", "bench")
    return boto3.client(
        "lambda",
        endpoint_url=url,
        region_name="us-east-1",
        aws_access_key_id=key,
        aws_secret_access_key="bench",
        config=Config(retries={"max_attempts": 1}, max_pool_connections=64),
    )


def cpu_seconds(pid: int) -> float:
    times = psutil.Process(pid).cpu_times()
    return times.user + times.system


def latency(url: str, arn: str, calls: int, pid: int) -> None:
    c = client(url)
    for _ in range(100):
        c.get_durable_execution(DurableExecutionArn=arn)
    cpu = cpu_seconds(pid)
    times = []
    for _ in range(calls):
        start = time.perf_counter()
        c.get_durable_execution(DurableExecutionArn=arn)
        times.append(time.perf_counter() - start)
    cpu = cpu_seconds(pid) - cpu
    times.sort()
    p99 = times[int(len(times) * 0.99) - 1]
    print(
        f"GetDurableExecution latency: median {statistics.median(times) * 1e3:.2f} ms, p99 {p99 * 1e3:.2f} ms"
    )
    print(f"GetDurableExecution x{calls}, 1 client: {calls / sum(times):,.0f} calls/s")
    print(f"server CPU per GetDurableExecution: {cpu / calls * 1e6:.0f} us (user + system)")
    invokes = []
    for _ in range(100):
        start = time.perf_counter()
        reply = c.invoke(FunctionName="quick", Payload=b"{}")
        invokes.append(time.perf_counter() - start)
        assert reply["Payload"].read() == b"1", reply
    print(f"synchronous Invoke (one step) latency: median {statistics.median(invokes) * 1e3:.2f} ms")


def throughput(url: str, arn: str, calls: int, threads: int) -> None:
    clients = [client(url) for _ in range(threads)]
    for c in clients:
        c.get_durable_execution(DurableExecutionArn=arn)

    def work(i: int) -> None:
        c = clients[i]
        for _ in range(calls // threads):
            c.get_durable_execution(DurableExecutionArn=arn)

    start = time.perf_counter()
    with ThreadPoolExecutor(threads) as pool:
        list(pool.map(work, range(threads)))
    elapsed = time.perf_counter() - start
    done = calls // threads * threads
    print(f"GetDurableExecution x{done}, {threads} threads: {done / elapsed:,.0f} calls/s")


def pipelining(url: str, arn: str, pid: int, clients: int, depth: int) -> None:
    host, port = url.removeprefix("http://").rsplit(":", 1)
    path = "/2025-12-01/durable-executions/" + arn.replace(":", "%3A").replace("/", "%2F")
    token = os.environ.get("DURABLE_MP_SERVE_TOKEN")
    auth = f"Authorization: Bearer {token}\r\n" if token else ""
    request = f"GET {path} HTTP/1.1\r\nHost: {host}:{port}\r\n{auth}\r\n".encode()
    proc = psutil.Process(pid)
    before = proc.memory_info().rss
    peak = [before]
    stop = threading.Event()

    def sample() -> None:
        while not stop.is_set():
            peak[0] = max(peak[0], proc.memory_info().rss)
            time.sleep(0.05)

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    socks = [socket.create_connection((host, int(port)), timeout=30) for _ in range(clients)]
    for sock in socks:
        sock.setblocking(False)
    pending = [request * depth for _ in socks]
    deadline = time.monotonic() + 3
    while any(pending) and time.monotonic() < deadline:  # write what the server takes, read nothing
        for i, sock in enumerate(socks):
            if pending[i]:
                try:
                    pending[i] = pending[i][sock.send(pending[i]) :]
                except (BlockingIOError, ConnectionError):
                    pass
        time.sleep(0.01)
    time.sleep(2)
    answered = 0
    for i, sock in enumerate(socks):  # now read everything (finishing the writes) and count the answers
        sock.setblocking(True)
        if pending[i]:
            threading.Thread(target=sock.sendall, args=(pending[i],), daemon=True).start()
        data = b""
        while data.count(b"HTTP/1.1 ") < depth:
            chunk = sock.recv(1 << 20)
            if not chunk:
                break
            data += chunk
        answered += data.count(b"HTTP/1.1 200")
        sock.close()
    stop.set()
    sampler.join()
    print(
        f"{clients} pipelining clients x {depth} requests: server RSS {before / 2**20:.0f} MB before, "
        f"peak {peak[0] / 2**20:.0f} MB; {answered:,} of {clients * depth:,} answered 200"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--calls", type=int, default=2000)
    parser.add_argument("--threads", type=int, default=8)
    parser.add_argument("--pipeliners", type=int, default=100)
    parser.add_argument("--depth", type=int, default=500)
    args = parser.parse_args()
    proc, url = start_server()
    try:
        arn = client(url).invoke(FunctionName="quick", Payload=b"{}")["DurableExecutionArn"]
        latency(url, arn, args.calls, proc.pid)
        throughput(url, arn, args.calls, args.threads)
        pipelining(url, arn, proc.pid, args.pipeliners, args.depth)
    finally:
        proc.terminate()
        proc.wait(10)


if __name__ == "__main__":
    main()
