"""The export's guards fed what they must refuse (issue 31): a file whose weights were altered, or whose
metadata says another normalisation or other classes, fails the export and is removed; the parity
measure sees a difference on one pixel of one input."""
import copy
import dataclasses

import pytest
import torch

from unetkit.apps.export import export_checkpoint
from unetkit.errors import ExportError
from unetkit.export import EXPORT_FORMATS, ExportFormat, max_probability_difference, metadata_differences, parity_inputs
from unetkit.export.formats import load_onnx_runner, read_onnx_metadata, write_onnx
from unetkit.models import Normalization

from .test_formats import _checkpoint


def _altered_weights(model, meta, path, sample, opset=17, dynamic=True):
    changed = copy.deepcopy(model)
    with torch.no_grad():
        changed.head.weight.mul_(1.5)          # the last conv: every output probability moves
    return write_onnx(changed, meta, path, sample, opset, dynamic)


def _altered_normalization(model, meta, path, sample, opset=17, dynamic=True):
    shifted = Normalization(tuple(m + 0.1 for m in meta.normalization.mean), meta.normalization.std)
    return write_onnx(model, dataclasses.replace(meta, normalization=shifted), path, sample, opset, dynamic)


def _renamed_classes(model, meta, path, sample, opset=17, dynamic=True):
    return write_onnx(model, dataclasses.replace(meta, class_names=list(reversed(meta.class_names))), path, sample,
                      opset, dynamic)


@pytest.mark.parametrize(("write", "words"), [
    (_altered_weights, "probabilities differ"),
    (_altered_normalization, r"metadata \(normalization\)"),
    (_renamed_classes, r"metadata \(class_names\)"),
])
def test_a_wrong_export_fails_and_its_file_is_removed(tmp_path, write, words):
    checkpoint = _checkpoint(tmp_path, "unet", {})
    broken = ExportFormat("onnx", ".onnx", write, load_onnx_runner, read_onnx_metadata)
    with EXPORT_FORMATS.registered("broken_onnx", broken):
        with pytest.raises(ExportError, match=words) as error:
            export_checkpoint(checkpoint, "broken_onnx", tmp_path / "m.onnx")
    assert "the file was removed" in str(error.value) and not (tmp_path / "m.onnx").exists()
    assert export_checkpoint(checkpoint, "onnx", tmp_path / "m.onnx")["path"].is_file()   # the true one passes


def test_the_parity_measure_sees_one_pixel_of_one_input():
    """The largest difference, not a typical one: a runner wrong on a single pixel of a single input
    must give that pixel's difference (a .min() or a mean would report ~0)."""
    torch.manual_seed(0)
    from unetkit.models import build_model
    model = build_model("unet", 3, 2, base_channels=4, depth=2).eval()
    inputs = parity_inputs(model, [(32, 32), (48, 40)])

    def almost(images):
        with torch.no_grad():
            logits = model(images).clone()
        if images.shape[-1] == 40:
            logits[0, 1, 5, 7] += 20.0          # one pixel of the last inputs says the other class
        return logits
    assert max_probability_difference(model, almost, inputs) > 0.4
    assert max_probability_difference(model, lambda images: model(images).detach(), inputs) == 0.0


def test_metadata_differences_compare_values_not_text():
    expected = {"normalization": '{"mean": [0.5], "std": [0.2]}', "class_names": '["a", "b"]', "model_name": "unet"}
    assert metadata_differences(expected, {**expected, "normalization": '{"std": [0.2], "mean": [0.5]}'}) == []
    assert metadata_differences(expected, {**expected, "class_names": '["b", "a"]'}) == ["class_names"]
    assert "model_name" in metadata_differences(expected, {})


