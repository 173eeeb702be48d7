"""A gunicorn of the benchmarks: started on a free port, waited for, stopped with its workers.

Shared by bench/rush.py and bench/load/run.py (both run as scripts; each puts this folder or
the project root on sys.path).
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path

import requests


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def no_control_socket(gunicorn: str) -> list[str]:
    """Recent gunicorn listens on a control socket shared by every instance (~/.gunicorn/):
    the option that turns it off, where this gunicorn has it."""
    help_text = subprocess.run(
        [gunicorn, "--help"], capture_output=True, text=True, timeout=30
    ).stdout
    return ["--no-control-socket"] if "--no-control-socket" in help_text else []


@dataclass
class Server:
    process: subprocess.Popen[bytes]
    base_url: str
    log_path: Path


def start(
    command: list[str], *, cwd: Path, env: dict[str, str], port: int, log_path: Path, ready: str
) -> Server:
    """Start gunicorn in a process group of its own, and wait until `ready` answers 200."""
    with log_path.open("ab") as log:
        process = subprocess.Popen(
            command,
            cwd=cwd,
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,  # Its own process group, so stop() reaches the workers.
        )
    server = Server(process, f"http://127.0.0.1:{port}", log_path)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"gunicorn exited with {process.returncode}, see {log_path}")
        try:
            if requests.get(f"{server.base_url}{ready}", timeout=5).status_code == 200:
                return server
        except requests.RequestException:
            pass
        time.sleep(0.2)
    stop(server)
    raise RuntimeError(f"gunicorn did not answer within 60 s, see {log_path}")


def stop(server: Server) -> None:
    process = server.process
    if process.poll() is not None:
        return
    process.send_signal(signal.SIGTERM)  # Graceful: the master stops its workers.
    try:
        process.wait(timeout=30)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)  # The group gunicorn leads: this run's only.
        process.wait(timeout=10)
