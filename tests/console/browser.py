"""The console served by a real `ecoplane serve` and driven in Debian's headless Chromium through
Playwright (`executable_path`: Playwright downloads no browser). `make browser` installs Chromium.

`Visit` opens pages and records what would show a broken page: console errors, uncaught script
errors, failed requests and answers of 400 or more.
"""

from __future__ import annotations

import json
import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

from playwright.sync_api import Browser, ConsoleMessage, Page, Request, Response, sync_playwright

from tests.api.conftest import token_entries
from tests.api.server import running_service

ROOT = Path(__file__).resolve().parents[2]
SCREENSHOTS = ROOT / "docs" / "console"  # written only when asked: ECOPLANE_SCREENSHOTS=1
# every request leaves through a proxy that does not exist, except to the service itself
OFFLINE = ["--proxy-server=http://127.0.0.1:9", "--proxy-bypass-list=127.0.0.1"]
WIDE, NARROW = {"width": 1280, "height": 860}, {"width": 390, "height": 844}


def service_env(database_url: str, data_dir: Path, prefix: str) -> dict[str, str]:
    """The service's settings: anonymous reads, the test tokens, the test database as control
    plane and warehouse, and the test's role prefix (its roles are dropped afterwards)."""
    tokens = json.dumps([entry.model_dump() for entry in token_entries()])
    return {
        "ECOPLANE_DATABASE_URL": database_url, "ECOPLANE_WAREHOUSE_URL": database_url,
        "ECOPLANE_ANONYMOUS_READ": "true", "ECOPLANE_DATA_DIR": str(data_dir),
        "ECOPLANE_ROLE_PREFIX": prefix, "ECOPLANE_SECURITY_MARKER": f"{prefix}managed",
        "ECOPLANE_TOKENS": tokens,
    }  # fmt: skip


@dataclass
class Visit:
    """A page of the browser with what went wrong while it was used."""

    page: Page
    problems: list[str] = field(default_factory=list)

    def open(self, url: str) -> Page:
        """Go to a URL and wait until the network is quiet (bounded by Playwright's timeout)."""
        self.page.goto(url, wait_until="networkidle")
        return self.page

    def overflows(self) -> bool:
        """Whether the page is wider than the window (a sideways scroll bar at 390 px)."""
        return bool(
            self.page.evaluate("document.documentElement.scrollWidth > window.innerWidth + 1")
        )


@contextmanager
def chromium() -> Iterator[Browser]:
    """Debian's Chromium, headless, with the outside network blocked."""
    executable = shutil.which("chromium")
    assert executable, "Chromium is missing: `make browser` installs Debian's package"
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=executable, args=["--no-sandbox", "--disable-gpu", *OFFLINE]
        )
        try:
            yield browser
        finally:
            browser.close()


@contextmanager
def visiting(browser: Browser, viewport: dict[str, int]) -> Iterator[Visit]:
    """A fresh browser context at this size, recording the problems of every page it opens."""
    context = browser.new_context(viewport=viewport)  # type: ignore[arg-type]
    context.set_default_timeout(20_000)
    visit = Visit(context.new_page())

    def console(message: ConsoleMessage) -> None:
        if message.type == "error":
            visit.problems.append(f"console error on {visit.page.url}: {message.text}")

    def failed(request: Request) -> None:
        if request.failure == "net::ERR_ABORTED":  # a request still going when the page left
            return
        visit.problems.append(f"request failed: {request.url} ({request.failure})")

    def answered(response: Response) -> None:
        if response.status >= 400:
            visit.problems.append(f"{response.status} for {response.url}")

    visit.page.on("console", console)
    visit.page.on("pageerror", lambda error: visit.problems.append(f"script error: {error}"))
    visit.page.on("requestfailed", failed)
    visit.page.on("response", answered)
    try:
        yield visit
    finally:
        context.close()


@contextmanager
def served_console(database_url: str, tmp_path: Path, prefix: str) -> Iterator[str]:
    """`ecoplane serve` on the test database (its model stored already); yields its base URL."""
    env = service_env(database_url, tmp_path / "data", prefix)
    with running_service(env, tmp_path / "serve.log", ready="/readyz") as base:
        yield base
