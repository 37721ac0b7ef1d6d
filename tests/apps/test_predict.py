"""`unetkit predict` and its Python API: files, folders and videos in, the chosen outputs out."""
from pathlib import Path

import cv2
import numpy as np
from PIL import Image

from unetkit import Predictor, predict
from unetkit.apps.predict import predict_files
from unetkit.apps.prediction_outputs import OutputOptions
from unetkit.cli import main


def test_predict_files_skips_unreadable(tmp_path, checkpoint, synthetic_root):
    predictor = Predictor.from_checkpoint(checkpoint)
    folder = tmp_path / "in"
    folder.mkdir()
    Image.open(synthetic_root / "val/images/val_000.png").save(folder / "good.png")
    (folder / "bad.png").write_bytes(b"nope")
    summary = predict_files(predictor, [folder], tmp_path / "out", OutputOptions(probabilities="npy"), progress=False)
    assert len(summary.skipped) == 1 and "bad.png" in summary.skipped[0]
    labels = np.asarray(Image.open(tmp_path / "out" / "good.png"))
    assert labels.shape == (64, 64) and set(np.unique(labels)) <= {0, 255}
    probabilities = np.load(tmp_path / "out" / "good_probs.npy")
    assert probabilities.dtype == np.float16 and probabilities.shape == (2, 64, 64)


def test_cli_fps_and_tile_overrides(capsys, tmp_path, checkpoint, synthetic_root):
    image = synthetic_root / "val/images/val_000.png"
    code = main(["predict", "--checkpoint", str(checkpoint), str(image), "--out", str(tmp_path), "--fps", "3"])
    out = capsys.readouterr().out
    assert code == 0 and "images/s" in out and "ms/image" in out
    code = main(["predict", "--checkpoint", str(checkpoint), str(image), "infer.tile=32", "--out", str(tmp_path),
                 "--panel", "--masks", str(synthetic_root / "val/masks")])
    assert code == 0 and (tmp_path / "val_000_panel.png").is_file()
    code = main(["predict", "--checkpoint", str(checkpoint), str(image), "infer.tile=-1", "--out", str(tmp_path)])
    assert code == 2 and "infer.tile" in capsys.readouterr().err


def test_predict_api_routes_videos_and_images(tmp_path, checkpoint, synthetic_root):
    video = tmp_path / "clip.avi"
    writer = cv2.VideoWriter(str(video), cv2.VideoWriter_fourcc(*"MJPG"), 5.0, (40, 24))
    for index in range(3):
        writer.write(np.full((24, 40, 3), 50 * index, np.uint8))
    writer.release()
    summary = predict(checkpoint, [video, synthetic_root / "val/images"], tmp_path / "out",
                      OutputOptions(overlay=True), progress=False)
    assert summary.videos == [(video, 3, tmp_path / "out" / "clip_overlay.mp4")]
    assert sorted(p.name for p in summary.written) == ["val_000.png", "val_000_overlay.png", "val_001.png",
                                                       "val_001_overlay.png"]
    assert not summary.skipped and (tmp_path / "out" / "classes.json").is_file()


def test_uncertainty_maps_and_their_summary(tmp_path, checkpoint, synthetic_root):
    """--uncertainty with --tta: entropy and mutual-information heat maps and float16 maps per image,
    uncertainty.csv most uncertain first (issue 30)."""
    import csv
    out = tmp_path / "out"
    assert main(["predict", "--checkpoint", str(checkpoint), str(synthetic_root / "test" / "images"), "--out", str(out),
                 "--uncertainty", "--tta", "--probs"]) == 0
    stems = sorted(p.stem for p in (synthetic_root / "test" / "images").iterdir())
    for stem in stems:
        for name in ("entropy", "mutual_information"):
            assert Image.open(out / f"{stem}_{name}.png").size == Image.open(out / f"{stem}.png").size
            values = np.load(out / f"{stem}_{name}.npy")
            assert values.dtype == np.float16 and values.min() >= 0 and values.max() <= np.log(2) + 1e-3
    rows = list(csv.DictReader(open(out / "uncertainty.csv")))
    assert sorted(Path(row["image"]).stem for row in rows) == stems
    entropies = [float(row["mean_entropy"]) for row in rows]
    assert entropies == sorted(entropies, reverse=True) and all(float(r["mean_mutual_information"]) >= 0 for r in rows)
