"""Export parity for every registered model and format (AOTInductor on one: it compiles C++); the
ONNX Runtime Predictor equals the checkpoint's; bad files are one-line errors."""
import shutil

import numpy as np
import pytest
import torch

from unetkit.apps.export import export_checkpoint
from unetkit.cli import main
from unetkit.errors import ExportError
from unetkit.infer import Predictor
from unetkit.models import ModelMeta, Normalization, save_checkpoint

from ..models.test_contract import CASES, _build, _id


def _logits_of_a_trained_scale(model, scale: float = 3.0) -> None:
    """Logits of a few units, as a trained model's: a He-initialised decoder's random logits reach tens, where
    fp32's rounding (ONNX Runtime sums in another order) alone moves a probability by 1e-4, the parity bound."""
    head = [module for module in model.modules() if isinstance(module, torch.nn.Conv2d)][-1]
    side = model.input_size_for(160)
    spread = float(model(torch.randn(2, model.in_channels, side, side)).std())
    if spread > scale:
        head.weight.mul_(scale / spread)
        if head.bias is not None:
            head.bias.mul_(scale / spread)


def _checkpoint(tmp_path, name, extra, out_channels=2):
    model = _build(name, extra, out_channels=out_channels)
    with torch.no_grad():   # BatchNorm statistics away from the identity, as a trained model has
        for module in model.modules():
            if isinstance(module, torch.nn.BatchNorm2d):
                module.running_mean.uniform_(-0.2, 0.2)
                module.running_var.uniform_(0.5, 1.5)
        _logits_of_a_trained_scale(model)
    names = ["background", "a", "b"][:max(out_channels, 2)]
    meta = ModelMeta(names, Normalization((0.5, 0.4, 0.3), (0.2, 0.25, 0.3)),
                     run_config={"infer": {"tile": 64, "overlap": 0.25}})
    return save_checkpoint(tmp_path / "best.pt", model, meta)


@pytest.mark.parametrize("case", CASES, ids=[_id(c) for c in CASES])
@pytest.mark.parametrize("export_format", ["onnx", "pt2", "torchscript", "safetensors"])
def test_every_model_exports_with_parity(tmp_path, case, export_format):
    result = export_checkpoint(_checkpoint(tmp_path, *case), export_format)
    assert result["path"].is_file() and result["max_difference"] <= 1e-4
    assert len(result["sizes"]) == 3 and result["sizes"][1][0] != result["sizes"][1][1]   # non-square checked


def test_onnx_predictor_equals_the_checkpoint_predictor(tmp_path):
    checkpoint = _checkpoint(tmp_path, "unet", {}, out_channels=3)
    onnx_path = export_checkpoint(checkpoint, "onnx")["path"]
    image = np.random.default_rng(0).integers(0, 256, (150, 97, 3), dtype=np.uint8)   # odd size, tiled at 64
    for changes in ({}, {"tta": True}):
        expected = Predictor.from_checkpoint(checkpoint, device="cpu", precision="fp32", **changes).predict(image)
        got = Predictor.from_onnx(onnx_path, **changes).predict(image)
        assert np.abs(got.probabilities - expected.probabilities).max() < 1e-4
        assert (got.labels == expected.labels).mean() > 0.999
    onnx_predictor = Predictor.from_onnx(onnx_path)
    assert onnx_predictor.class_names == ["background", "a", "b"] and onnx_predictor.settings.tile == 64


def test_static_export_and_its_size_check(tmp_path):
    checkpoint = _checkpoint(tmp_path, "unet", {})
    result = export_checkpoint(checkpoint, "onnx", tmp_path / "static.onnx", static_size=96)
    assert result["sizes"] == [(96, 96)]
    with pytest.raises(ExportError, match="--static 90"):
        export_checkpoint(checkpoint, "onnx", tmp_path / "bad.onnx", static_size=90)


def test_cli_export_then_predict_with_the_onnx_model(tmp_path, capsys):
    checkpoint = _checkpoint(tmp_path, "unet", {})
    assert main(["export", "--checkpoint", str(checkpoint), "--out", str(tmp_path / "m.onnx")]) == 0
    assert "parity with" in capsys.readouterr().out
    from PIL import Image
    Image.fromarray(np.random.default_rng(1).integers(0, 256, (40, 50, 3), dtype=np.uint8)).save(tmp_path / "x.png")
    assert main(["predict", "--model", str(tmp_path / "m.onnx"), str(tmp_path / "x.png"), "--out",
                 str(tmp_path / "preds"), "--overlay"]) == 0
    assert (tmp_path / "preds" / "x.png").is_file() and (tmp_path / "preds" / "x_overlay.png").is_file()


def test_a_file_that_is_not_a_model_is_a_one_line_error(tmp_path, capsys):
    (tmp_path / "junk.onnx").write_bytes(b"\x00" * 100)
    code = main(["predict", "--model", str(tmp_path / "junk.onnx"), str(tmp_path), "--out", str(tmp_path / "o")])
    err = capsys.readouterr().err.strip()
    assert code == 2 and len(err.splitlines()) == 1 and "not a readable ONNX model" in err
    with pytest.raises(ExportError, match="not found"):
        Predictor.from_onnx(tmp_path / "missing.onnx")


