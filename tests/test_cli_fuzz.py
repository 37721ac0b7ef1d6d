"""Fuzz the command line (issue 15): `unetkit predict` and `evaluate` on fuzzed files, names and
settings end with exit 0, 1 (nothing predicted) or 2 (one line saying what is wrong), never a
traceback."""
import io
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
from hypothesis import given
from hypothesis import strategies as st
from PIL import Image

from unetkit.cli import main

from .fuzzing import fuzz

INFER_SETTINGS = st.sampled_from([
    "infer.tile=32", "infer.tile=0", "infer.tile=-5", "infer.tile=abc", "infer.overlap=0.99", "infer.overlap=1",
    "infer.tta=true", "infer.tta=maybe", "infer.threshold=2", "infer.resize=letterbox", "infer.size=0",
    "infer.postprocess=[largest_component]", "infer.postprocess=[melt]", "infer.batch=3", "infer.blend=box",
    "infer.min_size=-1", "train.epochs=3", "nonsense", "infer.pad_value=300",
])
NAMES = st.sampled_from(["a.png", "b.jpg", "c.tif", "noext", "d.PNG", "sp ace.png", "ü.png", "x" * 200 + ".png"])


@st.composite
def input_files(draw):
    """(name, bytes): a small valid image, a damaged one, or noise."""
    kind = draw(st.sampled_from(["image", "image", "damaged", "noise", "empty"]))
    height, width = draw(st.integers(1, 70)), draw(st.integers(1, 70))
    buffer = io.BytesIO()
    Image.fromarray(np.random.default_rng(height * width).integers(0, 256, (height, width, 3), dtype=np.uint8)).save(
        buffer, "PNG")
    data = buffer.getvalue()
    if kind == "damaged":
        data = data[:draw(st.integers(0, len(data) - 1))]
    elif kind == "noise":
        data = draw(st.binary(min_size=1, max_size=500))
    elif kind == "empty":
        data = b""
    return draw(NAMES), data


def _check(code, err):
    assert code in (0, 1, 2), (code, err)
    if code:
        lines = err.strip().splitlines()
        assert lines and lines[-1].startswith("unetkit: error: "), err
        assert "Traceback" not in err, err


@fuzz(40)
@given(files=st.lists(input_files(), min_size=1, max_size=3), settings=st.lists(INFER_SETTINGS, max_size=2))
def test_predict_on_fuzzed_inputs_and_settings(tmp_path, capsys, checkpoint, files, settings):
    import tempfile
    folder = Path(tempfile.mkdtemp(dir=tmp_path))   # hypothesis calls the test many times with one tmp_path
    for index, (name, data) in enumerate(files):
        (folder / f"{index}_{name}").write_bytes(data)
    code = main(["predict", "--checkpoint", str(checkpoint), str(folder), "--out", str(folder / "out"), *settings])
    _check(code, capsys.readouterr().err)


@fuzz(25)
@given(data=st.binary(max_size=400), suffix=st.sampled_from([".pt", ".onnx", ".safetensors", ""]),
       command=st.sampled_from(["predict", "evaluate", "export", "cam"]))
def test_every_command_on_a_fuzzed_model_file(tmp_path, capsys, synthetic_root, data, suffix, command):
    model = tmp_path / f"model{suffix}"
    model.write_bytes(data)
    image = str(synthetic_root / "val/images/val_000.png")
    flag = "--model" if suffix == ".onnx" and command == "predict" else "--checkpoint"
    argv = {"predict": ["predict", flag, str(model), image, "--out", str(tmp_path / "o")],
            "evaluate": ["evaluate", "--checkpoint", str(model)],
            "export": ["export", "--checkpoint", str(model), "--out", str(tmp_path / "e.onnx")],
            "cam": ["cam", "--checkpoint", str(model), image, "--out", str(tmp_path / "c")]}[command]
    _check(main(argv), capsys.readouterr().err)


def test_non_utf8_file_names_through_the_real_process(tmp_path, checkpoint):
    """A Latin-1 file name (not valid UTF-8) that is not an image: the message prints it escaped."""
    folder = os.fsencode(tmp_path)
    with open(folder + b"/caf\xe9.png", "wb") as handle:
        handle.write(b"not an image")
    result = subprocess.run([sys.executable, "-m", "unetkit", "predict", "--checkpoint", str(checkpoint),
                             folder + b"/caf\xe9.png", "--out", str(tmp_path / "o")], capture_output=True)
    err = result.stderr.decode("utf-8")
    assert result.returncode == 1 and "Traceback" not in err, err
    assert "nothing predicted" in err and "caf\\udce9.png" in err or "caf\\xe9.png" in err
