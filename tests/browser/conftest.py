"""Real-browser tests: Playwright for Python driving Debian's chromium, never a downloaded browser.

One browser per test session (per xdist worker), a fresh context per test. The chromium binary
comes from CHROMIUM_PATH (default /usr/bin/chromium; `.ci/run` installs it with apt-get).
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

# Older tests imported these from here; new tests import them from tests.browser.pages and
# tests.factories.
from tests.browser.pages import DESKTOP, PHONE, sign_in  # noqa: F401
from tests.factories import finished_videos  # noqa: F401

# Playwright's sync API runs an event loop in the test thread; Django refuses ORM calls from a
# thread with a running loop unless told that this is deliberate.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

CHROMIUM_PATH = os.environ.get("CHROMIUM_PATH") or "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
SCREENSHOTS = Path(__file__).resolve().parents[2] / "test-artifacts" / "screenshots"


@pytest.fixture(scope="session")
def browser():
    if not (Path(CHROMIUM_PATH).is_file() or shutil.which(CHROMIUM_PATH)):
        pytest.skip(f"chromium not found at {CHROMIUM_PATH} (apt-get install chromium, or set CHROMIUM_PATH)")
    sync_api = pytest.importorskip("playwright.sync_api", reason="Playwright for Python is not installed")
    playwright = sync_api.sync_playwright().start()
    try:
        browser = playwright.chromium.launch(executable_path=CHROMIUM_PATH, args=CHROMIUM_ARGS)
    except Exception as error:  # any launch failure means there is no usable browser here
        playwright.stop()
        pytest.skip(f"chromium at {CHROMIUM_PATH} did not start: {error}")
    yield browser
    browser.close()
    playwright.stop()


class ConsoleWatch:
    """Console errors, page errors and CSP violations seen by one page."""

    def __init__(self, page):
        self.problems: list[str] = []
        page.on("console", self._on_console)
        page.on("pageerror", lambda error: self.problems.append(f"page error: {error}"))

    def _on_console(self, message) -> None:
        if message.type == "error" or "Content Security Policy" in message.text:
            where = message.location
            self.problems.append(
                f"console {message.type}: {message.text} ({where.get('url')}:{where.get('lineNumber')})"
            )


@pytest.fixture
def context(browser, live_server):
    context = browser.new_context(base_url=live_server.url, viewport=DESKTOP, locale="en-US")
    context.set_default_timeout(10_000)
    yield context
    context.close()


@pytest.fixture
def page(context):
    page = context.new_page()
    page.console = ConsoleWatch(page)
    return page


@pytest.fixture
def screenshot():
    """Save a full-page screenshot under test-artifacts/screenshots/ (gitignored)."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)

    def take(page, name: str) -> Path:
        path = SCREENSHOTS / f"{name}.png"
        page.screenshot(path=str(path), full_page=True)
        return path

    return take
