"""The training loop: short enough to read top to bottom; precision, checkpoints and logging are helpers.

A run directory holds config.yaml, last.pt, best.pt (and epoch_NNN.pt), history.jsonl, train.log,
metrics.json (the final validation) and tensorboard/.
"""
from __future__ import annotations

import json
import logging
import signal
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch
from torch.utils.data import DataLoader

from ..config import Config, output_channels, save_config, to_dict
from ..data import (
    Normalization,
    PatchDataset,
    compute_normalization,
    find_samples,
    load_samples,
)
from ..data.augment import build_augmentation
from ..data.dataset import attach_weight_maps
from ..errors import CheckpointError, ConfigError, UnetkitError
from ..evaluate import evaluate_samples, sample_panel, write_json
from ..infer.predictor import Predictor
from ..losses import build_loss
from ..metrics import LOWER_IS_BETTER, format_table
from ..models import build_model
from ..runtime import memory_format, resolve_device, resolve_precision
from .checkpoint import load_checkpoint, save_checkpoint
from .schedules import build_optimizer, build_scheduler
from .step import TrainStep

log = logging.getLogger(__name__)


@dataclass
class TrainState:
    """Everything besides weights that a resumed run needs to continue exactly where it stopped.

    Random numbers (patch positions, augmentation, dropout) are drawn from generators seeded by
    (seed, epoch), so the epoch counter is the whole RNG state a resumed run needs.
    """
    epoch: int = 0                       # epochs completed
    step: int = 0                        # optimizer steps completed
    best_score: float | None = None
    best_epoch: int = -1
    validations_without_improvement: int = 0
    train_seconds: float = 0.0


class TrainingDiverged(UnetkitError):
    """The loss became NaN or infinite; last.pt still holds the last good epoch."""


class Interrupted(Exception):
    """Training stopped by SIGINT/SIGTERM; last.pt holds the last completed epoch."""


def _seed_epoch(seed: int, epoch: int) -> None:
    """Seed torch (dropout) per epoch, so a resumed run draws the same random numbers as an unbroken one."""
    torch.manual_seed(seed * 1_000_003 + epoch)


def _checkpoint_state(model, optimizer, scheduler, state: TrainState, config: Config, normalization) -> dict:
    return {"model": model.state_dict(), "optimizer": optimizer.state_dict(), "scheduler": scheduler.state_dict(),
            "train_state": {k: v for k, v in vars(state).items()}, "config": to_dict(config),
            "normalization": normalization.to_dict()}


def _prepare_run_dir(out_dir: Path, resume: bool) -> None:
    if resume:
        if not (out_dir / "last.pt").is_file():
            raise CheckpointError(f"{out_dir / 'last.pt'}: nothing to resume (train without --resume first)")
    elif (out_dir / "last.pt").is_file():
        raise ConfigError(f"{out_dir}: already holds a training run; pass --resume to continue it "
                          f"or choose another --out")
    out_dir.mkdir(parents=True, exist_ok=True)


def _make_loader(dataset: PatchDataset, config: Config, device: torch.device) -> DataLoader:
    workers = config.data.workers
    return DataLoader(dataset, batch_size=config.train.batch_size, shuffle=False, drop_last=True,
                      num_workers=workers, persistent_workers=workers > 0,
                      pin_memory=device.type == "cuda")


class _StopSignals:
    """Turn SIGTERM (kill) into the same orderly stop as Ctrl-C while training runs.

    The handler only records the request; the loop acts on it between steps (`check`), so the stop
    never lands half-way through a checkpoint or TensorBoard write.
    """

    def __enter__(self):
        self.requested = False
        self.previous = signal.getsignal(signal.SIGTERM)
        try:
            signal.signal(signal.SIGTERM, self._request)
        except ValueError:  # not in the main thread: leave signals alone
            self.previous = None
        return self

    def _request(self, signum, frame) -> None:
        self.requested = True

    def check(self) -> None:
        if self.requested:
            raise KeyboardInterrupt

    def __exit__(self, *exc):
        if self.previous is not None:
            signal.signal(signal.SIGTERM, self.previous)


