"""Progress output: a live bar on a terminal, a few plain lines on a file or pipe (issue 15)."""
import fcntl
import io
import os
import pty
import struct
import subprocess
import sys
import termios

from unetkit.progress import LineProgress, SilentProgress, progress, to_terminal

from .conftest import tiny_overrides


def test_a_file_gets_lines_at_most_every_n_seconds_and_one_at_the_end():
    stream = io.StringIO()
    bar = progress(range(500), "epoch 1/3", "batch", every=3600, stream=stream)
    assert isinstance(bar, LineProgress) and not to_terminal(stream)
    for step in bar:
        bar.set_postfix(loss=f"{1 / (step + 1):.4f}")
    lines = stream.getvalue().splitlines()
    assert len(lines) == 1 and "\r" not in stream.getvalue()
    assert lines[0].startswith("epoch 1/3: 500/500 batch in ") and "batch/s" in lines[0] and "loss=0.0020" in lines[0]
    stream = io.StringIO()
    for _ in progress(range(3), "predict", "img", every=0.0, stream=stream):
        pass
    assert len(stream.getvalue().splitlines()) == 4   # every update (every=0) and the final line


def test_disabled_progress_prints_nothing():
    stream = io.StringIO()
    bar = progress(range(5), "x", enabled=False, every=0.0, stream=stream)
    assert isinstance(bar, SilentProgress) and list(bar) == [0, 1, 2, 3, 4] and stream.getvalue() == ""


def _train_command(root, run):
    return [sys.executable, "-m", "unetkit", "train", "--out", str(run), *tiny_overrides(root), "train.progress=true",
            "train.epochs=3", "data.patches_per_epoch=64"]


def test_training_into_a_file_writes_lines_not_bar_redraws(tmp_path, synthetic_root):
    """Before: tqdm redrew its bar on every step into the file (`\\r` frames, megabytes for DRIVE)."""
    log = tmp_path / "out.log"
    with open(log, "w") as handle:
        result = subprocess.run(_train_command(synthetic_root, tmp_path / "run"), stdout=handle, stderr=handle)
    text = log.read_text()
    assert result.returncode == 0, text
    assert "\r" not in text and "|" not in text.replace("| ", "")   # no bar frames
    epoch_lines = [line for line in text.splitlines() if " epoch " in line and "img/s" in line]
    assert len(epoch_lines) == 3 and all("min left" in line for line in epoch_lines)


def test_training_on_a_terminal_draws_a_live_bar(tmp_path, synthetic_root):
    primary, secondary = pty.openpty()
    fcntl.ioctl(secondary, termios.TIOCSWINSZ, struct.pack("HHHH", 24, 100, 0, 0))   # a 100-column terminal
    process = subprocess.Popen(_train_command(synthetic_root, tmp_path / "run"), stdout=secondary, stderr=secondary)
    os.close(secondary)
    output = b""
    while True:
        try:
            chunk = os.read(primary, 65536)
        except OSError:   # the terminal closed with the process
            break
        if not chunk:
            break
        output += chunk
    assert process.wait(timeout=120) == 0
    text = output.decode(errors="replace")
    assert "epoch 1/3:" in text and "%|" in text, text   # tqdm draws its bar (percent, bar)
