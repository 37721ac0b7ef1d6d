"""Data-parallel training (issue 17): real `unetkit train --nproc 2` runs (torchrun, gloo on CPU) against
one process with the same global batch and seeds; metrics reduced over 2 ranks against one process;
rank 0 alone writing; a killed rank ending the run with one clear line."""
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
import torch
import torch.distributed as dist
import torch.multiprocessing as mp

from unetkit.cli import main
from unetkit.data.synthetic import write_synthetic_dataset
from unetkit.evaluate import evaluate_samples
from unetkit.models import load_checkpoint
from unetkit.train.distributed import (
    DataParallel,
    Ranks,
    SingleProcess,
    ranks_from_environment,
    strategy_from_environment,
)

from ..conftest import tiny_overrides

# a network without BatchNorm and dropout, cross-entropy: 2 ranks x 2 patches compute the gradient of
# 1 process x 4 patches up to the order of float sums (BatchNorm would see 2 patches per rank instead of 4;
# Dice is a ratio over the batch, not a mean over pixels)
EXACT = ["model.norm=none", "train.loss=ce", "data.patches_per_epoch=16", "train.epochs=2", "train.lr=0.003"]


def _unetkit(*args, timeout=240, **kwargs):
    environment = {key: value for key, value in os.environ.items()
                   if key not in ("RANK", "WORLD_SIZE", "LOCAL_RANK", "MASTER_ADDR", "MASTER_PORT")}
    return subprocess.run([sys.executable, "-m", "unetkit", *args], check=False, capture_output=True, text=True,
                          timeout=timeout, env={**environment, "OMP_NUM_THREADS": "1"}, **kwargs)


def _config_file(folder: Path) -> Path:
    path = folder / "tiny.yaml"
    path.write_text("data:\n  format: folder\n")
    return path


@pytest.fixture(scope="module")
def two_rank_and_one_process_runs(tmp_path_factory):
    """The same run on 2 ranks x batch 2 and on one process x batch 4, with ROI masks: the ranks' patches
    leave out different numbers of pixels, which their loss weights make up for (pixel_share)."""
    root = tmp_path_factory.mktemp("ddp_data")
    write_synthetic_dataset(root, {"train": 4, "val": 3, "test": 1}, size=64)
    runs = tmp_path_factory.mktemp("ddp_runs")
    base = ["--config", str(_config_file(runs)), *tiny_overrides(root), *EXACT]
    two = _unetkit("train", "--nproc", "2", "--out", str(runs / "two"), *base, "train.batch_size=2")
    assert two.returncode == 0, two.stderr[-3000:]
    one = _unetkit("train", "--out", str(runs / "one"), *base, "train.batch_size=4")
    assert one.returncode == 0, one.stderr[-3000:]
    return runs / "two", runs / "one", two


@pytest.mark.precision
def test_two_ranks_reach_the_weights_of_one_process_with_the_same_global_batch(two_rank_and_one_process_runs):
    two, one, _ = two_rank_and_one_process_runs
    ranked, single = load_checkpoint(two / "last.pt"), load_checkpoint(one / "last.pt")
    assert ranked["train_state"]["step"] == single["train_state"]["step"] == 8   # 16 patches / 4 per step x 2 epochs
    assert ranked["train_state"]["world_size"] == 2
    for key, weights in single["model"].items():
        torch.testing.assert_close(ranked["model"][key], weights, rtol=1e-5, atol=1e-6, msg=key)   # seen: 2e-7
    histories = [[json.loads(line) for line in (run / "history.jsonl").read_text().splitlines()] for run in (two, one)]
    for ranked_epoch, single_epoch in zip(*histories, strict=True):
        assert ranked_epoch["loss"] == pytest.approx(single_epoch["loss"], rel=1e-4)   # the mean over the ranks
        assert ranked_epoch["val"]["f1"] == pytest.approx(single_epoch["val"]["f1"], abs=1e-3)


def test_rank_0_alone_writes_the_run_directory(two_rank_and_one_process_runs):
    two, _, result = two_rank_and_one_process_runs
    history = [json.loads(line)["epoch"] for line in (two / "history.jsonl").read_text().splitlines()]
    assert history == [1, 2]                                           # not one line per rank
    assert len(list((two / "tensorboard").glob("events.*"))) == 1
    log = (two / "train.log").read_text()
    assert "2 ranks: global batch 2 x 2 = 4" in log and "[rank 1]" not in log
    assert result.stdout.count("run directory:") == 1                  # rank 0 prints the result, once
    assert sorted(p.name for p in two.iterdir()) == ["best.pt", "config.yaml", "history.jsonl", "last.pt",
                                                     "metrics.json", "tensorboard", "train.log"]


