"""Label Studio's own editor, in headless Debian Chromium (Playwright), showing a unetkit pre-annotation: the
task opened after the backend's prediction shows the model's brush in the label's colour over the image.
UNETKIT_SCREENSHOT=path keeps the screenshot; UNETKIT_SCREENSHOT_CHECKPOINT and UNETKIT_SCREENSHOT_IMAGE (a PNG or
JPEG: browsers do not show TIFF) replace the tiny test model and image (docs/images/label_studio_editor.png was
taken with a DRIVE model and image)."""
from __future__ import annotations

import os
import shutil
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from unetkit.apps.label_studio.backend import LabelStudioBackend, served_model
from unetkit.apps.label_studio.connection import LabelStudio

from ...conftest import disk_sample
from .server import PASSWORD, USER, start_backend

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
         "--disable-background-networking", "--disable-component-update", "--disable-sync"]


COLOURS = ("#ff0000", "#00c8ff", "#ffd000", "#30e030", "#ff00ff")   # the first class red: the test looks for it


def brush_config(class_names: list[str]) -> str:
    labels = "".join(f'<Label value="{name}" background="{COLOURS[i % len(COLOURS)]}"/>'
                     for i, name in enumerate(class_names[1:]))
    return (f'<View><Image name="image" value="$image" zoom="true"/><BrushLabels name="tag" toName="image">{labels}'
            f'</BrushLabels></View>')

pytestmark = pytest.mark.skipif(CHROMIUM is None, reason="Debian's chromium is not installed "
                                "(apt-get install chromium; .ci/run does it)")


def test_the_editor_shows_the_models_brush(label_studio, disk_checkpoint, tmp_path):
    from playwright.sync_api import sync_playwright
    image, _ = disk_sample(21, size=256)
    picture_file = Path(os.environ.get("UNETKIT_SCREENSHOT_IMAGE", tmp_path / "disk.png"))
    if "UNETKIT_SCREENSHOT_IMAGE" not in os.environ:
        Image.fromarray(image).save(picture_file)
    checkpoint = os.environ.get("UNETKIT_SCREENSHOT_CHECKPOINT", str(disk_checkpoint))
    backend = LabelStudioBackend(served_model(checkpoint, device="cpu"), LabelStudio(), tmp_path / "work")
    url, stop = start_backend(backend)
    try:
        config = brush_config(backend.model.predictor.class_names)
        project = label_studio.api("POST", "/api/projects", json={"title": "unetkit editor", "label_config": config,
                                                                  "show_collab_predictions": True}).json()
        label_studio.api("POST", f"/api/projects/{project['id']}/import",
                         files=[("file", (picture_file.name, picture_file.read_bytes(), "image/png"))])
        label_studio.api("POST", "/api/ml", json={"url": url, "project": project["id"], "title": "unetkit"})
        label_studio.api("POST", "/api/dm/actions", params={"id": "retrieve_tasks_predictions", "project": project["id"]},
                         json={"selectedItems": {"all": True, "excluded": []}})
        # the predictions that pre-fill the editor: the backend's version (Settings > Annotation > Prelabeling)
        label_studio.api("PATCH", f"/api/projects/{project['id']}", json={"model_version": backend.model.version})
        (task,) = label_studio.api("GET", "/api/tasks", params={"project": project["id"]}).json()["tasks"]
        assert task["total_predictions"] == 1
        shot = Path(os.environ.get("UNETKIT_SCREENSHOT", tmp_path / "editor.png"))
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path=CHROMIUM, args=FLAGS)
            page = browser.new_page(viewport={"width": 1280, "height": 800})
            page.goto(f"{label_studio.url}/user/login/")
            page.fill("input[name=email]", USER)
            page.fill("input[name=password]", PASSWORD)
            page.click("button[type=submit]")
            page.wait_for_load_state("networkidle")
            assert "/user/login" not in page.url, "the login was refused"
            page.goto(f"{label_studio.url}/projects/{project['id']}/data?task={task['id']}")
            page.wait_for_selector("canvas", timeout=90_000)
            page.wait_for_timeout(5000)   # the brush layer is drawn after the image
            shown = page.inner_text("body")
            page.screenshot(path=str(shot))
            browser.close()
    finally:
        stop()
    picture = np.asarray(Image.open(shot).convert("RGB")).astype(int)
    red = (picture[..., 0] > 150) & (picture[..., 1] < 90) & (picture[..., 2] < 90)
    assert red.sum() > 200, "no red brush on the page: the pre-annotation is not shown"
    assert "unetkit-" in shown   # the editor's tab of the model's prediction (its version, shortened when long)
