"""Real server processes on loopback for end-to-end tests."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parents[1]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def wait_ready(url: str, process: subprocess.Popen[str], timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"server exited with {process.returncode}")
        try:
            if httpx.get(url + "/readyz", timeout=1).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.2)
    raise TimeoutError(f"{url} not ready after {timeout}s")


@contextmanager
def qcr_process(
    *args: str, env: dict[str, str] | None = None, log: Path | None = None
) -> Iterator[subprocess.Popen[str]]:
    """`qcr ARGS` as a child process; stdout to `log` (or a pipe), stopped (SIGTERM) at exit."""
    out = open(log, "w") if log else subprocess.PIPE  # noqa: SIM115
    process = subprocess.Popen(
        [sys.executable, "-m", "services.cli.main", *args],
        cwd=ROOT,
        text=True,
        stdout=out,
        stderr=subprocess.STDOUT,
        env={**os.environ, **(env or {})},
    )
    try:
        yield process
    finally:
        if process.poll() is None:
            process.send_signal(signal.SIGTERM)
            try:
                process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
        if log:
            out.close()  # type: ignore[union-attr]


@dataclass(frozen=True)
class DevServices:
    process: subprocess.Popen[str]
    registry: str
    complaints: str
    complaints_port: int


@contextmanager
def dev_services(data_dir: Path, log: Path) -> Iterator[DevServices]:
    """`qcr dev` on two free ports with its data in `data_dir`, both services answering."""
    registry_port, complaints_port = free_port(), free_port()
    ports = ["--registry-port", str(registry_port), "--complaints-port", str(complaints_port)]
    with qcr_process("dev", "--data-dir", str(data_dir), *ports, log=log) as process:
        services = DevServices(
            process,
            f"http://127.0.0.1:{registry_port}",
            f"http://127.0.0.1:{complaints_port}",
            complaints_port,
        )
        wait_ready(services.registry, process)
        wait_ready(services.complaints, process)
        yield services