def _reduce_worker(rank, world_size, init_file, samples, checkpoint, results):
    from unetkit.apps.predict import load_predictor
    dist.init_process_group("gloo", init_method=f"file://{init_file}", rank=rank, world_size=world_size)
    try:
        strategy = DataParallel(Ranks(rank, world_size, rank))
        predictor = load_predictor(checkpoint, device="cpu")[0]
        metrics = evaluate_samples(predictor, strategy.share(samples), ("pixel_error", "rand_error"),
                                   combine=strategy.reduce_scores)
        results[rank] = metrics
    finally:
        dist.destroy_process_group()


def test_metrics_reduced_over_two_ranks_equal_one_process(two_rank_and_one_process_runs, tmp_path, synthetic_root):
    from unetkit.apps.predict import load_predictor
    from unetkit.config import load_config
    from unetkit.data import find_samples, load_samples
    two, _, _ = two_rank_and_one_process_runs
    config = load_config(two / "config.yaml", [f"data.root={synthetic_root}"])   # with ROI masks
    samples = load_samples(find_samples(config.data, "train"), config.data)   # 4 images: shares of 2 and 2
    samples += load_samples(find_samples(config.data, "val"), config.data)[:1]   # 5: shares of 3 and 2
    whole = evaluate_samples(load_predictor(two / "best.pt", device="cpu")[0], samples, ("pixel_error", "rand_error"))
    with mp.Manager() as manager:
        results = manager.dict()
        mp.spawn(_reduce_worker, args=(2, str(tmp_path / "init"), samples, two / "best.pt", results), nprocs=2)
        reduced = dict(results)
    for rank in (0, 1):
        for key, value in whole.items():
            if isinstance(value, dict):
                assert reduced[rank][key] == pytest.approx(value), key
            else:
                assert reduced[rank][key] == pytest.approx(value, rel=1e-12, nan_ok=True), key


def _children(pid):
    """Processes whose parent is `pid` (from /proc)."""
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                if int((entry / "stat").read_text().rsplit(")", 1)[1].split()[1]) == pid:
                    found.append(int(entry.name))
            except (OSError, IndexError, ValueError):
                pass
    return found


def _rank_process(launcher_pid, rank):
    for child in _children(launcher_pid):
        try:
            environment = (Path("/proc") / str(child) / "environ").read_bytes().split(b"\0")
        except OSError:
            continue
        if f"RANK={rank}".encode() in environment:
            return child
    return None


def test_a_killed_rank_ends_the_run_with_one_clear_line_and_it_resumes_on_one_process(tmp_path, synthetic_root):
    run = tmp_path / "run"
    environment = {key: value for key, value in os.environ.items() if key not in ("RANK", "WORLD_SIZE")}
    launcher = subprocess.Popen(
        [sys.executable, "-m", "unetkit", "train", "--nproc", "2", "--out", str(run), "--config",
         str(_config_file(tmp_path)), *tiny_overrides(synthetic_root),
         *EXACT, "train.epochs=400", "train.batch_size=2", "train.rank_timeout=30"],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env={**environment, "OMP_NUM_THREADS": "1"})
    deadline = time.time() + 120
    while not (run / "last.pt").is_file() and time.time() < deadline and launcher.poll() is None:
        time.sleep(0.1)
    victim = _rank_process(launcher.pid, 1)
    assert victim is not None and launcher.poll() is None, "the 2-rank run did not start training"
    os.kill(victim, signal.SIGKILL)
    killed = time.time()
    _, stderr = launcher.communicate(timeout=60)
    assert time.time() - killed < 30                                   # within train.rank_timeout
    last = stderr.strip().splitlines()[-1]
    assert launcher.returncode == 2, stderr[-2000:]
    assert last.startswith("unetkit: error: rank 1 ") and "SIGKILL" in last and "--resume" in last, last
    epochs_done = load_checkpoint(run / "last.pt")["train_state"]["epoch"]
    # any world size resumes: here one process continues the 2-rank run for two more epochs
    resumed = _unetkit("train", "--out", str(run), "--resume", f"train.epochs={epochs_done + 2}")
    assert resumed.returncode == 0, resumed.stderr[-2000:]
    state = load_checkpoint(run / "last.pt")["train_state"]
    assert state["epoch"] == epochs_done + 2 and state["world_size"] == 1
    # 4 steps of 2 x 2 patches per epoch, counted as 8 steps of one process at batch 2 after the resume
    assert state["step"] == (epochs_done + 2) * 8
    assert "resumed with 1 rank(s) after training with 2" in resumed.stderr


