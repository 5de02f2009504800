"""Real headless Chromium (Debian's package, driven by Playwright) against the real app on loopback.

Playwright's own browser download is not used: CI and the Debian machines get Chromium from apt
(scripts/test installs it as root), so there is one browser build to keep patched.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page, ViewportSize, sync_playwright

from gatewatch.store import Role
from tests.api.conftest import RunningApp, make_app, sample_config  # noqa: F401  (fixture shared with the API tests)
from tests.assets import REPO

CHROMIUM = Path(os.environ.get("GATEWATCH_CHROMIUM", "/usr/bin/chromium"))
ARTIFACTS = REPO / "out" / "test-artifacts"
FULL_HD: ViewportSize = {"width": 1920, "height": 1080}


@pytest.fixture(scope="session")
def browser() -> Iterator[Browser]:
    assert CHROMIUM.exists(), f"{CHROMIUM} not found: apt-get install chromium (scripts/test does it as root)"
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=str(CHROMIUM),
            # Chromium will not run as root with its sandbox (CI containers run as root, and containers
            # often lack the user namespaces it needs otherwise); the pages it loads here are our own
            # console on loopback, never the open web.
            # The autoplay flag lets the weapon beep start without a real user's gesture.
            args=["--no-sandbox", "--autoplay-policy=no-user-gesture-required"],
        )
        yield browser
        browser.close()


@dataclass
class Console:
    app: RunningApp
    page: Page
    errors: list[str] = field(default_factory=list)  # uncaught script errors on the page

    def url(self, route: str = "#/") -> str:
        return f"{self.app.base_url}/{route}"

    def shot(self, name: str) -> Path:
        ARTIFACTS.mkdir(parents=True, exist_ok=True)
        path = ARTIFACTS / f"{name}.png"
        self.page.screenshot(path=path)
        return path


@pytest.fixture
def open_console(browser: Browser) -> Iterator[Callable[..., Console]]:
    """open_console(app, role) -> the console in a fresh browser context, logged in through the login form
    with the app's key of ``role`` (role None: not logged in)."""
    contexts = []

    def start(app: RunningApp, role: Role | None = "operator", *, viewport: ViewportSize = FULL_HD) -> Console:
        # The browser's own zone differs from the site's (settings.timezone, Asia/Shanghai by default), so
        # the tests see whether times are shown in the site's zone as the security room expects.
        context = browser.new_context(viewport=viewport, locale="en-US", timezone_id="America/New_York")
        contexts.append(context)
        # A blocked load or inline script under the console's Content-Security-Policy fails the test like
        # any uncaught error (it would break the page in production too).
        context.add_init_script(
            "document.addEventListener('securitypolicyviolation', (e) => setTimeout(() => {"
            " throw new Error(`CSP violation: ${e.violatedDirective} ${e.blockedURI}`); }));"
        )
        page = context.new_page()
        console = Console(app, page)
        page.on("pageerror", lambda exc: console.errors.append(str(exc)))
        page.goto(f"{app.base_url}/")
        if role is not None:
            page.fill("input[name=key]", app.key(role))
            page.click("form.login button[type=submit]")
            page.wait_for_selector(f".who[data-role='{role}']")
        return console

    yield start
    for context in contexts:
        context.close()
