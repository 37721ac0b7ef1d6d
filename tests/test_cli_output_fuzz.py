"""The output side of every command (issue 43): an --out that is a file where a folder is wanted, a folder
where a file is, a path under a file, a folder this user may not write, and flags out of range, each end in
one line naming the flag and the path, exit 2, before any work, with nothing made or changed; odd but valid
names work. A table rather than hypothesis: the cases are the categories, each command is run on each."""
import os
import shutil
import sys
import tempfile
from pathlib import Path

import pytest

from unetkit.cli import main

REPO = Path(__file__).resolve().parents[1]

# (command, the arguments before the output path, the output option, whether it names a folder)
OUTPUTS = [
    ("predict", ["--checkpoint", "{ckpt}", "{images}"], "--out", True),
    ("cam", ["--checkpoint", "{ckpt}", "{image}"], "--out", True),
    ("export", ["--checkpoint", "{ckpt}"], "--out", False),
    ("export", ["--checkpoint", "{ckpt}", "--format", "safetensors"], "--out", False),
    ("evaluate", ["--checkpoint", "{ckpt}"], "--json", False),
    ("evaluate", ["--checkpoint", "{ckpt}"], "--per-image", False),
    ("evaluate", ["--checkpoint", "{ckpt}"], "--report", True),
    ("report", ["{run}"], "--out", True),
    ("review", ["{run}"], "--out", True),
    ("train", ["data.root={data}"], "--out", True),
    ("compare", ["{run}"], "--out", True),
    ("demo", [], "--out", True),
    ("weights-map", ["--config", str(REPO / "configs" / "isbi2012_paper.yaml")], "--out", False),
]


def _arguments(template, trained_run, synthetic_root):
    images = synthetic_root / "val" / "images"
    values = {"ckpt": str(trained_run / "best.pt"), "run": str(trained_run), "images": str(images),
              "image": str(sorted(images.iterdir())[0]), "data": str(synthetic_root)}
    return [part.format(**values) for part in template]


def _one_line_naming(code, err, *names):
    assert code == 2, err
    assert "Traceback" not in err, err
    lines = err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("unetkit: error: "), err
    for name in names:
        assert name in lines[0], (name, err)


@pytest.mark.parametrize("command,before,option,folder", OUTPUTS, ids=lambda v: v if isinstance(v, str) else None)
def test_an_output_of_the_wrong_kind_is_one_line_before_any_work(tmp_path, capsys, trained_run, synthetic_root,
                                                                 command, before, option, folder):
    arguments = [command, *_arguments(before, trained_run, synthetic_root)]
    a_file = tmp_path / "a_file"
    a_file.write_bytes(b"keep me")
    wrong = [a_file / "under" / ("x" if folder else "x.out"), (a_file if folder else tmp_path)]
    for path in wrong:
        before_listing = sorted(tmp_path.rglob("*"))
        code = main([*arguments, option, str(path)])
        _one_line_naming(code, capsys.readouterr().err, option, str(path))
        assert sorted(tmp_path.rglob("*")) == before_listing   # nothing made
        assert a_file.read_bytes() == b"keep me"               # nothing replaced
    if not folder:   # a name that ends in a separator asks for a folder
        code = main([*arguments, option, str(tmp_path / "new_folder") + os.sep])
        _one_line_naming(code, capsys.readouterr().err, option)
        assert not (tmp_path / "new_folder").exists()


@pytest.mark.parametrize("arguments,flag", [
    (["predict", "--checkpoint", "x.pt", "in", "--out", "o", "--alpha", "5"], "--alpha"),
    (["predict", "--checkpoint", "x.pt", "in", "--out", "o", "--alpha", "nan"], "--alpha"),
    (["predict", "--checkpoint", "x.pt", "in", "--out", "o", "--fps", "-2"], "--fps"),
    (["predict", "--checkpoint", "x.pt", "in", "--out", "o", "--device", "tpu"], "--device"),
    (["cam", "--checkpoint", "x.pt", "in", "--alpha", "-0.1"], "--alpha"),
    (["serve", "--checkpoint", "x.pt", "--port", "99999"], "--port"),
    (["serve", "--checkpoint", "x.pt", "--port", "-1"], "--port"),
    (["serve", "--checkpoint", "x.pt", "--workers", "0"], "--workers"),
    (["serve", "--checkpoint", "x.pt", "--max-mb", "0"], "--max-mb"),
    (["evaluate", "--checkpoint", "x.pt", "--tolerance", "0"], "--tolerance"),
    (["export", "--checkpoint", "x.pt", "--static", "0"], "--static"),
    (["export", "--checkpoint", "x.pt", "--opset", "3"], "--opset"),
    (["review", "run", "--top", "0"], "--top"),
    (["review", "run", "--min-region", "-4"], "--min-region"),
    (["report", "run", "--panels", "-1"], "--panels"),
    (["compare", "run", "--seeds", "0"], "--seeds"),
    (["train", "--folds", "1"], "--folds"),
    (["train", "--nproc", "0"], "--nproc"),
    (["weights-map", "--config", "c.yaml", "--out", "w.png", "--image", "-1"], "--image"),
])
def test_flags_out_of_range_are_refused_when_parsed(capsys, arguments, flag):
    with pytest.raises(SystemExit) as stopped:
        main(arguments)
    assert stopped.value.code == 2
    err = capsys.readouterr().err
    assert f"argument {flag}" in err and "Traceback" not in err, err


