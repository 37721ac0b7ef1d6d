"""review.html in a real browser (headless Debian Chromium via Playwright), as report.html is tested:
every embedded image renders and the page has both rankings and the reliability diagram."""
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from unetkit.apps.review import review

from .test_serve_browser import CHROMIUM, FLAGS

pytestmark = pytest.mark.skipif(CHROMIUM is None, reason="Debian's chromium is not installed "
                                "(apt-get install chromium; .ci/run does it)")


def test_review_page_renders_in_chromium(tmp_path, trained_run, synthetic_root):
    from playwright.sync_api import sync_playwright
    result = review(trained_run, top=2, unlabeled=synthetic_root / "test" / "images", out=tmp_path / "review")
    shot = Path(tmp_path / "review.png")
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=FLAGS)
        page = browser.new_page(viewport={"width": 1200, "height": 900})
        page.goto(result.html.resolve().as_uri())
        widths = page.evaluate("[...document.images].map(img => img.complete ? img.naturalWidth : -1)")
        headings = page.evaluate("[...document.querySelectorAll('h2')].map(h => h.textContent)")
        page.screenshot(path=str(shot), full_page=True)
        browser.close()
    assert len(widths) == 5 and all(width > 0 for width in widths), widths
    assert headings == ["Summary", "Suspicious labels", "Calibration", "Label next"]
    picture = np.asarray(Image.open(shot).convert("RGB"))
    assert picture.shape[0] > 900 and picture.std() > 10