def test_int8_export_calibrates_and_reports_its_accuracy(tmp_path, capsys):
    from PIL import Image
    checkpoint = _checkpoint(tmp_path, "unet", {})
    rng = np.random.default_rng(2)
    (tmp_path / "images").mkdir()
    (tmp_path / "masks").mkdir()
    for index in range(3):
        image = rng.integers(0, 256, (64, 80, 3), dtype=np.uint8)
        Image.fromarray(image).save(tmp_path / "images" / f"i{index}.png")
        Image.fromarray((image[..., 0] > 128).astype(np.uint8) * 255).save(tmp_path / "masks" / f"i{index}.png")
    code = main(["export", "--checkpoint", str(checkpoint), "--quantize", "int8", "--calibrate",
                 str(tmp_path / "images"), "--masks", str(tmp_path / "masks"), "--out", str(tmp_path / "q.onnx")])
    out = capsys.readouterr().out
    assert code == 0 and "(int8)" in out and "drop" in out
    assert (tmp_path / "q.onnx").is_file() and (tmp_path / "q_fp32.onnx").is_file()
    import onnx
    metadata = {p.key: p.value for p in onnx.load(str(tmp_path / "q.onnx")).metadata_props}
    assert "int8_accuracy" in metadata and metadata["class_names"] == '["background", "a"]'
    assert any(node.op_type == "QuantizeLinear" for node in onnx.load(str(tmp_path / "q.onnx")).graph.node)
    predictor = Predictor.from_onnx(tmp_path / "q.onnx")
    assert predictor.predict(rng.integers(0, 256, (50, 70, 3), dtype=np.uint8)).labels.shape == (50, 70)


def test_int8_needs_a_calibration_folder(tmp_path, capsys):
    checkpoint = _checkpoint(tmp_path, "unet", {})
    assert main(["export", "--checkpoint", str(checkpoint), "--quantize", "int8"]) == 2
    assert "--calibrate" in capsys.readouterr().err


def test_safetensors_holds_no_pickle_and_predicts_like_the_checkpoint(tmp_path, capsys):
    """Issue 15: weights shared without pickle; --checkpoint FILE.safetensors works like the .pt."""
    import json
    checkpoint = _checkpoint(tmp_path, "unet", {}, out_channels=3)
    assert main(["export", "--checkpoint", str(checkpoint), "--format", "safetensors"]) == 0
    path = tmp_path / "best.safetensors"
    data = path.read_bytes()
    header = json.loads(data[8:8 + int.from_bytes(data[:8], "little")])   # the format: a JSON header, raw tensors
    described = json.loads(header["__metadata__"]["unetkit"])
    assert described["class_names"] == ["background", "a", "b"] and "optimizer" not in described
    assert b"\x80\x02" not in data[:16] and not data.startswith(b"PK")   # neither pickle nor torch's zip
    image = np.random.default_rng(1).integers(0, 256, (70, 90, 3), dtype=np.uint8)
    expected = Predictor.from_checkpoint(checkpoint, device="cpu", precision="fp32").predict(image)
    got = Predictor.from_checkpoint(path, device="cpu", precision="fp32").predict(image)
    assert np.array_equal(got.probabilities, expected.probabilities)
    path.write_bytes(data[:len(data) // 2])   # truncated
    code = main(["predict", "--checkpoint", str(path), str(tmp_path), "--out", str(tmp_path / "o")])
    err = capsys.readouterr().err.strip()
    assert code == 2 and len(err.splitlines()) == 1 and "best.safetensors: not a unetkit .safetensors file" in err


def test_pt2_is_a_torch_export_program_with_the_metadata_and_dynamic_sizes(tmp_path, capsys):
    """`unetkit export --format pt2`: torch.export.load reads it; batch, height and width stay dynamic."""
    import json
    checkpoint = _checkpoint(tmp_path, "unet", {}, out_channels=3)
    assert main(["export", "--checkpoint", str(checkpoint), "--format", "pt2"]) == 0
    assert "parity with" in capsys.readouterr().out
    extra = {"unetkit.json": ""}
    program = torch.export.load(str(tmp_path / "best.pt2"), extra_files=extra)
    assert json.loads(json.loads(extra["unetkit.json"])["class_names"]) == ["background", "a", "b"]
    module = program.module()
    for shape in ((1, 3, 64, 64), (3, 3, 96, 160)):
        images = torch.randn(shape)
        with torch.no_grad():
            assert module(images).shape == (shape[0], 3, *shape[2:])


@pytest.mark.skipif(not (shutil.which("c++") or shutil.which("g++")), reason="AOTInductor needs a C++ compiler")
def test_aoti_package_runs_compiled_like_the_checkpoint(tmp_path):
    """AOTInductor compiles the exported program (a C++ compiler; about 30 s for a small U-Net on 2 cores)."""
    from torch._inductor import aoti_load_package
    checkpoint = _checkpoint(tmp_path, "unet", {"base_channels": 4, "depth": 2})
    result = export_checkpoint(checkpoint, "aoti")
    assert result["path"].name == "best_aoti.pt2" and result["max_difference"] <= 1e-4
    compiled = aoti_load_package(str(result["path"]))
    assert compiled(torch.randn(2, 3, 40, 52)).shape == (2, 2, 40, 52)


def test_torchscript_export_warns_nothing_and_the_cli_knows_every_format(tmp_path):
    """torch 2.14 deprecates torch.jit.save/load; the export silences that in one place (export/formats.py)."""
    import warnings

    from unetkit.cli import EXPORT_FORMAT_NAMES
    from unetkit.export import EXPORT_FORMATS
    assert set(EXPORT_FORMAT_NAMES) == set(EXPORT_FORMATS)
    checkpoint = _checkpoint(tmp_path, "unet", {})
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        export_checkpoint(checkpoint, "torchscript")
    deprecations = [w for w in caught if issubclass(w.category, (FutureWarning, DeprecationWarning))]
    assert not deprecations, [str(w.message) for w in deprecations]
