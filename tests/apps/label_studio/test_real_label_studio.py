"""The backend against a real Label Studio (conftest.py starts it): a project with a BrushLabels config, images
uploaded, the backend connected, predictions asked for through Label Studio's API and decoded back into the
model's label maps, corrected annotations posted, training started from Label Studio, the served model
replaced (a new model_version on the next predictions), and the project exported and read by unetkit."""
from __future__ import annotations

import json
import time

import numpy as np
import pytest
from label_studio_converter.brush import decode_rle  # Label Studio's own RLE codec, not unetkit's
from PIL import Image

from unetkit.apps.label_studio.backend import LabelStudioBackend, served_model
from unetkit.apps.label_studio.connection import LabelStudio
from unetkit.data.annotations.label_studio import read_label_studio
from unetkit.data.annotations.label_studio_rle import mask_to_rle
from unetkit.data.annotations.rasterise import rasterise
from unetkit.data.io import read_image

from ...conftest import disk_sample
from .server import free_port, start_backend

CONFIG = ('<View><Image name="image" value="$image"/><BrushLabels name="tag" toName="image">'
          '<Label value="foreground" background="#ff0000"/></BrushLabels></View>')


def brush(mask: np.ndarray) -> dict:
    return {"type": "brushlabels", "from_name": "tag", "to_name": "image", "original_width": mask.shape[1],
            "original_height": mask.shape[0], "value": {"format": "rle", "rle": mask_to_rle(mask),
                                                        "brushlabels": ["foreground"]}}


def wait_for(condition, seconds: float, what: str):
    deadline = time.time() + seconds
    while time.time() < deadline:
        value = condition()
        if value:
            return value
        time.sleep(0.5)
    pytest.fail(f"{what} within {seconds} s")


def test_the_labelling_loop_through_a_real_label_studio(label_studio, disk_checkpoint, tmp_path):
    images = tmp_path / "images"
    images.mkdir()
    disks = {}
    for seed in range(3):
        image, disk = disk_sample(500 + seed)
        Image.fromarray(image).save(images / f"disk_{seed}.png")
        disks[f"disk_{seed}"] = disk
    backend = LabelStudioBackend(served_model(str(disk_checkpoint), device="cpu"), LabelStudio(), tmp_path / "work",
                                 train_minutes=0.05)
    url, stop = start_backend(backend)
    try:
        project = label_studio.api("POST", "/api/projects", json={"title": "unetkit disks", "label_config": CONFIG}).json()
        files = [(path.name, (path.name, path.read_bytes(), "image/png")) for path in sorted(images.iterdir())]   # a field each
        label_studio.api("POST", f"/api/projects/{project['id']}/import", files=files)
        tasks = label_studio.api("GET", "/api/tasks", params={"project": project["id"], "page_size": 100}).json()["tasks"]
        assert len(tasks) == 3
        # connecting calls /health and /setup (the access token and hostname come with it)
        ml = label_studio.api("POST", "/api/ml", json={"url": url, "project": project["id"],
                                                       "title": "unetkit"}).json()
        first_version = backend.model.version

        def predictions(version):
            label_studio.api("POST", "/api/dm/actions", params={"id": "retrieve_tasks_predictions",
                                                                "project": project["id"]},
                             json={"selectedItems": {"all": True, "excluded": []}})
            found = label_studio.api("GET", "/api/predictions", params={"project": project["id"]}).json()
            return [p for p in found if p["model_version"] == version]

        made = predictions(first_version)
        assert len(made) == 3
        predictor = backend.model.predictor
        by_task = {task["id"]: task for task in tasks}
        for prediction in made:
            name = by_task[prediction["task"]]["data"]["image"].rsplit("-", 1)[-1].removesuffix(".png")
            image = read_image(images / f"{name}.png", predictor.in_channels)
            expected = predictor.predict(image).labels == 1
            (region,) = [r for r in prediction["result"] if r["value"]["brushlabels"] == ["foreground"]]
            drawn = decode_rle(region["value"]["rle"]).reshape(64, 64, 4)[..., 3] > 0
            assert np.array_equal(drawn, expected), f"{name}: the brush is not the model's label map"
            assert 0 <= prediction["score"] <= 1 and 0.5 < region["score"] <= 1

        # corrections posted through the API (the true disks), then "Start training"
        for task in tasks:
            name = task["data"]["image"].rsplit("-", 1)[-1].removesuffix(".png")
            label_studio.api("POST", f"/api/tasks/{task['id']}/annotations",
                             json={"result": [brush(disks[name])], "was_cancelled": False})
        label_studio.api("POST", f"/api/ml/{ml['id']}/train")
        wait_for(lambda: backend.model.version != first_version, 240, "the fine-tuned model was not served")
        assert not backend.fine_tuner.last_error
        second = predictions(backend.model.version)
        assert len(second) == 3 and backend.model.version.endswith(".2")

        # the export, read by unetkit: the corrected disks
        export = label_studio.api("GET", f"/api/projects/{project['id']}/export", params={"exportType": "JSON"}).json()
        (tmp_path / "export.json").write_text(json.dumps(export))
        read = read_label_studio(tmp_path / "export.json", images)
        assert not read.problems and len(read.images) == 3
        for image in read.images:
            painted = rasterise(image, {"foreground": 1})
            assert np.array_equal(painted == 1, disks[image.name])
    finally:
        stop()


def test_bad_keys_missing_images_and_an_absent_label_studio_are_answered_not_raised(label_studio, disk_checkpoint,
                                                                                        tmp_path):
    image, _ = disk_sample(7)
    Image.fromarray(image).save(tmp_path / "disk.png")
    project = label_studio.api("POST", "/api/projects", json={"title": "unetkit errors", "label_config": CONFIG}).json()
    label_studio.api("POST", f"/api/projects/{project['id']}/import",
                     files=[("file", ("disk.png", (tmp_path / "disk.png").read_bytes(), "image/png"))])
    (task,) = label_studio.api("GET", "/api/tasks", params={"project": project["id"]}).json()["tasks"]
    model = served_model(str(disk_checkpoint), device="cpu")
    cases = {"the API key was refused": LabelStudio(label_studio.url, "not-the-key"),
             "cannot reach": LabelStudio(f"http://127.0.0.1:{free_port()}", label_studio.token),
             "missing.png answered": LabelStudio(label_studio.url, label_studio.token)}
    import httpx
    # a personal access token (Label Studio 1.23's default kind of key): traded for an access token, accepted
    personal = label_studio.api("POST", "/api/token/").json()["token"]
    url, stop = start_backend(LabelStudioBackend(model, LabelStudio(label_studio.url, personal), tmp_path / "work"))
    try:
        answer = httpx.post(f"{url}/predict", json={"tasks": [task], "project": f"{project['id']}.1",
                                                    "label_config": CONFIG}, timeout=60)
        assert answer.status_code == 200 and answer.json()["results"][0]["result"], answer.text
    finally:
        stop()
    for expected, studio in cases.items():
        url, stop = start_backend(LabelStudioBackend(model, studio, tmp_path / "work"))
        try:
            missing = f"/data/upload/{project['id']}/missing.png"   # an image Label Studio does not have
            asked = dict(task, data={"image": missing}) if expected == "missing.png answered" else task
            answer = httpx.post(f"{url}/predict", json={"tasks": [asked], "project": f"{project['id']}.1",
                                                                "label_config": CONFIG}, timeout=60)
            assert answer.status_code == 502 and expected in answer.json()["detail"], answer.text
            assert httpx.get(f"{url}/health").json()["status"] == "UP"   # still serving
        finally:
            stop()
