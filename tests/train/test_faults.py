"""Faults during training (issue 15): kill -9 at random moments, disk full, NaN loss, out of memory.
Nothing written is ever lost or read back half-written, and each ends in one line, not a traceback."""
import errno
import json
import os
import signal
import subprocess
import sys
import threading
import time

import numpy as np
import pytest
import torch

from unetkit.cli import main
from unetkit.config import load_config, save_config
from unetkit.files import KILL_AT_WRITE_ENV
from unetkit.models import load_checkpoint
from unetkit.train import train
from unetkit.train.step import TrainStep

from ..conftest import tiny_overrides

KILLS = 20
EPOCHS = 100   # 20 kills never see the run finish first: 25-45 epochs get done between them (here, CI)


def _fault_overrides(root):
    return [*tiny_overrides(root), f"train.epochs={EPOCHS}", "data.patches_per_epoch=32", "model.dropout=0.1",
            "train.save_every=3"]


def _one_line(capsys, code):
    err = capsys.readouterr().err.strip()
    assert code == 2 and len(err.splitlines()) == 1 and err.startswith("unetkit: error: "), err
    return err


def _every_file_reads_back(run):
    """No truncated or partial file: every checkpoint loads, history lines are whole JSON, no temp files."""
    for path in run.glob("*.pt"):
        load_checkpoint(path)
    history = run / "history.jsonl"
    if history.is_file():
        for line in history.read_text().splitlines():
            json.loads(line)


def _kill_after_data_loaded(process, delay):
    """SIGKILL `process` `delay` seconds after it logs that its data is loaded (or when it ends)."""
    lines = []
    reader = threading.Thread(target=lambda: lines.extend(process.stderr), daemon=True)
    reader.start()
    deadline = time.time() + 120
    while not any(b"training images" in line for line in lines) and process.poll() is None and time.time() < deadline:
        time.sleep(0.01)
    time.sleep(delay)
    if process.poll() is None:
        process.send_signal(signal.SIGKILL)
    reader.join(timeout=30)
    process.stderr.close()
    process.stderr = None   # consumed by the reader


