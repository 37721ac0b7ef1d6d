"""The command line as a user meets it: every bad input is one line on stderr and exit code 2."""
import ast
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from unetkit.cli import COMMANDS, main

from .conftest import write_png


def _run(capsys, *argv):
    code = main(list(argv))
    captured = capsys.readouterr()
    return code, captured.err.strip()


def _assert_one_line_error(code, err, *words):
    assert code == 2
    assert len(err.splitlines()) == 1, err
    assert err.startswith("unetkit: error: ")
    for word in words:
        assert word in err, (word, err)


def _folder_dataset(root, mask_array=None, mask_size=(16, 16), skip_mask=False):
    write_png(root / "train/images/a.png", np.zeros((16, 16, 3), np.uint8))
    write_png(root / "train/images/b.png", np.zeros((16, 16, 3), np.uint8))
    write_png(root / "train/masks/a.png", np.zeros((16, 16), np.uint8))
    if not skip_mask:
        write_png(root / "train/masks/b.png", mask_array if mask_array is not None else np.zeros(mask_size, np.uint8))
    return root


def _train_args(tmp_path, root, *extra):
    return ["train", "--out", str(tmp_path / "run"), f"data.root={root}", "train.epochs=1",
            "train.progress=false", *extra]


def test_unknown_config_key(capsys, tmp_path):
    code, err = _run(capsys, *_train_args(tmp_path, tmp_path, "train.epocs=3"))
    _assert_one_line_error(code, err, "unknown config key 'train.epocs'")


def test_wrong_type(capsys, tmp_path):
    code, err = _run(capsys, *_train_args(tmp_path, tmp_path, "train.batch_size=big"))
    _assert_one_line_error(code, err, "'train.batch_size' expects an integer", "big")


def test_bad_yaml_file(capsys, tmp_path):
    (tmp_path / "c.yaml").write_text("train: [unclosed\n")
    code, err = _run(capsys, "train", "--config", str(tmp_path / "c.yaml"), "--out", str(tmp_path / "run"))
    _assert_one_line_error(code, err, "c.yaml: not valid YAML")


def test_no_image_with_a_mask(capsys, tmp_path):
    """An image without a mask is left out with a warning (tests/data/test_formats.py); none with one stops."""
    root = tmp_path / "data"
    for name in ("a", "b"):
        write_png(root / f"train/images/{name}.png", np.zeros((16, 16, 3), np.uint8))
    write_png(root / "train/masks/zz.png", np.zeros((16, 16), np.uint8))
    code, err = _run(capsys, *_train_args(tmp_path, root))
    _assert_one_line_error(code, err, "no image has a mask (2 images;", "a.png: no mask file named a.*")


def test_size_mismatch(capsys, tmp_path):
    root = _folder_dataset(tmp_path / "data", mask_size=(16, 12))
    code, err = _run(capsys, *_train_args(tmp_path, root))
    _assert_one_line_error(code, err, "masks/b.png", "12x16", "16x16")


def test_label_values_outside_classes(capsys, tmp_path):
    mask = np.zeros((16, 16), np.uint8)
    mask[3, 3] = 9
    root = _folder_dataset(tmp_path / "data", mask_array=mask)
    code, err = _run(capsys, *_train_args(tmp_path, root, "data.mask=index", "data.num_classes=3"))
    _assert_one_line_error(code, err, "masks/b.png", "label values 9 outside classes 0..2")


def test_unreadable_file(capsys, tmp_path):
    root = _folder_dataset(tmp_path / "data")
    (root / "train/images/b.png").write_bytes(b"\x89PNG truncated")
    code, err = _run(capsys, *_train_args(tmp_path, root))
    _assert_one_line_error(code, err, "images/b.png", "unreadable image")


def test_missing_dataset_and_checkpoint(capsys, tmp_path):
    code, err = _run(capsys, *_train_args(tmp_path, tmp_path / "nope"))
    _assert_one_line_error(code, err, "nope: dataset folder not found")
    code, err = _run(capsys, "evaluate", "--checkpoint", str(tmp_path / "x.pt"))
    _assert_one_line_error(code, err, "x.pt: checkpoint not found")
    code, err = _run(capsys, "predict", "--checkpoint", str(tmp_path / "x.pt"), "img.png", "--out", str(tmp_path))
    _assert_one_line_error(code, err, "x.pt: checkpoint not found")


