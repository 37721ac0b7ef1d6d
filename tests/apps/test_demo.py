import pytest

from unetkit.apps.demo import run_demo


@pytest.mark.precision
def test_demo_end_to_end_short(tmp_path):
    """The demo's whole path (generate, train, evaluate, predict) with fewer epochs than `make demo`."""
    metrics = run_demo(tmp_path / "demo", ["train.epochs=2", "data.patches_per_epoch=32", "train.progress=false"])
    assert 0 <= metrics["f1"] <= 1
    overlays = sorted((tmp_path / "demo" / "predictions").glob("*_overlay.png"))
    assert len(overlays) == 4 and len(list((tmp_path / "demo" / "predictions").glob("*_panel.png"))) == 4
    assert (tmp_path / "demo" / "metrics_val.json").is_file()
    # a second call reuses the finished run instead of training again
    before = (tmp_path / "demo" / "best.pt").stat().st_mtime
    run_demo(tmp_path / "demo", ["train.epochs=2", "data.patches_per_epoch=32", "train.progress=false"])
    assert (tmp_path / "demo" / "best.pt").stat().st_mtime == before
