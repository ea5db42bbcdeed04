"""Servers and load for the benchmark: uvicorn processes and wrk (Debian's package) in their own processes."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parents[1]
WORKERS = 2


def ensure_wrk() -> str:
    found = shutil.which("wrk")
    if found:
        return found
    subprocess.run(["apt-get", "install", "-y", "-qq", "wrk"], check=False, capture_output=True)
    found = shutil.which("wrk")
    if not found:
        subprocess.run(["apt-get", "update", "-qq"], check=False, capture_output=True)
        subprocess.run(["apt-get", "install", "-y", "-qq", "wrk"], check=True, capture_output=True)
        found = shutil.which("wrk")
    assert found, "wrk could not be installed"
    return found


def free_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class Served(str):
    """A server's base URL, with the process id of its uvicorn supervisor."""

    pid: int


@contextmanager
def server(app: str, env: dict[str, str], log: Path) -> Iterator[Served]:
    port = free_port()
    with log.open("w") as fh:
        process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "uvicorn",
                app,
                "--host",
                "127.0.0.1",
                "--port",
                str(port),
                "--workers",
                str(WORKERS),
                "--loop",
                "uvloop",
                "--http",
                "httptools",
                "--no-access-log",
                "--log-level",
                "warning",
            ],
            cwd=ROOT,
            env={**os.environ, **env},
            stdout=fh,
            stderr=subprocess.STDOUT,
        )
        url = Served(f"http://127.0.0.1:{port}")
        url.pid = process.pid
        try:
            deadline = time.monotonic() + 60
            while True:
                try:
                    if httpx.get(url + "/v1/enterprises?limit=1", timeout=1).status_code < 500:
                        break
                except httpx.HTTPError:
                    pass
                if time.monotonic() > deadline or process.poll() is not None:
                    raise RuntimeError(f"{app} did not start; see {log}")
                time.sleep(0.2)
            yield url
        finally:
            process.terminate()
            process.wait(30)


def wrk(url: str, scenario: str, *, connections: int, duration: int, env: dict[str, str]) -> dict[str, float]:
    command = [
        "wrk",
        "-t",
        str(min(2, connections)),
        "-c",
        str(connections),
        "-d",
        f"{duration}s",
        "--timeout",
        "10s",
        "-s",
        str(ROOT / "bench" / "wrk.lua"),
        url,
    ]
    result = subprocess.run(
        command, text=True, capture_output=True, check=True, env={**os.environ, "SCENARIO": scenario, **env}
    )
    line = next(x for x in result.stdout.splitlines() if x.startswith("WRKJSON "))
    data = json.loads(line.removeprefix("WRKJSON "))
    return {
        "rps": data["requests"] / (data["duration_us"] / 1e6),
        "p50_ms": data["p50_us"] / 1000,
        "p99_ms": data["p99_us"] / 1000,
        "errors": data["errors"],
        "requests": data["requests"],
    }
