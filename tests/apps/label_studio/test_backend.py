"""The backend's protocol over real HTTP (uvicorn in a thread) without Label Studio: tasks whose images are
local files, the task scores review would give, and the failures answered with a status and a reason while
the backend keeps serving. The same against a real Label Studio: test_real_label_studio.py."""
from __future__ import annotations

import time

import httpx
import numpy as np
import pytest
from PIL import Image

from unetkit.apps.label_studio.backend import LabelStudioBackend, project_id, served_model
from unetkit.apps.label_studio.connection import LabelStudio
from unetkit.data.annotations.label_studio_rle import mask_to_rle, rle_to_mask

from ...conftest import disk_sample
from .server import free_port, start_backend

CONFIG = ('<View><Image name="image" value="$image"/><BrushLabels name="tag" toName="image">'
          '<Label value="foreground"/><Label value="vessel"/></BrushLabels></View>')


def annotated(mask: np.ndarray) -> list[dict]:
    return [{"result": [{"type": "brushlabels", "from_name": "tag", "to_name": "image", "original_width": 64,
                         "original_height": 64, "value": {"format": "rle", "rle": mask_to_rle(mask),
                                                          "brushlabels": ["foreground"]}}]}]


def test_predictions_scores_and_setup_over_http(disk_checkpoint, tmp_path, caplog):
    image, disk = disk_sample(11)
    Image.fromarray(image).save(tmp_path / "disk.png")
    backend = LabelStudioBackend(served_model(str(disk_checkpoint), device="cpu"), LabelStudio(), tmp_path / "work")
    url, stop = start_backend(backend)
    try:
        with caplog.at_level("WARNING", logger="unetkit.apps.label_studio.backend"):
            setup = httpx.post(f"{url}/setup", json={"project": "3.1733", "schema": CONFIG}).json()
            httpx.post(f"{url}/setup", json={"project": "3.1733", "schema": CONFIG})
        assert setup == {"model_version": backend.model.version} and backend.model.version == "unetkit-run.1"
        # the config's label the model lacks is said once, not at every call
        assert sum("vessel" in record.getMessage() for record in caplog.records) == 1

        tasks = [{"id": 1, "data": {"image": str(tmp_path / "disk.png")}},
                 {"id": 2, "data": {"image": str(tmp_path / "disk.png")}, "annotations": annotated(disk)},
                 {"id": 3, "data": {"image": str(tmp_path / "disk.png")}, "annotations": annotated(~disk)},
                 {"id": 4, "data": {"image": str(tmp_path / "disk.png")}, "annotations": [{"result": []}]},
                 {"id": 5, "data": {"image": str(tmp_path / "missing.png")}}]
        answer = httpx.post(f"{url}/predict", json={"tasks": tasks, "project": "3.1733", "label_config": CONFIG},
                            timeout=60).json()
        unlabelled, right, wrong, empty, missing = answer["results"]
        # a task whose image is missing gets an empty result; the batch's other predictions are kept
        assert missing == {"result": [], "model_version": backend.model.version}
        # an annotation that left the disk out entirely: the class it lacks is judged by the model's own
        # confidence (a threshold from the annotation alone would be undefined and never flag it)
        assert empty["score"] > 0.02
        assert answer["model_version"] == backend.model.version == unlabelled["model_version"]
        expected = backend.model.predictor.predict(image).labels == 1
        (region,) = unlabelled["result"]
        assert region["from_name"] == "tag" and region["value"]["brushlabels"] == ["foreground"]
        assert np.array_equal(rle_to_mask(region["value"]["rle"], 64, 64), expected)
        # review's order: a contradicted mask first, the right one last
        assert wrong["score"] > 0.3 > 0.02 > right["score"]
        assert 0 < unlabelled["score"] < 1   # label-next: mean entropy x rarity
    finally:
        stop()


def test_failures_are_a_status_and_a_reason_and_the_backend_keeps_serving(disk_checkpoint, tmp_path, caplog):
    model = served_model(str(disk_checkpoint), device="cpu")
    unreachable = LabelStudio(f"http://127.0.0.1:{free_port()}", "key")
    backend = LabelStudioBackend(model, unreachable, tmp_path / "work")
    url, stop = start_backend(backend)
    try:
        rectangles = ('<View><Image name="i" value="$image"/><RectangleLabels name="r" toName="i"><Label value="a"/>'
                      '</RectangleLabels></View>')
        no_brush = httpx.post(f"{url}/setup", json={"project": "1.5", "schema": rectangles})
        assert no_brush.status_code == 422 and "no BrushLabels" in no_brush.json()["detail"]
        task = {"id": 4, "data": {"image": "/data/upload/1/a.png"}}
        away = httpx.post(f"{url}/predict", json={"tasks": [task], "project": "1.5", "label_config": CONFIG})
        assert away.status_code == 502 and "cannot reach" in away.json()["detail"]
        (tmp_path / "notes.png").write_text("not an image")
        broken = httpx.post(f"{url}/predict", json={"tasks": [{"id": 5, "data": {"image": str(
            tmp_path / "notes.png")}}], "project": "1.5", "label_config": CONFIG})
        assert broken.status_code == 422 and "task 5" in broken.json()["detail"]
        # training asked for while Label Studio is away: the job fails, the served model stays
        version = backend.model.version
        started = httpx.post(f"{url}/webhook", json={"action": "START_TRAINING",
                                                             "project": {"id": 1, "label_config": CONFIG}})
        assert started.json()["status"] == "started"
        deadline = time.time() + 30
        while backend.fine_tuner.busy and time.time() < deadline:
            time.sleep(0.1)
        health = httpx.get(f"{url}/health").json()
        assert health["status"] == "UP" and health["model_version"] == version
        assert "cannot reach" in health["last_error"]
        assert any("failed, the served model is unchanged" in r.getMessage() for r in caplog.records)
        ignored = httpx.post(f"{url}/webhook", json={"action": "PROJECT_UPDATED", "project": {"id": 1}})
        assert ignored.json()["status"] == "ignored"
    finally:
        stop()


def test_project_ids_as_label_studio_sends_them():
    assert project_id("7.1733581234") == project_id(7) == project_id("7") == 7


def test_the_command_refuses_a_taken_port_and_bad_options_in_one_line(disk_checkpoint, tmp_path, capsys):
    import socket

    from unetkit.cli import main
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen(1)
        port = taken.getsockname()[1]
        assert main(["label-studio", "--checkpoint", str(disk_checkpoint), "--port", str(port),
                     "--work", str(tmp_path / "work")]) == 2
    error = capsys.readouterr().err.strip().splitlines()
    assert len(error) == 1 and "in use" in error[0]
    with pytest.raises(SystemExit) as refused:   # argparse's one line, exit 2
        main(["label-studio", "--checkpoint", str(disk_checkpoint), "--train-after", "-1"])
    assert refused.value.code == 2 and "--train-after" in capsys.readouterr().err
    (tmp_path / "file").write_text("")
    assert main(["label-studio", "--checkpoint", str(disk_checkpoint), "--work", str(tmp_path / "file")]) == 2
    assert "is a file" in capsys.readouterr().err


def test_a_run_folder_serves_its_best_checkpoint(disk_checkpoint):
    model = served_model(str(disk_checkpoint.parent), device="cpu")
    assert model.checkpoint == str(disk_checkpoint) and model.version == "unetkit-run.1"
    assert model.predictor.class_names == ["background", "foreground"]