def test_agree_and_share_in_one_process_change_nothing():
    assert ranks_from_environment({}) == Ranks(0, 1, 0)
    assert ranks_from_environment({"RANK": "1", "WORLD_SIZE": "4", "LOCAL_RANK": "1"}) == Ranks(1, 4, 1, 4)
    assert ranks_from_environment({"RANK": "5", "WORLD_SIZE": "8", "LOCAL_RANK": "1",
                                   "LOCAL_WORLD_SIZE": "4"}) == Ranks(5, 8, 1, 4)
    assert DataParallel(Ranks(1, 3, 1)).share(list(range(7))) == [1, 4]
    assert SingleProcess().share(list(range(7))) == list(range(7))
    assert SingleProcess().agree(torch.tensor(0.25), 12.5, True) == (0.25, 12.5, True)
    assert type(strategy_from_environment({})) is SingleProcess
    assert strategy_from_environment({"RANK": "1", "WORLD_SIZE": "2"}).ranks == Ranks(1, 2, 0, 2)


def test_nonsense_rank_variables_are_one_error():
    from unetkit.errors import ConfigError
    with pytest.raises(ConfigError, match="RANK=3 does not fit WORLD_SIZE=2"):
        ranks_from_environment({"RANK": "3", "WORLD_SIZE": "2"})
    with pytest.raises(ConfigError, match="must be integers"):
        ranks_from_environment({"RANK": "x", "WORLD_SIZE": "2"})


def test_nproc_inside_torchrun_is_refused(monkeypatch, capsys, synthetic_root):
    monkeypatch.setenv("WORLD_SIZE", "2")
    assert main(["train", "--nproc", "2", *tiny_overrides(synthetic_root)]) == 2
    assert "already one rank of a torchrun job" in capsys.readouterr().err


def test_errors_every_rank_would_print_are_said_once_before_launching(tmp_path, capsys, synthetic_root):
    assert main(["train", "--nproc", "2", "--out", str(tmp_path / "r"), *tiny_overrides(synthetic_root),
                 "train.nope=1"]) == 2
    assert capsys.readouterr().err.strip().splitlines() == ["unetkit: error: unknown config key 'train.nope'"]
    assert main(["train", "--nproc", "2", "--out", str(tmp_path / "none"), "--resume"]) == 2
    assert "nothing to resume" in capsys.readouterr().err


def test_automatic_workers_per_rank(monkeypatch, tiny_config):
    from unetkit.train.setup import loader_workers
    assert tiny_config.data.workers == -1
    assert loader_workers(tiny_config, torch.device("cpu"), SingleProcess()) == 0      # the model's threads use the cores
    monkeypatch.setattr(os, "sched_getaffinity", lambda pid: set(range(32)))
    assert loader_workers(tiny_config, torch.device("cuda"), DataParallel(Ranks(5, 8, 1, 4))) == 7   # 32 cores / 4 ranks - 1
    assert loader_workers(tiny_config, torch.device("cuda"), SingleProcess()) == 8          # at most 8
    tiny_config.data.workers = 3
    assert loader_workers(tiny_config, torch.device("cuda"), SingleProcess()) == 3


def test_freeze_then_unfreeze_on_two_ranks(tmp_path, synthetic_root):
    """DDP learns the parameters that require gradients when it is built: the wrapper is built again
    when the encoder unfreezes, so the encoder learns after epoch 1 (and DDP raises no reducer error)."""
    run = tmp_path / "run"
    result = _unetkit("train", "--nproc", "2", "--out", str(run), "--config", str(_config_file(tmp_path)),
                      *[o for o in tiny_overrides(synthetic_root) if not o.startswith("model.")],
                      "model.name=resnet18_unet", "data.patch_size=64",
                      "train.batch_size=2", "train.epochs=2", "train.freeze_encoder_epochs=1", "train.save_every=1")
    assert result.returncode == 0, result.stderr[-3000:]
    frozen, unfrozen = load_checkpoint(run / "epoch_001.pt")["model"], load_checkpoint(run / "last.pt")["model"]
    encoder = [key for key in frozen if key.startswith("encoder.") and key.endswith(".weight")]
    decoder = [key for key in frozen if not key.startswith("encoder.") and key.endswith(".weight")]
    assert encoder and decoder
    assert any(not frozen[key].equal(unfrozen[key]) for key in encoder)     # learns once unfrozen
    assert "epoch 2: encoder unfrozen" in (run / "train.log").read_text()


@pytest.mark.parametrize(("name", "class_weights", "with_map"), [
    ("ce", None, False), ("ce", [0.3, 2.0, 1.0], False), ("bce", None, False), ("bce", [0.5, 3.0], False),
    ("weighted_ce", None, True), ("weighted_ce", [0.3, 2.0, 1.0], True)])
