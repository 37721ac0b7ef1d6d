"""A timm encoder through every command a user runs (issue 29): train, evaluate, predict, export to
ONNX with its parity check, and the Grad-CAM layer list naming its stages."""
from unetkit.cli import main

from ..conftest import tiny_overrides


def test_a_timm_encoder_trains_evaluates_predicts_exports_and_lists_its_layers(tmp_path, capsys, synthetic_root):
    overrides = [o for o in tiny_overrides(synthetic_root) if not o.startswith("model.")]
    run = tmp_path / "run"
    assert main(["train", "--out", str(run), *overrides, "model.name=unet", "model.encoder=tu-efficientnet_b0",
                 "train.epochs=1"]) == 0
    assert "name: encoder_unet" in (run / "config.yaml").read_text()
    assert main(["evaluate", "--checkpoint", str(run / "best.pt"), "--split", "val"]) == 0
    assert main(["predict", "--checkpoint", str(run / "best.pt"), str(synthetic_root / "test" / "images"),
                 "--out", str(tmp_path / "pred")]) == 0
    assert list((tmp_path / "pred").glob("*.png"))
    capsys.readouterr()
    assert main(["export", "--checkpoint", str(run / "best.pt"), "--format", "onnx",
                 "--out", str(tmp_path / "m.onnx")]) == 0
    assert "parity with" in capsys.readouterr().out and (tmp_path / "m.onnx").is_file()
    assert main(["cam", "--checkpoint", str(run / "best.pt"), "--list-layers"]) == 0
    listed = capsys.readouterr().out
    assert "enc1 (encoder.backbone.blocks.0)" in listed and "bottleneck (encoder.backbone.blocks.6)" in listed
