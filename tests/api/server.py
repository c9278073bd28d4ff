"""`ecoplane serve` as a real process on a free loopback port, for the tests that need one."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx


def free_port() -> int:
    """A loopback port nobody listens on."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


@contextmanager
def running_service(
    env: dict[str, str], log: Path, ready: str = "/healthz", unset: tuple[str, ...] = ()
) -> Iterator[str]:
    """Start the service with these environment variables (less `unset`); yield its base URL.

    Waits (bounded: 60 s) until `ready` answers 200; the service's output goes to `log`; the
    service is stopped (SIGTERM) at the end.
    """
    port = free_port()
    with log.open("w") as output:
        server = subprocess.Popen(
            [sys.executable, "-m", "app.cli", "serve", "--port", str(port)],
            env={k: v for k, v in {**os.environ, **env}.items() if k not in unset},
            stdout=output,
            stderr=output,
        )
        base = f"http://127.0.0.1:{port}"
        try:
            for _ in range(600):
                if server.poll() is not None:  # it stopped: no use waiting for it
                    raise AssertionError(f"the service exited: {log.read_text()[-2000:]}")
                try:
                    if httpx.get(f"{base}{ready}", timeout=1).status_code == 200:
                        break
                except httpx.TransportError:
                    pass
                time.sleep(0.1)
            else:
                raise AssertionError(f"the service did not get ready: {log.read_text()[-2000:]}")
            yield base
        finally:
            server.terminate()
            server.wait(timeout=60)
