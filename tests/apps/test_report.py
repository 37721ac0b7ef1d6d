"""`unetkit report RUN_DIR`: one self-contained HTML file whose embedded figures decode, every section."""
import base64
import io
import re

import numpy as np
import pytest
from PIL import Image

from unetkit.apps.report import SECTIONS, write_run_report
from unetkit.cli import main
from unetkit.metrics import SegmentationMetrics

from ..conftest import write_three_class_folder


@pytest.fixture(scope="module")
def multiclass_run(tmp_path_factory):
    """A 3-class run (index masks: a band of class 1, a square of class 2), 2 tiny epochs."""
    from unetkit.config import load_config
    from unetkit.train import train
    root = write_three_class_folder(tmp_path_factory.mktemp("three_classes"), seed=3, square=8, top_high=20,
                                    contrast=80, noise=40)
    run = tmp_path_factory.mktemp("multiclass_run") / "run"
    train(load_config(None, [f"data.root={root}", "data.mask=index", "data.num_classes=3", "data.patch_size=32",
                             "data.patches_per_epoch=8", "model.base_channels=4", "model.depth=2", "train.epochs=2",
                             "train.progress=false", "train.precision=fp32", "train.monitor=miou"]), run)
    return run


def _embedded_images(page: str) -> list[Image.Image]:
    return [Image.open(io.BytesIO(base64.b64decode(data))) for data in re.findall(r'src="data:image/png;base64,([^"]+)"', page)]


def test_report_of_a_binary_run_has_every_section_and_decodable_images(tmp_path, trained_run, capsys):
    code = main(["report", str(trained_run), "--out", str(tmp_path / "report"), "--split", "test"])
    assert code == 0 and "report.html" in capsys.readouterr().out
    page = (tmp_path / "report" / "report.html").read_text()
    for name in SECTIONS:
        assert f"<h2>{name}</h2>" in page, name
    images = _embedded_images(page)
    assert len(images) >= 8   # curves, ROC/PR, reliability, 4 bar charts, confusion matrix, panels
    for image in images:
        image.load()
        assert image.width > 50 and image.height > 20
    assert "src=\"http" not in page and "<script" not in page   # self-contained, nothing fetched
    panels = sorted((tmp_path / "report").glob("worst_*.png")) + sorted((tmp_path / "report").glob("best_*.png"))
    assert len(panels) == 2   # 2 test images: the worst one and the best one
    strip = np.asarray(Image.open(panels[0]))
    assert strip.shape[1] == 4 * 64 + 3 * 4   # input | prediction | ground truth | error map, 4 px gaps


def test_report_of_a_multiclass_run_has_no_roc_but_per_class_charts(tmp_path, multiclass_run):
    report = write_run_report(multiclass_run, "val", out=tmp_path / "r", device="cpu")
    page = report.html.read_text()
    assert "ROC and precision-recall" not in report.sections and "<h2>Per class</h2>" in page
    assert (tmp_path / "r" / "confusion_matrix.png").is_file() and len(_embedded_images(page)) == len(report.images)


def test_roc_and_pr_curves_agree_with_the_metrics():
    metrics = SegmentationMetrics(2)
    rng = np.random.default_rng(0)
    labels = rng.integers(0, 2, (64, 64))
    foreground = np.clip(labels * 0.3 + rng.random((64, 64)) * 0.7, 0, 1)
    import torch
    metrics.update(torch.tensor(np.stack([1 - foreground, foreground]), dtype=torch.float32), torch.tensor(labels))
    curves = metrics.curves()
    assert curves["fpr"][0] == 0 and curves["tpr"][-1] == 1 and curves["recall"][-1] == 1
    assert abs(np.trapezoid(curves["tpr"], curves["fpr"]) - metrics.compute()["auc"]) < 1e-12
    from sklearn.metrics import average_precision_score
    reference = average_precision_score(labels.ravel(), np.round(foreground.ravel() * 255) / 255)
    assert abs(curves["average_precision"] - reference) < 0.02