def train(config: Config, out_dir: str | Path, resume: bool = False) -> dict:
    """Train a model as configured; returns {'best_score', 'best_epoch', 'epochs', 'metrics'}."""
    out_dir = Path(out_dir)
    _prepare_run_dir(out_dir, resume)
    file_log = logging.FileHandler(out_dir / "train.log")
    file_log.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    logging.getLogger("unetkit").addHandler(file_log)
    try:
        with _StopSignals() as stop:
            return _train(config, out_dir, resume, stop)
    finally:
        logging.getLogger("unetkit").removeHandler(file_log)
        file_log.close()


def _train(config: Config, out_dir: Path, resume: bool, stop: _StopSignals) -> dict:
    device = resolve_device(config.train.device)
    precision = resolve_precision(config.train.precision, device)
    fmt = memory_format(precision, device)
    log.info("device %s, precision %s", device, precision)

    train_samples = load_samples(find_samples(config.data, "train"), config.data)
    val_files = [] if config.data.format == "drive" and not config.data.val_images else find_samples(config.data, "val")
    val_samples = load_samples(val_files, config.data)
    log.info("%d training images, %d validation images", len(train_samples), len(val_samples))
    if config.train.loss == "weighted_ce":
        attach_weight_maps(train_samples, config.data.num_classes, config.train.border_w0, config.train.border_sigma)

    resumed = load_checkpoint(out_dir / "last.pt") if resume else None
    normalization = compute_normalization(train_samples) if resumed is None else Normalization.from_dict(resumed["normalization"])

    torch.manual_seed(config.train.seed)
    model = build_model(config.model, config.data.channels, output_channels(config)).to(device, memory_format=fmt)
    optimizer = build_optimizer(model.parameters(), config.train)
    steps_per_epoch = max(1, config.data.patches_per_epoch // config.train.batch_size)
    scheduler = build_scheduler(optimizer, config.train, steps_per_epoch)
    state = TrainState()
    if resumed is not None:
        model.load_state_dict(resumed["model"])
        optimizer.load_state_dict(resumed["optimizer"])
        scheduler.load_state_dict(resumed["scheduler"])
        state = TrainState(**resumed["train_state"])
        log.info("resumed from %s at epoch %d", out_dir / "last.pt", state.epoch)
    save_config(config, out_dir / "config.yaml")

    step = TrainStep(model, optimizer, build_loss(config.train.loss), device, precision, fmt, scheduler,
                     compile=config.train.compile, compile_mode=config.train.compile_mode)
    dataset = PatchDataset(train_samples, config.data.patch_size, config.data.patches_per_epoch, normalization,
                           build_augmentation(config.augment), seed=config.train.seed)
    loader = _make_loader(dataset, config, device)
    predictor = Predictor(model, normalization, config, device=device, precision=precision)
    from torch.utils.tensorboard import SummaryWriter
    writer = SummaryWriter(str(out_dir / "tensorboard"))
    budget_seconds = config.train.max_minutes * 60
    stop_reason = "epochs"
    metrics: dict = {}
    try:
        while state.epoch < config.train.epochs:
            epoch = state.epoch
            dataset.set_epoch(epoch)
            _seed_epoch(config.train.seed, epoch)
            model.train()
            epoch_loss, out_of_time = _run_epoch(step, loader, state, config, writer, budget_seconds, stop)
            state.epoch += 1
            record = {"epoch": state.epoch, "step": state.step, "loss": epoch_loss,
                      "lr": optimizer.param_groups[0]["lr"], "train_seconds": round(state.train_seconds, 2)}
            is_best = False
            last_epoch = state.epoch == config.train.epochs or out_of_time
            if val_samples and (state.epoch % config.train.val_every == 0 or last_epoch):
                metrics = evaluate_samples(predictor, val_samples)
                model.train()
                is_best = _update_best(state, metrics[config.train.monitor], config.train.monitor)
                record["val"] = metrics
                _log_validation(writer, predictor, val_samples[0], metrics, state)
                log.info("epoch %d: loss %.4f, val %s %.4f (best %.4f at epoch %d)", state.epoch, epoch_loss,
                         config.train.monitor, metrics[config.train.monitor], state.best_score, state.best_epoch)
            else:
                log.info("epoch %d: loss %.4f", state.epoch, epoch_loss)
            _save(out_dir, model, optimizer, scheduler, state, config, normalization, is_best or not val_samples)
            with open(out_dir / "history.jsonl", "a") as history_file:
                history_file.write(json.dumps(record) + "\n")
            if out_of_time:
                stop_reason = "time budget"
                break
            if config.train.patience and state.validations_without_improvement >= config.train.patience:
                stop_reason = "early stopping"
                log.info("early stopping: no improvement of %s in %d validations", config.train.monitor,
                         config.train.patience)
                break
    except KeyboardInterrupt:
        log.warning("interrupted during epoch %d; last.pt holds epoch %d, continue with --resume",
                    state.epoch + 1, state.epoch)
        raise Interrupted(str(out_dir)) from None
    finally:
        writer.close()
    if metrics:
        write_json(metrics, out_dir / "metrics.json")
        log.info("validation metrics after epoch %d:\n%s", state.epoch, format_table(metrics))
    log.info("stopped after %d epochs (%s), %.0f s of training", state.epoch, stop_reason, state.train_seconds)
    return {"best_score": state.best_score, "best_epoch": state.best_epoch, "epochs": state.epoch,
            "metrics": metrics, "stop_reason": stop_reason, "train_seconds": state.train_seconds}


def _update_best(state: TrainState, score: float, monitor: str) -> bool:
    if state.best_score is None or (score < state.best_score if monitor in LOWER_IS_BETTER
                                    else score > state.best_score):
        state.best_score, state.best_epoch = float(score), state.epoch
        state.validations_without_improvement = 0
        return True
    state.validations_without_improvement += 1
    return False


def _save(out_dir: Path, model, optimizer, scheduler, state: TrainState, config: Config, normalization,
          is_best: bool) -> None:
    checkpoint = _checkpoint_state(model, optimizer, scheduler, state, config, normalization)
    if is_best:
        save_checkpoint(checkpoint, out_dir / "best.pt")
    if config.train.save_every and state.epoch % config.train.save_every == 0:
        save_checkpoint(checkpoint, out_dir / f"epoch_{state.epoch:03d}.pt")
    save_checkpoint(checkpoint, out_dir / "last.pt")  # last, so a resume never starts ahead of best.pt


def _log_validation(writer, predictor: Predictor, sample, metrics: dict, state: TrainState) -> None:
    for key, value in metrics.items():
        if not isinstance(value, dict):
            writer.add_scalar(f"val/{key}", value, state.step)
    writer.add_image("val/panel", sample_panel(predictor, sample), state.step, dataformats="HWC")


def _run_epoch(step: TrainStep, loader, state: TrainState, config: Config, writer,
               budget_seconds: float, stop: _StopSignals) -> tuple[float, bool]:
    """One pass over the epoch's patches. Returns (mean loss, whether the time budget ran out)."""
    from tqdm import tqdm
    total_steps = config.train.epochs * len(loader)
    bar = tqdm(loader, desc=f"epoch {state.epoch + 1}/{config.train.epochs}", unit="batch", leave=False,
               disable=not config.train.progress, dynamic_ncols=True)
    losses = []
    started = time.perf_counter()  # step time includes waiting for data, so budgets are wall-clock
    for images, labels, *weights in bar:
        stop.check()
        loss = step(images, labels, weights[0] if weights else None)
        state.step += 1
        now = time.perf_counter()
        seconds, started = now - started, now
        state.train_seconds += seconds
        losses.append(loss.item())
        if not np.isfinite(losses[-1]):
            raise TrainingDiverged(f"loss became {losses[-1]} at step {state.step} (epoch {state.epoch + 1}); "
                                   f"lower train.lr (now {config.train.lr}) or check the labels")
        writer.add_scalar("train/loss", losses[-1], state.step)
        writer.add_scalar("train/lr", step.optimizer.param_groups[0]["lr"], state.step)
        eta = (total_steps - state.step) * seconds
        bar.set_postfix(loss=f"{losses[-1]:.4f}", img_s=f"{images.shape[0] / seconds:.1f}",
                        eta=f"{eta / 60:.1f}min")
        if budget_seconds and state.train_seconds >= budget_seconds:
            bar.close()
            return float(np.mean(losses)), True
    return float(np.mean(losses)) if losses else float("nan"), False
