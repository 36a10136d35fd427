"""Start ccsync subprocesses (emulators, servers) on loopback and wait for their health URL."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO

import httpx2

# Where the clock of an emulator that tests drive on its own starts (``--clock``); its
# ``/_emulator/reset`` returns there, so seeds, quotas and expiries never see the real date.
# Emulators that a ccsync connector or engine talks to keep the test process's clock instead
# (``CLOCK_ARGS`` not passed): ccsync reads that clock too, and the two must agree.
EMULATOR_START = "2026-06-01T12:00:00+00:00"
CLOCK_ARGS = ("--clock", EMULATOR_START)


def free_port() -> int:
    """A port that was free a moment ago on 127.0.0.1."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass
class Proc:
    """A running ccsync subprocess."""

    popen: subprocess.Popen[str]
    base_url: str
    log_path: Path
    args: list[str] = field(default_factory=list)
    log_file: IO[str] | None = None

    def stop(self) -> None:
        """Terminate (then kill) the process."""
        if self.popen.poll() is None:
            self.popen.send_signal(signal.SIGTERM)
            try:
                self.popen.wait(10)
            except subprocess.TimeoutExpired:
                self.popen.kill()
                self.popen.wait(10)
        if self.log_file is not None and not self.log_file.closed:
            self.log_file.close()

    def log(self) -> str:
        """Everything the process printed so far."""
        return self.log_path.read_text(errors="replace")


def wait_healthy(
    url: str, popen: subprocess.Popen[str], log_path: Path, timeout: float = 30
) -> None:
    """Poll ``url`` until it answers 200, the process dies, or ``timeout`` passes."""
    deadline = time.monotonic() + timeout
    with httpx2.Client(timeout=2) as client:
        while time.monotonic() < deadline:
            if popen.poll() is not None:
                raise RuntimeError(f"process exited early:\n{log_path.read_text()}")
            try:
                if client.get(url).status_code == 200:
                    return
            except httpx2.TransportError:
                pass
            time.sleep(0.05)  # polling interval of the health check, not a wait for a server
    raise TimeoutError(f"{url} not healthy after {timeout}s:\n{log_path.read_text()}")


def start_ccsync(
    args: Sequence[str],
    tmp_path: Path,
    *,
    health_path: str = "/_emulator/health",
    port: int | None = None,
    env: dict[str, str] | None = None,
    name: str = "proc",
) -> Proc:
    """Run ``python -m ccsync <args> --port <free>`` and wait until it is healthy."""
    port = port or free_port()
    log_path = tmp_path / f"{name}-{port}.log"
    full = [sys.executable, "-m", "ccsync", *args, "--host", "127.0.0.1", "--port", str(port)]
    penv = {**os.environ, **(env or {})}
    logf = log_path.open("w")
    popen = subprocess.Popen(full, stdout=logf, stderr=subprocess.STDOUT, text=True, env=penv)
    base_url = f"http://127.0.0.1:{port}"
    try:
        wait_healthy(base_url + health_path, popen, log_path)
    except Exception:
        popen.kill()
        popen.wait(10)
        logf.close()
        raise
    return Proc(popen, base_url, log_path, list(full), logf)