def test_a_device_this_machine_lacks_is_one_line(tmp_path, capsys, checkpoint, synthetic_root):
    import torch
    if torch.cuda.is_available():
        pytest.skip("this machine has CUDA: the refusal is for machines without it")
    code = main(["predict", "--checkpoint", str(checkpoint), str(synthetic_root / "val" / "images"),
                 "--out", str(tmp_path / "p"), "--device", "cuda"])
    _one_line_naming(code, capsys.readouterr().err, "cuda")
    code = main(["evaluate", "--checkpoint", str(checkpoint), "--device", "cuda:3"])
    _one_line_naming(code, capsys.readouterr().err, "cuda:3")


def test_odd_but_valid_output_names_work(tmp_path, capsys, checkpoint, synthetic_root):
    out = tmp_path / "new parent" / "préd ictions"
    assert main(["predict", "--checkpoint", str(checkpoint), str(synthetic_root / "val" / "images"),
                 "--out", str(out)]) == 0
    assert any(out.glob("*.png"))
    exported = tmp_path / "made" / "for you" / "modèle.safetensors"
    assert main(["export", "--checkpoint", str(checkpoint), "--format", "safetensors", "--out", str(exported)]) == 0
    assert exported.is_file()


@pytest.fixture
def shared_folder():
    """A folder another user can read (pytest's tmp_path is private to its owner)."""
    folder = Path(tempfile.mkdtemp(prefix="unetkit-shared-"))
    folder.chmod(0o755)
    yield folder
    shutil.rmtree(folder, ignore_errors=True)


def _as_nobody(arguments: list[str]) -> tuple[int, str]:
    """`unetkit ARGUMENTS` in a forked child that is the user `nobody` when the tests run as root (root may
    write anywhere: permissions mean nothing to it; an exec'd interpreter under /root would not be
    reachable by nobody, so the child runs the already imported CLI): (exit code, stderr)."""
    read, write = os.pipe()
    pid = os.fork()
    if pid == 0:   # the child: never returns into pytest
        code = 99
        try:
            os.close(read)
            sys.stderr = open(write, "w", closefd=False)   # pytest's capture is not fd 2
            if os.geteuid() == 0:
                os.setgid(65534)
                os.setuid(65534)
            code = main(arguments)
        except BaseException as error:   # noqa: BLE001 - reported to the parent as the test's failure
            sys.stderr.write(f"Traceback: {error!r}")
        finally:
            sys.stderr.flush()
            os._exit(code if isinstance(code, int) else 98)
    os.close(write)
    with os.fdopen(read) as stream:
        err = stream.read()
    _, status = os.waitpid(pid, 0)
    return os.waitstatus_to_exitcode(status), err


def test_a_folder_one_may_not_write_is_one_line_and_nothing_is_done(shared_folder, checkpoint, synthetic_root):
    locked = shared_folder / "locked"
    locked.mkdir()
    locked.chmod(0o555)
    images = str(synthetic_root / "val" / "images")
    for arguments, option in ((["predict", "--checkpoint", str(checkpoint), images, "--out", str(locked / "p")], "--out"),
                              (["predict", "--checkpoint", str(checkpoint), images, "--out", str(locked)], "--out"),
                              (["export", "--checkpoint", str(checkpoint), "--out", str(locked / "m.onnx")], "--out"),
                              (["evaluate", "--checkpoint", str(checkpoint), "--json", str(locked / "m.json")], "--json")):
        code, err = _as_nobody(arguments)
        _one_line_naming(code, err, option, "not writable")
        assert not any(locked.iterdir())


def test_an_output_name_too_long_and_an_infinite_flag_are_one_line(tmp_path, capsys, checkpoint, synthetic_root):
    """Review of issue 43: Path.exists raises on a name over the file system's limit; --max-mb inf passed the
    range check and overflowed."""
    code = main(["predict", "--checkpoint", str(checkpoint), str(synthetic_root / "val" / "images"),
                 "--out", str(tmp_path / ("x" * 300) / "p")])
    _one_line_naming(code, capsys.readouterr().err, "--out")
    with pytest.raises(SystemExit):
        main(["serve", "--checkpoint", "x.pt", "--max-mb", "inf"])
    assert "argument --max-mb" in capsys.readouterr().err
