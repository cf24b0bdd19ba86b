"""A real Chromium for the admin's browser tests (Debian's `chromium` and
`chromium-driver`; nothing downloads a browser of its own), and full-page screenshots."""

from __future__ import annotations

import base64
import os
import tempfile
from pathlib import Path

CHROMIUM = os.environ.get("CHROMIUM_BINARY", "/usr/bin/chromium")
CHROMEDRIVER = os.environ.get("CHROMEDRIVER", "/usr/bin/chromedriver")
ROOT = Path(__file__).resolve().parents[2]
# Flags for a headless browser in a closed network: no background calls home.
FLAGS = ["--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
         "--disable-quic", "--no-first-run", "--disable-background-networking",
         "--disable-component-update", "--disable-sync", "--window-size=1400,1000"]  # fmt: skip


def start_chromium() -> object:
    from selenium import webdriver
    from selenium.webdriver.chrome.options import Options
    from selenium.webdriver.chrome.service import Service

    options = Options()
    options.binary_location = CHROMIUM
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})  # CSP violations
    for flag in [*FLAGS, f"--user-data-dir={tempfile.mkdtemp(prefix='bb-chromium-')}"]:
        options.add_argument(flag)
    driver = webdriver.Chrome(service=Service(CHROMEDRIVER), options=options)
    driver.implicitly_wait(0)
    return driver


def screenshot_dir() -> Path:
    folder = Path(os.environ.get("SCREENSHOT_DIR", ROOT / "var" / "screenshots"))
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def full_page_screenshot(driver: object, name: str) -> Path:
    """The whole page, not just the window (Chrome's DevTools capture beyond the
    viewport), as `<SCREENSHOT_DIR>/<name>.png`."""
    size = driver.execute_cdp_cmd("Page.getLayoutMetrics", {})["cssContentSize"]
    shot = driver.execute_cdp_cmd("Page.captureScreenshot", {
        "format": "png", "captureBeyondViewport": True,
        "clip": {"x": 0, "y": 0, "width": size["width"], "height": size["height"], "scale": 1},
    })  # fmt: skip
    path = screenshot_dir() / f"{name}.png"
    path.write_bytes(base64.b64decode(shot["data"]))
    return path
