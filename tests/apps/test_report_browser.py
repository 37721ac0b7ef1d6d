"""report.html in a real browser (headless Debian Chromium via Playwright): every embedded image
renders and the page has its sections. Skipped, saying why, only where Chromium is not installed.
UNETKIT_REPORT_SCREENSHOT=path keeps the screenshot (docs/images/report_page.png was taken so)."""
import os
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from unetkit.apps.report import write_run_report

from .test_serve_browser import CHROMIUM, FLAGS

pytestmark = pytest.mark.skipif(CHROMIUM is None, reason="Debian's chromium is not installed "
                                "(apt-get install chromium; .ci/run does it)")


def test_report_renders_in_chromium(tmp_path, trained_run):
    from playwright.sync_api import sync_playwright
    report = write_run_report(os.environ.get("UNETKIT_REPORT_RUN", trained_run), "test", out=tmp_path / "report",
                              device="cpu")
    shot = Path(os.environ.get("UNETKIT_REPORT_SCREENSHOT", tmp_path / "report.png"))
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=FLAGS)
        page = browser.new_page(viewport={"width": 1200, "height": 900})
        page.goto(report.html.resolve().as_uri())
        widths = page.evaluate("[...document.images].map(img => img.complete ? img.naturalWidth : -1)")
        headings = page.evaluate("[...document.querySelectorAll('h2')].map(h => h.textContent)")
        page.screenshot(path=str(shot), full_page=True)
        browser.close()
    assert len(widths) == len(report.images) and all(width > 0 for width in widths), widths
    assert headings == report.sections
    picture = np.asarray(Image.open(shot).convert("RGB"))
    assert picture.shape[0] > 900 and picture.std() > 10   # a long page with figures, not a blank one
