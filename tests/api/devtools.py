"""A page of headless Chromium driven over the DevTools protocol (a websocket), for the tests
that click in Swagger UI: evaluate a script in the page, take a screenshot."""

from __future__ import annotations

import base64
import itertools
import json
import shutil
import subprocess
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx
from websockets.sync.client import ClientConnection, connect

# every request leaves through a proxy that does not exist, except to the service itself
OFFLINE = ["--proxy-server=http://127.0.0.1:9", "--proxy-bypass-list=127.0.0.1"]
FLAGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
    "--window-size=1280,2400", *OFFLINE,
]  # fmt: skip


def chromium() -> str:
    """Chromium's executable (Debian's package: `make browser`)."""
    found = shutil.which("chromium") or shutil.which("chromium-browser")
    assert found, "Chromium is missing: `make browser` installs Debian's package"
    return found


class Page:
    """One tab: scripts evaluated in it (awaited), screenshots of it."""

    def __init__(self, socket: ClientConnection) -> None:
        self.socket = socket
        self.ids = itertools.count(1)

    def call(self, method: str, **params: Any) -> dict[str, Any]:
        """Send one DevTools command and return its result (events meanwhile are skipped)."""
        number = next(self.ids)
        self.socket.send(json.dumps({"id": number, "method": method, "params": params}))
        while True:
            message = json.loads(self.socket.recv(timeout=60))
            if message.get("id") == number:
                if "error" in message:
                    raise AssertionError(f"{method}: {message['error']}")
                result: dict[str, Any] = message["result"]
                return result

    def evaluate(self, script: str) -> Any:
        """The value of an expression (a promise is awaited); a thrown error fails the test."""
        answer = self.call(
            "Runtime.evaluate", expression=script, awaitPromise=True, returnByValue=True
        )
        if "exceptionDetails" in answer:
            raise AssertionError(answer["exceptionDetails"].get("exception", answer))
        return answer["result"].get("value")

    def loaded(self, url: str) -> None:
        """Wait (bounded: 30 s) until the document of `url` has loaded (not the blank one before)."""
        for _ in range(300):
            try:
                shown = self.evaluate("document.readyState === 'complete' && location.href")
                if isinstance(shown, str) and shown.startswith(url):
                    return
            except AssertionError:  # the context was replaced by the page's own navigation
                pass
            time.sleep(0.1)
        raise AssertionError("the page did not load")

    def screenshot(self, path: Path) -> None:
        """A PNG of the whole page."""
        shot = self.call("Page.captureScreenshot", format="png", captureBeyondViewport=True)
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(base64.b64decode(shot["data"]))


@contextmanager
def opened(url: str, profile: Path) -> Iterator[Page]:
    """Chromium showing `url`, driven over DevTools; stopped (by its PID) at the end."""
    browser = subprocess.Popen(
        [chromium(), *FLAGS, f"--user-data-dir={profile}", "--remote-debugging-port=0", url],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        port = _devtools_port(profile / "DevToolsActivePort")
        with connect(_page_socket(port, url), max_size=None, open_timeout=30) as socket:
            page = Page(socket)
            page.loaded(url)
            yield page
    finally:
        browser.terminate()
        browser.wait(timeout=30)


def _devtools_port(announced: Path) -> int:
    """The port Chromium announces in its profile (bounded wait: 30 s)."""
    for _ in range(300):
        if announced.exists() and announced.read_text().strip():
            return int(announced.read_text().splitlines()[0])
        time.sleep(0.1)
    raise AssertionError("Chromium did not open its DevTools port")


def _page_socket(port: int, url: str) -> str:
    """The DevTools websocket of the tab showing `url` (bounded wait: 30 s)."""
    for _ in range(300):
        pages = httpx.get(f"http://127.0.0.1:{port}/json/list", timeout=5).json()
        for page in pages:
            if page.get("type") == "page" and page.get("url", "").startswith(url):
                found: str = page["webSocketDebuggerUrl"]
                return found
        time.sleep(0.1)
    raise AssertionError(f"Chromium shows no tab of {url}")
