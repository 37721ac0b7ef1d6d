"""The web page in a real browser: headless Debian Chromium driven by Playwright opens the page,
uploads an image and sees the overlay, the label map and the class areas appear.

Chromium comes from Debian's `chromium` package (.ci/run installs it; `make browser` does here) and
Playwright from the test extra. Where Chromium is not installed the test is skipped and says why.
UNETKIT_SCREENSHOT=path keeps a screenshot of the page with its prediction; UNETKIT_SCREENSHOT_CHECKPOINT
and UNETKIT_SCREENSHOT_IMAGE replace the tiny test model and image (docs/images/serve_page.png was
taken with a DRIVE model and image).
"""
import os
import shutil
import socket
import threading
import time
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
# the flags Chromium needs on a machine without network or display (no background connections)
FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
         "--disable-background-networking", "--disable-component-update", "--disable-sync"]

pytestmark = pytest.mark.skipif(CHROMIUM is None, reason="Debian's chromium is not installed "
                                "(apt-get install chromium; .ci/run does it)")


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture
def server(checkpoint):
    checkpoint = os.environ.get("UNETKIT_SCREENSHOT_CHECKPOINT", checkpoint)
    import uvicorn

    from unetkit.apps.serve import create_app, load_service
    port = _free_port()
    config = uvicorn.Config(create_app(load_service(checkpoint=checkpoint, device="cpu")), host="127.0.0.1",
                            port=port, log_level="warning")
    running = uvicorn.Server(config)
    thread = threading.Thread(target=running.run, daemon=True)
    thread.start()
    deadline = time.time() + 30
    while not running.started and time.time() < deadline:
        time.sleep(0.05)
    assert running.started, "the server did not start"
    yield f"http://127.0.0.1:{port}/"
    running.should_exit = True
    thread.join(10)


def test_upload_shows_the_overlay(server, tmp_path, synthetic_root):
    from playwright.sync_api import sync_playwright
    image = Path(os.environ.get("UNETKIT_SCREENSHOT_IMAGE", next((synthetic_root / "test" / "images").iterdir())))
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=FLAGS)
        page = browser.new_page(viewport={"width": 1300, "height": 900})
        page.goto(server)
        page.wait_for_function("document.getElementById('model').textContent.includes('background')")
        page.set_input_files("#file", str(image))
        page.wait_for_selector("#overlay:not([hidden])", timeout=30_000)
        page.wait_for_selector("#areas:not([hidden])", timeout=30_000)
        page.wait_for_function("document.getElementById('input').complete")
        loaded = page.evaluate("[...document.querySelectorAll('#input, #overlay, #labels')]"
                               ".map(img => img.complete && img.naturalWidth)")
        rows = page.locator("#areas tbody tr").count()
        page.select_option("#camClass", "foreground")
        page.click("#camButton")
        page.wait_for_selector("#cam:not([hidden])", timeout=60_000)
        shot = Path(os.environ.get("UNETKIT_SCREENSHOT", tmp_path / "page.png"))
        page.screenshot(path=str(shot), full_page=True)
        browser.close()
    width = Image.open(image).size[0]
    assert loaded == [width, width, width] and rows == 2
    picture = np.asarray(Image.open(shot).convert("RGB"))
    assert picture.shape[0] > 300 and picture.std() > 10   # a page with pictures, not a blank one


def test_the_page_restricts_a_roi_model_and_shows_the_outline(server, tmp_path):
    """A model trained with ROI masks (the synthetic run's): the page derives the field of view by
    default, and the overlay shows the ROI's yellow outline (issue 31)."""
    from playwright.sync_api import sync_playwright

    from .test_serve import _fundus_like
    image = tmp_path / "fundus.png"
    Image.fromarray(_fundus_like()).save(image)
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=FLAGS)
        page = browser.new_page(viewport={"width": 1300, "height": 900})
        page.goto(server)
        page.wait_for_function("document.getElementById('model').textContent.includes('background')")
        checked = page.is_checked("#roiAuto")
        page.set_input_files("#file", str(image))
        page.wait_for_selector("#areas:not([hidden])", timeout=30_000)
        page.wait_for_function("document.getElementById('overlay').complete")
        status = page.text_content("#status")
        page.locator("#overlay").screenshot(path=str(tmp_path / "overlay.png"))
        browser.close()
    overlay = np.asarray(Image.open(tmp_path / "overlay.png").convert("RGB")).astype(int)
    yellow = (overlay[..., 0] > 220) & (overlay[..., 1] > 180) & (overlay[..., 1] < 235) & (overlay[..., 2] < 40)
    assert checked and "derived field of view" in status
    assert yellow.sum() > 500          # the outline, drawn at 64 px and shown at 400 px