def test_resume_without_run(capsys, tmp_path):
    code, err = _run(capsys, "train", "--out", str(tmp_path / "run"), "--resume", f"data.root={tmp_path}")
    _assert_one_line_error(code, err, "nothing to resume")


def test_train_evaluate_predict(capsys, tmp_path, trained_run, synthetic_root):
    capsys.readouterr()
    code = main(["evaluate", "--checkpoint", str(trained_run / "best.pt"), "--split", "test",
                 "--json", str(tmp_path / "m.json")])
    out = capsys.readouterr().out
    assert code == 0 and "miou" in out and (tmp_path / "m.json").is_file()
    code = main(["predict", "--checkpoint", str(trained_run / "best.pt"), str(synthetic_root / "test/images"),
                 "--out", str(tmp_path / "preds"), "--overlay", "--probs"])
    names = sorted(p.name for p in (tmp_path / "preds").iterdir())
    assert code == 0 and names == ["classes.json", "test_000.png", "test_000_overlay.png", "test_000_probs.npy",
                                   "test_001.png", "test_001_overlay.png", "test_001_probs.npy"]


def test_evaluate_with_overrides_on_other_data(capsys, tmp_path, trained_run):
    from unetkit.data.synthetic import write_synthetic_dataset
    other = tmp_path / "other"
    write_synthetic_dataset(other, {"test": 1}, size=48, seed=5)
    code = main(["evaluate", "--checkpoint", str(trained_run / "best.pt"), f"data.root={other}"])
    assert code == 0 and "pixel_accuracy" in capsys.readouterr().out


def test_console_script_runs(tmp_path):
    """The installed entry point, as a new user calls it."""
    result = subprocess.run([sys.executable, "-m", "unetkit", "train", "--out", str(tmp_path), "train.nope=1"],
                            capture_output=True, text=True)
    assert result.returncode == 2 and result.stderr.strip() == "unetkit: error: unknown config key 'train.nope'"


def test_overrides_may_follow_options(capsys, tmp_path, trained_run, synthetic_root):
    code = main(["predict", "--checkpoint", str(trained_run / "best.pt"), str(synthetic_root / "test/images"),
                 "--out", str(tmp_path / "p"), "infer.tile=32", "--overlay"])
    assert code == 0 and (tmp_path / "p" / "test_000_overlay.png").is_file()
    with pytest.raises(SystemExit):
        main(["predict", "--checkpoint", "x.pt", "a.png", "--out", str(tmp_path), "--no-such-flag"])


def test_probability_png_flag_before_inputs(tmp_path, trained_run, synthetic_root):
    code = main(["predict", "--checkpoint", str(trained_run / "best.pt"), "--probs", "--probs-format", "png",
                 str(synthetic_root / "val/images/val_000.png"), "--out", str(tmp_path)])
    assert code == 0 and (tmp_path / "val_000_probs.png").is_file()


# issue 15: each case a new user met with a traceback or a misleading exit status before the fix

def test_random_bytes_checkpoint_is_one_line(capsys, tmp_path):
    """Before: some random files ended in `IndexError: list index out of range` from torch.load."""
    checkpoint = tmp_path / "random.pt"
    for seed in (64, 81, 513):   # seeds whose bytes escaped torch.load's own errors
        rng = np.random.default_rng(seed)
        prefix = [b"", b"\x80\x02", b"PK\x03\x04", b"\x80\x04\x95"][seed % 4]
        checkpoint.write_bytes(prefix + rng.integers(0, 256, int(rng.integers(0, 2000)), dtype=np.uint8).tobytes())
        code, err = _run(capsys, "predict", "--checkpoint", str(checkpoint), "img.png", "--out", str(tmp_path))
        _assert_one_line_error(code, err, "random.pt: not a readable checkpoint")
        assert "weights_only" not in err   # torch's advice to run the file's code is not repeated