def test_an_int8_model_that_went_wrong_reports_its_drop(tmp_path, monkeypatch):
    """The int8 accuracy report fed a bad int8 file (its head's weights negated: the classes swap): the
    drop printed and stored is the true, large one, measured on the masks."""
    import json

    import numpy as np
    import onnx
    from onnx import numpy_helper
    from PIL import Image

    import unetkit.export.quantize as quantize
    from unetkit.apps.export import quantize_export

    def broken_quantization(fp32_path, int8_path, crops):
        graph = onnx.load(str(fp32_path))
        head = [node for node in graph.graph.node if node.op_type == "Conv"][-1]
        for initializer in graph.graph.initializer:
            if initializer.name in head.input[1:]:
                initializer.CopyFrom(numpy_helper.from_array(-numpy_helper.to_array(initializer), initializer.name))
        onnx.save(graph, str(int8_path))
    monkeypatch.setattr(quantize, "quantize_int8", broken_quantization)
    checkpoint = _checkpoint(tmp_path, "unet", {})
    rng = np.random.default_rng(3)
    for folder in ("images", "masks"):
        (tmp_path / folder).mkdir()
    from unetkit import Predictor
    predictor = Predictor.from_checkpoint(checkpoint, device="cpu", precision="fp32")
    for index in range(3):   # masks = the fp32 model's own labels: fp32 scores 1, the swapped model far less
        image = rng.integers(0, 256, (64, 80, 3), dtype=np.uint8)
        Image.fromarray(image).save(tmp_path / "images" / f"i{index}.png")
        Image.fromarray(predictor.predict(image).labels * 255).save(tmp_path / "masks" / f"i{index}.png")
    result = quantize_export(checkpoint, tmp_path / "images", tmp_path / "q.onnx", masks_dir=tmp_path / "masks")
    accuracy = result["accuracy"]
    assert accuracy["fp32"] == pytest.approx(1.0, abs=1e-3) and accuracy["drop"] > 0.3
    assert accuracy["drop"] == pytest.approx(accuracy["fp32"] - accuracy["int8"])
    stored = {p.key: p.value for p in onnx.load(str(tmp_path / "q.onnx")).metadata_props}
    assert json.loads(stored["int8_accuracy"])["drop"] == pytest.approx(accuracy["drop"])


def test_the_parity_inputs_are_noise_and_smooth_images_at_every_size_the_network_takes():
    """Found by `make mutants` (issue 31): two inputs per size, seeded, of the model's channels; the second
    smooth (image-like); the sizes are the traced one, a non-square one and a larger one, all accepted.
    A runner whose output has another shape is an infinite difference, not an error."""
    from unetkit.export import parity_sizes
    from unetkit.models import build_model
    model = build_model("unet", 3, 2, base_channels=4, depth=2, padding="valid").eval()
    sizes = parity_sizes(model, 92)
    assert sizes[0] == (92, 92) and sizes[1][0] != sizes[1][1] and min(sizes[2]) > 92
    fit = model.input_size_for                               # by hand: side + 3 and + 1 multiples, twice the side
    assert sizes == [(92, 92), (fit(92 + 3 * model.size_multiple), fit(92 + model.size_multiple)), (fit(184), fit(184))]
    assert sizes[1][0] > sizes[1][1] > 92
    with torch.no_grad():
        assert all(model(torch.zeros(1, 3, *size)).shape[0] == 1 for size in sizes)    # the network takes them
    inputs = parity_inputs(model, sizes[:2], seed=3)
    assert [tuple(x.shape) for x in inputs] == [(1, 3, 92, 92)] * 2 + [(1, 3, *sizes[1])] * 2
    assert all(torch.equal(a, b) for a, b in zip(inputs, parity_inputs(model, sizes[:2], seed=3)))
    assert not torch.equal(inputs[0], parity_inputs(model, sizes[:1], seed=4)[0])

    def roughness(x):
        return (x[..., 1:, :] - x[..., :-1, :]).abs().mean() / x.std()
    noise, smooth = inputs[0], inputs[1]
    assert roughness(smooth) < 0.2 < roughness(noise) and 1.0 < smooth.std() < 3.0
    tall = parity_inputs(model, [(92, 60)])[1]
    assert tall.shape[-2:] == (92, 60) and roughness(tall) < 0.3
    assert max_probability_difference(model, lambda images: model(images)[..., 1:, :].detach(), inputs) == float("inf")


def test_metadata_differences_when_keys_are_missing_or_not_json():
    expected = {"model_name": "unet", "ignore_index": "255", "model_args": "not json {"}
    assert metadata_differences(expected, dict(expected)) == []
    assert metadata_differences(expected, {**expected, "ignore_index": "255.0"}) == []      # the same value
    assert metadata_differences(expected, {**expected, "model_args": "not json ["}) == ["model_args"]
    assert metadata_differences({"class_names": None}, {}) == []                            # absent from both
    assert metadata_differences({}, {"in_channels": "3"}) == ["in_channels"]
