"""The API documents in a browser with no internet (issue 13, item 9).

A registry office's network may reach nothing outside it. Swagger UI and
ReDoc came from a CDN, so /docs was a blank page there. Every request that
leaves 127.0.0.1 is aborted here, and the pages must still render the API's
operations, with nothing left trying to get out.
"""

from __future__ import annotations

from collections.abc import Iterator
from urllib.parse import urlsplit

import pytest
from playwright.sync_api import Browser, BrowserContext, Route, expect

from tests.web.conftest import Site, shot

REDOC_LOGO = "https://cdn.redoc.ly/redoc/logo-mini.svg"


@pytest.fixture
def offline(browser: Browser) -> Iterator[tuple[BrowserContext, list[str]]]:
    """A browser context that can reach the test server and nothing else."""
    ctx = browser.new_context(viewport={"width": 1280, "height": 900})
    blocked: list[str] = []

    def only_local(route: Route) -> None:
        if urlsplit(route.request.url).hostname in ("127.0.0.1", "localhost"):
            route.continue_()
        else:
            blocked.append(route.request.url)
            route.abort("internetdisconnected")

    ctx.route("**/*", only_local)
    yield ctx, blocked
    ctx.close()


def test_swagger_ui_renders_the_operations_offline(
        site: Site, offline: tuple[BrowserContext, list[str]]) -> None:
    ctx, blocked = offline
    page = ctx.new_page()
    page.goto(site.url + "/docs")
    operations = page.locator(".opblock")
    expect(operations.first).to_be_visible(timeout=20_000)
    assert operations.count() > 10
    expect(page.locator(".opblock-summary-path", has_text="/api/v1/persons/{pesel}").first
           ).to_be_visible()
    shot(page, "api-docs-offline")
    assert blocked == []


def test_redoc_renders_the_operations_offline(
        site: Site, offline: tuple[BrowserContext, list[str]]) -> None:
    ctx, blocked = offline
    page = ctx.new_page()
    page.goto(site.url + "/redoc")
    expect(page.get_by_role("menuitem", name="persons")).to_be_visible(timeout=20_000)
    expect(page.locator("h2", has_text="Search by name or PESEL")).to_be_visible()
    shot(page, "api-redoc-offline")
    # ReDoc's bundle links its own "powered by" logo from its makers' site; that image is
    # all that is missing offline, and nothing else may try to leave.
    assert [url for url in blocked if url != REDOC_LOGO] == []