@pytest.mark.parametrize("override, words", [
    ("train.lr=-1", ["train.lr", "> 0"]),
    ("train.batch_size=0", ["train.batch_size", "positive"]),
    ("train.momentum=1.5", ["train.sgd.momentum", "[0, 1)"]),   # the earlier flat key names its new place
    ("train.max_minutes=-3", ["train.max_minutes"]),
])
def test_bad_numbers_are_config_errors(capsys, tmp_path, override, words):
    """Before: train.lr=-1 ended in `ValueError: Invalid learning rate: -1.0` from inside torch."""
    root = _folder_dataset(tmp_path / "data")
    code, err = _run(capsys, *_train_args(tmp_path, root, override))
    _assert_one_line_error(code, err, *words)


@pytest.mark.parametrize("overrides, words", [
    (["model.depth=9", "data.patch_size=64"], ["data.patch_size=64", "model.depth=9", "multiple of 512"]),
    (["model.padding=valid", "model.depth=4", "data.patch_size=560"], ["data.patch_size=560", "model.padding=valid",
                                                                        "572"]),
])
def test_patch_size_that_does_not_fit_the_network(capsys, tmp_path, overrides, words):
    """Before: `ValueError: input 64x64 must be a multiple of 512` from the first step (and a depth-9
    network of 32 base channels was built first: gigabytes of weights)."""
    root = _folder_dataset(tmp_path / "data")
    code, err = _run(capsys, *_train_args(tmp_path, root, *overrides))
    _assert_one_line_error(code, err, *words)
    assert not (tmp_path / "run" / "last.pt").exists()


def test_predict_exits_1_when_nothing_was_predicted(capsys, tmp_path, checkpoint, synthetic_root):
    """Before: "wrote 0 files ... skipped 1 unreadable inputs" and exit 0."""
    (tmp_path / "bad.png").write_bytes(b"not an image")
    code = main(["predict", "--checkpoint", str(checkpoint), str(tmp_path / "bad.png"), "--out", str(tmp_path / "o")])
    err = capsys.readouterr().err
    assert code == 1 and "nothing predicted: all 1 inputs were unreadable" in err and "bad.png" in err
    good = synthetic_root / "val/images/val_000.png"   # one good input among bad ones: success
    code = main(["predict", "--checkpoint", str(checkpoint), str(tmp_path / "bad.png"), str(good),
                 "--out", str(tmp_path / "o")])
    assert code == 0 and "skipped 1 unreadable inputs" in capsys.readouterr().out


# the command table: each command declares its help, its arguments and its run beside its code

@pytest.mark.parametrize("name", list(COMMANDS))
def test_every_command_declares_its_arguments_and_run_and_its_help_renders(name, capsys):
    command = COMMANDS[name]
    assert isinstance(command.HELP, str) and command.HELP
    assert callable(command.add_arguments) and callable(command.run)
    with pytest.raises(SystemExit) as stopped:
        main([name, "--help"])
    help_text = capsys.readouterr().out
    assert stopped.value.code == 0 and help_text.startswith(f"usage: unetkit {name} ")
    assert " ".join(command.HELP.split()) in " ".join(help_text.split())
    with pytest.raises(SystemExit):
        main(["--help"])
    assert name in capsys.readouterr().out


@pytest.mark.parametrize("name", list(COMMANDS))
def test_command_modules_import_their_app_only_when_run(name):
    """Parsing arguments needs no torch, ONNX or web server: a command module's top level imports only
    the standard library and its sibling command modules."""
    path = Path(COMMANDS[name].__file__)
    for node in ast.parse(path.read_text()).body:
        if isinstance(node, ast.ImportFrom) and node.level:
            assert node.level == 1, f"{path.name}:{node.lineno} imports from outside apps/commands/ at its top"
        elif isinstance(node, (ast.Import, ast.ImportFrom)):
            names = [alias.name for alias in node.names] if isinstance(node, ast.Import) else [node.module]
            assert all(top.split(".")[0] in sys.stdlib_module_names or top == "__future__" for top in names), \
                f"{path.name}:{node.lineno} imports {names} at its top"


def test_the_readme_lists_every_command_and_the_exit_codes():
    """issue 43: the README's command list is complete, and its exit-code table names every code main returns."""
    from pathlib import Path

    from unetkit.cli import COMMANDS
    readme = (Path(__file__).resolve().parents[1] / "README.md").read_text()
    assert [name for name in COMMANDS if f"unetkit {name} " not in readme] == []
    table = readme[readme.index("### Exit codes"):]
    for code in ("| 0 |", "| 1 |", "| 2 |", "| 130 |"):
        assert code in table
