"""The exit codes of the README's table (issue 43), one test per case: 1 when the inputs held nothing to work
on (predict, cam), 2 with one line for a user error (a busy port, a bad host, a YAML syntax error with its
line and column, nothing to resume, a missing optional extra), and no run folder left by a refused plan."""
import socket
import subprocess
import sys

import pytest

from unetkit.cli import main


def _one_line(err: str) -> str:
    assert "Traceback" not in err, err
    lines = err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("unetkit: error: "), err
    return lines[0]


def test_predict_and_cam_exit_1_on_an_empty_folder_or_unreadable_inputs(tmp_path, capsys, checkpoint):
    empty = tmp_path / "empty"
    empty.mkdir()
    broken = tmp_path / "broken"
    broken.mkdir()
    (broken / "a.png").write_bytes(b"not a png")
    for inputs in (empty, broken):
        assert main(["predict", "--checkpoint", str(checkpoint), str(inputs), "--out", str(tmp_path / "p")]) == 1
        assert "nothing" in _one_line(capsys.readouterr().err)
        assert main(["cam", "--checkpoint", str(checkpoint), str(inputs), "--out", str(tmp_path / "c"),
                     "--no-faithfulness"]) == 1
        assert "nothing" in capsys.readouterr().err
    assert not (tmp_path / "c" / "cam.json").exists()   # nothing explained: no summary claiming otherwise


def test_serve_on_a_busy_port_says_so_in_one_line_before_loading(tmp_path, capsys):
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen(1)
        port = busy.getsockname()[1]
        # the checkpoint does not exist: the port is checked first, so the port is what is said
        code = main(["serve", "--checkpoint", str(tmp_path / "missing.pt"), "--port", str(port)])
    assert code == 2
    line = _one_line(capsys.readouterr().err)
    assert f"--port {port}" in line and "in use" in line
    assert "serving on" not in line


def test_serve_on_a_host_this_machine_does_not_have_is_one_line(tmp_path, capsys):
    assert main(["serve", "--checkpoint", str(tmp_path / "missing.pt"), "--host", "no-such-host.invalid"]) == 2
    assert "--host no-such-host.invalid" in _one_line(capsys.readouterr().err)


def test_a_yaml_syntax_error_names_line_and_column(tmp_path, capsys):
    config = tmp_path / "bad.yaml"
    config.write_text("train:\n  epochs: 3\n  lr: [1,\nmodel: x: y\n")
    assert main(["train", "--config", str(config), "--out", str(tmp_path / "run")]) == 2
    line = _one_line(capsys.readouterr().err)
    assert str(config) in line and "line 4, column" in line
    assert not (tmp_path / "run").exists()


def test_resuming_an_empty_folder_says_there_is_nothing_to_resume(tmp_path, capsys):
    (tmp_path / "empty_run").mkdir()
    assert main(["train", "--out", str(tmp_path / "empty_run"), "--resume"]) == 2
    assert "nothing to resume" in _one_line(capsys.readouterr().err)


def test_a_refused_plan_leaves_no_run_folder(tmp_path, capsys):
    out = tmp_path / "runs" / "auto-missing"
    assert main(["train", f"data.root={tmp_path / 'missing'}", "--out", str(out)]) == 2
    _one_line(capsys.readouterr().err)
    assert not out.exists() and not (tmp_path / "runs").exists()


def test_a_missing_optional_extra_is_named_in_one_line(tmp_path):
    """fastapi made unimportable (as in an install without the serve extra; .ci/wheel_check does it for real)."""
    code = ("import sys; sys.modules['fastapi'] = None; from unetkit.cli import main; "
            f"sys.exit(main(['serve', '--checkpoint', {str(tmp_path / 'x.pt')!r}]))")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert done.returncode == 2, done.stderr
    assert "pip install 'unetkit[serve]'" in _one_line(done.stderr)


@pytest.mark.parametrize("device", ["tpu", "cuda:x", "meta"])
def test_a_device_that_is_not_one_is_refused_at_parse_time(capsys, device):
    with pytest.raises(SystemExit) as stopped:
        main(["predict", "--checkpoint", "x.pt", "in", "--out", "o", "--device", device])
    assert stopped.value.code == 2 and "argument --device" in capsys.readouterr().err


def test_a_config_device_this_machine_lacks_is_one_line(tmp_path, capsys, synthetic_root):
    import torch
    if torch.cuda.is_available():
        pytest.skip("this machine has CUDA")
    from tests.conftest import tiny_overrides
    code = main(["train", "--out", str(tmp_path / "run"), *tiny_overrides(synthetic_root), "train.device=cuda"])
    assert code == 2 and "cuda" in _one_line(capsys.readouterr().err)
    for device in ("tpu", "xpu"):
        code = main(["train", "--out", str(tmp_path / f"run_{device}"), *tiny_overrides(synthetic_root),
                     f"train.device={device}"])
        assert code == 2 and device in _one_line(capsys.readouterr().err)


def test_resume_that_changes_the_model_names_the_key(tmp_path, capsys, trained_run):
    import shutil
    run = tmp_path / "run"
    shutil.copytree(trained_run, run)
    last = (run / "last.pt").read_bytes()
    assert main(["train", "--out", str(run), "--resume", "model.base_channels=8"]) == 2
    assert "model.base_channels" in _one_line(capsys.readouterr().err)
    assert (run / "last.pt").read_bytes() == last   # the run is left as it was


def test_a_configured_run_that_cannot_read_its_data_leaves_no_run_folder(tmp_path, capsys, synthetic_root):
    from tests.conftest import tiny_overrides
    out = tmp_path / "run"
    overrides = [o for o in tiny_overrides(synthetic_root) if not o.startswith("data.root=")]
    assert main(["train", "--out", str(out), *overrides, f"data.root={tmp_path / 'missing'}"]) == 2
    assert "missing" in _one_line(capsys.readouterr().err)
    assert not out.exists()