def test_kill_9_twenty_times_then_resume_equals_an_unbroken_run(tmp_path, synthetic_root):
    config = load_config(None, _fault_overrides(synthetic_root))
    save_config(config, tmp_path / "faults.yaml")   # a config file: the CLI then makes no plan of its own
    overrides = ["--config", str(tmp_path / "faults.yaml")]
    train(config, tmp_path / "straight")
    run, rng = tmp_path / "killed", np.random.default_rng(15)
    kills = inside_writes = 0
    for attempt in range(KILLS * 3):
        if kills == KILLS:
            break
        resume = (run / "last.pt").is_file()
        command = [sys.executable, "-m", "unetkit", "train", "--out", str(run), *(["--resume"] if resume else []),
                   *overrides]
        environment = dict(os.environ)
        in_write = attempt % 2 == 0
        if in_write:   # inside this process's 1st..6th atomic write: config.yaml, history trim, checkpoints
            environment[KILL_AT_WRITE_ENV] = str(int(rng.integers(1, 7)))
        process = subprocess.Popen(command, env=environment, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        if not in_write:   # at a random moment of the time from loading the data to the last epoch
            _kill_after_data_loaded(process, float(rng.uniform(0.0, 1.0)))
        _, err = process.communicate(timeout=120)
        err = err or b""
        if process.returncode == -signal.SIGKILL:
            kills += 1
            inside_writes += in_write
        else:
            assert process.returncode == 0, err.decode()[-2000:]
            if not resume or load_checkpoint(run / "last.pt")["train_state"]["epoch"] == EPOCHS:
                break   # finished before a kill came: nothing left to interrupt
        _every_file_reads_back(run)
    reached = load_checkpoint(run / "last.pt")["train_state"]["epoch"] if (run / "last.pt").is_file() else 0
    print(f"\n{kills} kills ({inside_writes} inside a write) in {attempt + 1} starts; epoch {reached} of "
          f"{EPOCHS} reached")   # docs/reliability.md
    assert kills == KILLS and inside_writes >= KILLS // 3, (kills, inside_writes)
    if load_checkpoint(run / "last.pt")["train_state"]["epoch"] < EPOCHS:
        finished = subprocess.run([sys.executable, "-m", "unetkit", "train", "--out", str(run), "--resume",
                                   *overrides], capture_output=True, text=True, timeout=300)
        assert finished.returncode == 0, finished.stderr[-2000:]
    _every_file_reads_back(run)
    assert not list(run.glob(".*.tmp"))
    straight, resumed = load_checkpoint(tmp_path / "straight" / "last.pt"), load_checkpoint(run / "last.pt")
    assert resumed["train_state"]["epoch"] == EPOCHS
    for key, value in straight["model"].items():
        assert torch.equal(value, resumed["model"][key]), key
    history = [json.loads(line) for line in (run / "history.jsonl").read_text().splitlines()]
    assert [record["epoch"] for record in history] == list(range(1, EPOCHS + 1))   # every epoch once, none half


def test_disk_full_during_a_checkpoint_write_keeps_the_previous_one(tmp_path, synthetic_root, capsys, monkeypatch):
    import unetkit.files
    run = tmp_path / "run"
    assert main(["train", "--out", str(run), *tiny_overrides(synthetic_root), "train.epochs=1"]) == 0
    before = (run / "last.pt").read_bytes()
    real_fsync = os.fsync

    def full_disk(descriptor):   # only checkpoint writes fail: the disk fills while a .pt is written
        if ".pt." in os.readlink(f"/proc/self/fd/{descriptor}"):
            raise OSError(errno.ENOSPC, "No space left on device")
        real_fsync(descriptor)
    monkeypatch.setattr(unetkit.files.os, "fsync", full_disk)
    code = main(["train", "--out", str(run), "--resume", "train.epochs=3"])
    monkeypatch.setattr(unetkit.files.os, "fsync", real_fsync)
    err = _one_line(capsys, code)
    assert "No space left on device" in err and "the previous" in err and "is untouched" in err, err
    print(err)   # docs/reliability.md
    assert (run / "last.pt").read_bytes() == before and not list(run.glob(".*.tmp"))
    assert load_checkpoint(run / "last.pt")["train_state"]["epoch"] == 1
    assert main(["train", "--out", str(run), "--resume", "train.epochs=3"]) == 0   # space freed: it continues
    history = [json.loads(line) for line in (run / "history.jsonl").read_text().splitlines()]
    assert [record["epoch"] for record in history] == [1, 2, 3]


def test_nan_loss_stops_naming_the_step_and_keeps_the_last_good_checkpoint(tmp_path, synthetic_root, capsys,
                                                                           monkeypatch):
    real_call, calls = TrainStep.__call__, []

    def poisoned(self, images, labels, weights=None):
        calls.append(1)
        loss = real_call(self, images, labels, weights)
        return torch.tensor(float("nan")) if len(calls) == 5 else loss   # step 5: epoch 3 of 2-step epochs
    monkeypatch.setattr(TrainStep, "__call__", poisoned)
    run = tmp_path / "run"
    code = main(["train", "--out", str(run), *tiny_overrides(synthetic_root), "train.epochs=4"])
    err = _one_line(capsys, code)
    assert "loss became nan at step 5 (epoch 3)" in err and "last.pt keeps epoch 2" in err and "train.lr" in err
    state = load_checkpoint(run / "last.pt")
    assert state["train_state"]["epoch"] == 2
    assert all(torch.isfinite(value.float()).all() for value in state["model"].values())


def test_nan_loss_in_mixed_precision_suggests_fp32(tmp_path, synthetic_root, monkeypatch):
    from unetkit.train import TrainingDiverged
    monkeypatch.setattr(TrainStep, "__call__", lambda self, *args: torch.tensor(float("inf")))
    config = load_config(None, [*tiny_overrides(synthetic_root), "train.precision=bf16"])
    with pytest.raises(TrainingDiverged, match=r"loss became inf at step 1 .*train.precision=fp32 \(now bf16\)"):
        train(config, tmp_path / "run")


def test_out_of_memory_in_training_says_what_to_lower(tmp_path, synthetic_root, capsys, monkeypatch):
    def too_big(self, *args):
        raise torch.OutOfMemoryError("CUDA out of memory. Tried to allocate 20.00 GiB")
    monkeypatch.setattr(TrainStep, "__call__", too_big)
    code = main(["train", "--out", str(tmp_path / "run"), *tiny_overrides(synthetic_root)])
    err = _one_line(capsys, code)
    assert "out of GPU at training step 1: lower train.batch_size (now 4) or data.patch_size (now 32)" in err
    assert "continue with --resume" in err


def test_out_of_memory_in_prediction_says_what_to_lower(tmp_path, checkpoint, synthetic_root, capsys, monkeypatch):
    from unetkit.infer import Predictor

    def too_big(self, *args, **kwargs):
        raise RuntimeError("[enforce fail at alloc_cpu.cpp:117] DefaultCPUAllocator: can't allocate memory: "
                           "you tried to allocate 68719476736 bytes")
    monkeypatch.setattr(Predictor, "_probabilities_at_native_size", too_big)   # under every prediction path
    code = main(["predict", "--checkpoint", str(checkpoint), str(synthetic_root / "val/images"),
                 "--out", str(tmp_path / "o")])
    err = _one_line(capsys, code)
    assert "out of memory in predict: lower infer.tile" in err and "infer.batch" in err