def test_rank_shares_of_a_pixel_mean_make_up_the_one_process_mean(name, class_weights, with_map):
    """What pixel_share does across ranks, in one process: each half-batch's mean loss weighted by its
    share of the denominator sums to the whole batch's mean, whatever pixels each half leaves out."""
    from unetkit.losses import build_loss, loss_denominator
    generator = torch.Generator().manual_seed(0)
    classes = 2 if name == "bce" else 3
    logits = torch.randn(4, 1 if name == "bce" else classes, 8, 8, generator=generator)
    labels = torch.randint(0, classes, (4, 8, 8), generator=generator)
    labels[0, :6] = 255                                   # the first rank's patches leave out more pixels
    labels[1, :, :3] = 255
    weights = torch.rand(4, 8, 8, generator=generator) * 5 + 1 if with_map else None
    class_weights = None if class_weights is None else torch.tensor(class_weights)
    loss, denominator = build_loss(name, 255, class_weights), loss_denominator(name, 255, class_weights)
    whole = loss(logits, labels, weights)
    halves = [slice(0, 2), slice(2, 4)]
    total = denominator(labels)
    combined = sum(denominator(labels[h]) / total * loss(logits[h], labels[h], None if weights is None else weights[h])
                   for h in halves)
    torch.testing.assert_close(combined, whole)
    plain = sum(loss(logits[h], labels[h], None if weights is None else weights[h]) for h in halves) / 2
    assert not torch.isclose(plain, whole)               # without the shares: not the one-process mean
    assert loss_denominator("ce_dice", 255) is None and loss_denominator("dice", 255) is None


@pytest.mark.precision
def test_two_ranks_with_batchnorm_record_the_scores_evaluate_gives_best_pt(tmp_path, synthetic_root):
    """Each rank ends a step with the BatchNorm statistics of its own batch; validation takes rank 0's
    (those best.pt keeps) on every rank, so the recorded scores are `evaluate`'s to 1e-4."""
    run = tmp_path / "run"
    trained = _unetkit("train", "--nproc", "2", "--out", str(run), "--config", str(_config_file(tmp_path)),
                       *tiny_overrides(synthetic_root), "model.norm=batch", "train.batch_size=2", "train.lr=0.01",
                       "data.patches_per_epoch=16")
    assert trained.returncode == 0, trained.stderr[-3000:]
    history = [json.loads(line) for line in (run / "history.jsonl").read_text().splitlines()]
    best = load_checkpoint(run / "best.pt")["train_state"]["best_epoch"]
    recorded = next(record["val"] for record in history if record["epoch"] == best)
    assert main(["evaluate", "--checkpoint", str(run / "best.pt"), "--split", "val", "--json",
                 str(tmp_path / "val.json")]) == 0
    evaluated = json.loads((tmp_path / "val.json").read_text())
    for key in ("f1", "auc", "pixel_accuracy", "miou"):
        assert evaluated[key] == pytest.approx(recorded[key], abs=1e-4), key


def test_other_ranks_see_the_run_directory_and_write_nothing(tmp_path):
    """Rank 0 alone writes: the strategy gives the other ranks a run directory whose writes do nothing."""
    from unetkit.train.run_dir import PeerRunDir, RunDir
    main_dir = DataParallel(Ranks(0, 2, 0, 2)).run_dir(tmp_path / "run")
    peer_dir = DataParallel(Ranks(1, 2, 1, 2)).run_dir(tmp_path / "run")
    assert type(main_dir) is RunDir and type(SingleProcess().run_dir(tmp_path / "run")) is RunDir
    assert isinstance(peer_dir, PeerRunDir) and peer_dir.last == main_dir.last
    peer_dir.prepare(resume=False)
    assert not (tmp_path / "run").exists()
    main_dir.prepare(resume=False)
    peer_dir.append_history({"epoch": 1})
    peer_dir.save_metrics({"f1": 1.0})
    with peer_dir.logging_to_file():
        pass
    assert list((tmp_path / "run").iterdir()) == []
    assert DataParallel(Ranks(1, 2, 1, 2)).on_main(lambda: "written") is None
    assert SingleProcess().on_main(lambda: "written") == "written"


def test_the_ddp_wrapper_is_built_again_for_a_new_phase_or_a_new_model(tmp_path):
    """DDP learns what requires gradients when it is built: an encoder phase change, or the next fold's
    model, needs a new wrapper; the same model in the same phase keeps the one it has."""
    dist.init_process_group("gloo", init_method=f"file://{tmp_path / 'init'}", rank=0, world_size=1)
    try:
        strategy, cpu = DataParallel(Ranks(0, 2, 0, 2)), torch.device("cpu")
        first, second = torch.nn.Conv2d(1, 1, 1), torch.nn.Conv2d(1, 1, 1)
        wrapped = strategy.training_forward(first, cpu, frozen=False)
        assert isinstance(wrapped, torch.nn.parallel.DistributedDataParallel) and wrapped.module is first
        assert strategy.training_forward(first, cpu, frozen=False) is None
        assert strategy.training_forward(first, cpu, frozen=True) is not None
        assert strategy.training_forward(second, cpu, frozen=True).module is second
        assert SingleProcess().training_forward(first, cpu, frozen=False) is None
    finally:
        dist.destroy_process_group()
