"""Debian's Chromium (``/usr/bin/chromium``, or ``$CHROMIUM_PATH``) for the real-browser tests."""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from tests.missing_part import missing

CHROMIUM = Path(os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium"))
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


@contextlib.contextmanager
def chromium(test: str = "the review page test") -> Iterator[Any]:
    """A launched headless Chromium (a Playwright Browser), closed afterwards; ``missing`` without it."""
    if not CHROMIUM.is_file():
        missing(f"{CHROMIUM} is missing: {test} needs Debian's chromium package")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            yield browser
        finally:
            browser.close()
