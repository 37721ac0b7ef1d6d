"""`unetkit predict --export FORMAT FILE` (issue 44): the label maps as pre-annotations each tool imports,
read back by unetkit's own format to the label PNGs the same command wrote; a wrong format or path is one
line before any work."""
import json

import numpy as np
import pytest
from PIL import Image

from unetkit.cli import main
from unetkit.config import DataConfig
from unetkit.data.formats import find_samples


@pytest.mark.parametrize("tool, file, layout", [
    ("coco", "_annotations.coco.json", "train"),   # the Roboflow layout: the file beside the images
    ("cvat", "annotations.xml", "."),
    ("label_studio", "tasks.json", "."),
])
def test_an_export_reads_back_as_the_label_maps_predict_wrote(tmp_path, checkpoint, synthetic_root, tool, file, layout):
    images = synthetic_root / "test" / "images"
    root = tmp_path / "export"
    folder = root / layout
    folder.mkdir(parents=True)
    for image in images.iterdir():   # the tool's task: the images beside the export
        (folder if tool == "coco" else root.joinpath("images").resolve()).mkdir(parents=True, exist_ok=True)
        ((folder if tool == "coco" else root / "images") / image.name).symlink_to(image)
    assert main(["predict", "--checkpoint", str(checkpoint), str(images), "--out", str(tmp_path / "out"),
                 "--export", tool, str(folder / file)]) == 0
    if tool == "label_studio":   # as Label Studio exports it once the predictions are accepted
        tasks = json.loads((folder / file).read_text())
        assert all(0 < t["predictions"][0]["score"] <= 1 for t in tasks if t["predictions"][0]["result"])
        (folder / file).write_text(json.dumps([{"id": i, "data": t["data"], "annotations": [
            {"result": t["predictions"][0]["result"]}]} for i, t in enumerate(tasks)]))
    data = DataConfig(format=tool, root=str(root), val_fraction=0.01)
    samples = find_samples(data, "train") + find_samples(data, "val")
    assert len(samples) == len(list(images.iterdir()))
    for sample in samples:
        written = np.asarray(Image.open(tmp_path / "out" / f"{sample.name}.png"))
        written = (written > 0).astype(np.uint8) if written.max() == 255 else written   # binary label PNGs: 0/255
        assert written.any() and np.array_equal(np.asarray(Image.open(sample.mask)), written)


def test_a_format_unetkit_does_not_write_or_a_folder_as_file_is_one_line(tmp_path, checkpoint, synthetic_root, capsys):
    images = str(synthetic_root / "test" / "images")
    assert main(["predict", "--checkpoint", str(checkpoint), images, "--out", str(tmp_path / "out"),
                 "--export", "yolo", str(tmp_path / "a.json")]) == 2
    assert "--export yolo: not a format unetkit writes (coco, cvat, label_studio)" in capsys.readouterr().err
    assert main(["predict", "--checkpoint", str(checkpoint), images, "--out", str(tmp_path / "out"),
                 "--export", "coco", str(tmp_path)]) == 2
    assert "is a folder" in capsys.readouterr().err and not (tmp_path / "out").exists()
