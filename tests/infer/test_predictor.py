import numpy as np
from PIL import Image

from unetkit import Predictor
from unetkit.apps.predict import predict_files
from unetkit.apps.prediction_outputs import OutputOptions


def test_predictor_on_any_size(checkpoint):
    predictor = Predictor.from_checkpoint(checkpoint, device="cpu")
    image = np.random.default_rng(0).integers(0, 255, (37, 53, 3), dtype=np.uint8)
    prediction = predictor.predict(image)
    assert prediction.labels.shape == (37, 53) and prediction.probabilities.shape == (2, 37, 53)
    assert np.allclose(prediction.probabilities.sum(0), 1, atol=1e-3)
    assert np.array_equal(prediction.labels, (prediction.probabilities[1] > 0.5).astype(np.uint8))
    overlay = prediction.overlay(alpha=0.7)
    assert overlay.shape == (37, 53, 3)
    changed = prediction.labels == 1
    assert np.array_equal(overlay[~changed], image[~changed])  # background untouched
    if changed.any():
        expected = np.round(0.3 * image[changed] + 0.7 * np.array([255, 0, 0])).astype(np.uint8)
        assert np.abs(overlay[changed].astype(int) - expected).max() <= 1


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


def test_restrict_to_roi(checkpoint):
    predictor = Predictor.from_checkpoint(checkpoint)
    image = np.full((16, 16, 3), 120, np.uint8)
    roi = np.zeros((16, 16), bool)
    roi[4:12, 4:12] = True
    restricted = predictor.predict(image).restrict_to(roi)
    assert (restricted.labels[~roi] == 0).all()
    assert np.allclose(restricted.probabilities.sum(0), 1, atol=1e-3)
    assert (restricted.probabilities[0][~roi] == 1).all()
