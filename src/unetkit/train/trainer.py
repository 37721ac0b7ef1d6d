"""The training loop: a skeleton that reads top to bottom (`fit`), each step one function that a
later feature extends with one call. Precision, checkpoints and logging are helpers it calls.

A run directory holds config.yaml, last.pt, best.pt (and epoch_NNN.pt), history.jsonl, train.log,
metrics.json (the final validation) and tensorboard/ (see run_dir.py).
"""
from __future__ import annotations

import dataclasses
import logging
import time
from pathlib import Path

import numpy as np
import torch

from ..config import Config, options_of
from ..errors import OutOfMemory, UnetkitError
from ..evaluate import evaluate_samples, sample_panel
from ..infer.predictor import Predictor
from ..models import update_stored_settings
from ..progress import progress
from ..runtime import out_of_memory_advice, resolve_device
from .calibration import calibrate
from .class_bias import tune_class_bias
from .distributed import START, SingleProcess, strategy_from_environment
from .freezing import encoder_frozen, set_training_mode
from .schedules import note_validation
from .setup import TrainingRun, prepare_run
from .signals import StopSignals
from .state import Interrupted, TrainingDiverged

log = logging.getLogger(__name__)


def train(config: Config, out_dir: str | Path, resume: bool = False, strategy: SingleProcess | None = None) -> dict:
    """Train a model as configured; returns {'best_score', 'best_epoch', 'epochs', 'metrics',
    'stop_reason', 'train_seconds'}. Started by torchrun, this process is one of several ranks
    (distributed.py's DataParallel strategy); every rank returns the same result."""
    strategy = strategy or strategy_from_environment()
    device = strategy.device(resolve_device(config.train.device))
    run_dir = strategy.run_dir(out_dir)
    with strategy.session(device, config.train.rank_timeout):
        made = run_dir.prepare(resume)
        strategy.barrier(START)   # the others read last.pt (resume) once rank 0 has checked it
        with run_dir.logging_to_file(), StopSignals() as stop:
            try:
                run = prepare_run(config, run_dir, resume, stop, device, strategy)
            except UnetkitError:   # data it cannot read: no training started, no empty run left behind
                if made:
                    run_dir.discard_unstarted()
                raise
            return _fit_with_advice(run)


def _fit_with_advice(run: TrainingRun) -> dict:
    """fit, with what to do after an out-of-memory error or an interrupt (last.pt keeps the last epoch)."""
    try:
        return fit(run)
    except OutOfMemory as error:
        raise OutOfMemory(f"{error}; last.pt keeps epoch {run.state.epoch}: continue with --resume and the "
                          f"smaller setting") from None
    except KeyboardInterrupt:
        log.warning("interrupted during epoch %d; last.pt holds epoch %d, continue with --resume",
                    run.state.epoch + 1, run.state.epoch)
        raise Interrupted(str(run.run_dir.path)) from None
    finally:
        run.writer.close()


def fit(run: TrainingRun) -> dict:
    """Epochs until the configured number, the time budget or early stopping."""
    stop_reason = "epochs"
    while run.state.epoch < run.config.train.epochs:
        begin_epoch(run)
        loss, out_of_time = train_one_epoch(run)
        validated = validate(run, last=out_of_time or run.state.epoch == run.config.train.epochs)
        stop_reason = end_of_epoch(run, loss, validated, out_of_time) or stop_reason
        if stop_reason != "epochs":
            break
    return end_of_training(run, stop_reason)


def begin_epoch(run: TrainingRun) -> None:
    """Seed the epoch's random numbers (a resumed run draws exactly those of an unbroken one) and
    set the encoder's phase (frozen or learning)."""
    run.dataset.set_epoch(run.state.epoch)
    torch.manual_seed(run.config.train.seed * 1_000_003 + run.state.epoch + 7_919 * run.strategy.rank)  # dropout
    frozen = encoder_frozen(run.config, run.state.epoch)
    if run.config.train.freeze_encoder_epochs and (frozen != run.frozen or run.state.epoch == 0):
        log.info("epoch %d: encoder %s", run.state.epoch + 1, "frozen" if frozen else "unfrozen")
    run.frozen = frozen
    set_training_mode(run.model, frozen)
    forward = run.strategy.training_forward(run.model, run.step.device, frozen)   # several ranks: DDP's wrapper
    if forward is not None:
        run.step.use_forward(forward)


def _check_finite(run: TrainingRun, loss: float) -> None:
    """A loss that is not a number stops the run with what to change."""
    if np.isfinite(loss):
        return
    state, step_precision = run.state, run.step.precision
    raise TrainingDiverged(
        f"loss became {loss} at step {state.step} (epoch {state.epoch + 1}); "
        + (f"last.pt keeps epoch {state.epoch}, the last good one. " if state.epoch else "")
        + f"Lower train.lr (now {run.config.train.lr})"
        + (f", train with train.precision=fp32 (now {step_precision})" if step_precision != "fp32" else "")
        + " or check the labels")


def _report_step(run: TrainingRun, bar, loss: float, images_seen: int, epoch_seconds: float, steps_done: int,
                 steps_left: int) -> None:
    """TensorBoard's loss and rate, the epoch's speed and time left (run.speed), the bar's postfix."""
    run.writer.add_scalar("train/loss", loss, run.state.step)
    run.writer.add_scalar("train/lr", run.optimizer.param_groups[0]["lr"], run.state.step)
    run.speed = (images_seen / epoch_seconds, (steps_left - steps_done) * epoch_seconds / steps_done / 60)
    bar.set_postfix(loss=f"{loss:.4f}", img_s=f"{run.speed[0]:.1f}", eta=f"{run.speed[1]:.1f}min")


def train_one_epoch(run: TrainingRun) -> tuple[float, bool]:
    """One pass over the epoch's patches. Returns (mean loss, whether the time budget ran out)."""
    config, state = run.config.train, run.state
    budget_seconds = config.max_minutes * 60
    loader = run.epoch_loader
    steps_left = config.epochs * len(loader) - state.step
    bar = progress(loader, f"epoch {state.epoch + 1}/{config.epochs}", "batch",
                   enabled=config.progress and run.strategy.is_main, every=config.progress_seconds,
                   final_line=False)   # the epoch's line is end_of_epoch's log
    losses, out_of_time, images_seen = [], False, 0
    epoch_started = started = time.perf_counter()  # step time includes waiting for data: budgets are wall-clock
    for images, labels, *weights in bar:
        run.strategy.check_stop(run.stop)
        with out_of_memory_advice(f"training step {state.step + 1}: lower train.batch_size "
                                  f"(now {images.shape[0]}) or data.patch_size (now {images.shape[-1]})"), \
                run.strategy.collective("the training step"):   # DDP's gradient all-reduce
            loss = run.step(images, labels, weights[0] if weights else None)
        if run.weight_average is not None:
            run.weight_average.update(run.model)
        state.step += 1
        now = time.perf_counter()
        seconds, started = now - started, now
        images_seen += images.shape[0] * run.strategy.world_size
        # several ranks: the mean loss, the clock (budget, schedule) and a stop request are agreed together
        mean_loss, state.train_seconds, stop_requested = run.strategy.agree(loss, state.train_seconds + seconds,
                                                                   run.stop.requested)
        out_of_time = bool(budget_seconds and state.train_seconds >= budget_seconds)
        if stop_requested:
            raise KeyboardInterrupt
        losses.append(mean_loss)
        _check_finite(run, mean_loss)
        _report_step(run, bar, mean_loss, images_seen, now - epoch_started, len(losses), steps_left)
        if out_of_time:
            break
    bar.close()
    state.epoch += 1
    return (float(np.mean(losses)) if losses else float("nan")), out_of_time


def _speed(run: TrainingRun) -> str:
    """The epoch's images/s and the estimated time left, for its log line."""
    images_per_second, minutes_left = run.speed
    return f"; {images_per_second:.1f} img/s, {minutes_left:.1f} min left" if images_per_second else ""


def validate(run: TrainingRun, last: bool) -> bool:
    """Score the validation images every train.val_every epochs and after the last one; True if it did."""
    if not run.val_samples or not (run.state.epoch % run.config.train.val_every == 0 or last):
        return False
    run.strategy.same_buffers(run.saved_model)   # several ranks: rank 0's BatchNorm statistics, those best.pt keeps
    run.predictor.refresh()   # the inference copy takes the weights just trained (infer/predictor.py)
    # several ranks: each scores its share of the images, the counts are summed (DataParallel.reduce_scores)
    run.metrics = evaluate_samples(run.predictor, run.strategy.share(run.val_samples), run.data_format.extra_metrics,
                                   run.meta.ignore_index, combine=run.strategy.reduce_scores)
    data = run.config.data
    if run.strategy.is_main:   # the same metrics on every rank: one warning is enough
        run.recall_watch.check(run.metrics, f"data.mask={data.mask}, data.num_classes={data.num_classes}")
    run.model.train()
    for key, value in run.metrics.items():
        if not isinstance(value, dict):
            run.writer.add_scalar(f"val/{key}", value, run.state.step)
    if run.strategy.is_main:   # the panel costs a prediction; the other ranks' writer would drop it
        run.writer.add_image("val/panel", sample_panel(run.predictor, run.val_samples[0]), run.state.step,
                             dataformats="HWC")
    return True


def end_of_epoch(run: TrainingRun, loss: float, validated: bool, out_of_time: bool) -> str | None:
    """Keep the best, write checkpoints and history; returns why training stops now, if it does."""
    config, state = run.config.train, run.state
    record = {"epoch": state.epoch, "step": state.step, "loss": loss, "lr": run.optimizer.param_groups[0]["lr"],
              "train_seconds": round(state.train_seconds, 2)}
    is_best = not run.val_samples  # without validation, the latest is the best there is
    if validated:
        score = run.metrics[config.monitor]
        is_best = state.record_score(score, config.monitor)
        record["val"] = run.metrics
        record["val_precision"] = str(run.predictor.precision_choice)   # evaluate agrees in the same precision
        if note_validation(state, config, is_best):
            plateau = options_of(config, "plateau")
            log.info("no gain in %s for %d validations: learning rate x %g (now %.3g)", config.monitor,
                     plateau.patience, plateau.factor, run.optimizer.param_groups[0]["lr"] * plateau.factor)
        log.info("epoch %d: loss %.4f, val %s %.4f (best %.4f at epoch %d)%s", state.epoch, loss, config.monitor,
                 score, state.best_score, state.best_epoch, _speed(run))
    else:
        log.info("epoch %d: loss %.4f%s", state.epoch, loss, _speed(run))
    # history first: a resume trims it back to last.pt's epoch, so a kill between the two loses nothing
    run.run_dir.append_history(record)   # rank 0 writes (the other ranks' PeerRunDir does nothing)
    run.run_dir.save_checkpoints(run.saved_model, run.meta, run.training_state(), state.epoch, is_best,
                                 config.save_every)
    if out_of_time:
        return "time budget"
    if config.patience and state.validations_without_improvement >= config.patience:
        log.info("early stopping: no improvement of %s in %d validations", config.monitor, config.patience)
        return "early stopping"
    return None


def calibrate_best(run: TrainingRun) -> None:
    """train.calibrate: the temperature of best.pt's probabilities, fitted on the validation split
    (train/calibration.py) and stored in best.pt and last.pt; its figures join the final metrics."""
    if not (run.config.train.calibrate and run.val_samples and run.run_dir.best.is_file()):
        return
    predictor = Predictor.from_checkpoint(run.run_dir.best, device=run.step.device, temperature=1.0)
    run.metrics["calibration"] = calibrate(predictor, run.val_samples, run.meta.ignore_index)
    for checkpoint in (run.run_dir.best, run.run_dir.last):
        update_stored_settings(checkpoint, "infer", {"temperature": run.metrics["calibration"]["temperature"]})


def tune_class_bias_best(run: TrainingRun) -> None:
    """train.tune_class_bias (tasks of 3 or more classes): infer.class_bias for best.pt's labels, fitted on
    the validation split after the temperature (train/class_bias.py), stored in best.pt and last.pt."""
    if not (run.config.train.tune_class_bias and run.val_samples and run.run_dir.best.is_file()
            and len(run.meta.class_names) > 2):
        return
    predictor = Predictor.from_checkpoint(run.run_dir.best, device=run.step.device, class_bias=[])
    fit = tune_class_bias(predictor, run.val_samples, run.meta.ignore_index)
    run.metrics["class_bias"] = dataclasses.asdict(fit)
    for checkpoint in (run.run_dir.best, run.run_dir.last):
        update_stored_settings(checkpoint, "infer", {"class_bias": fit.bias})


AFTER_TRAINING = (calibrate_best, tune_class_bias_best)   # in this order: the bias is fitted at the temperature


def end_of_training(run: TrainingRun, stop_reason: str) -> dict:
    state = run.state
    for step in AFTER_TRAINING:
        run.strategy.on_main(step, run)   # rank 0: they write the checkpoints
    if run.metrics:
        run.run_dir.save_metrics(run.metrics)
        # one line: the command prints the whole table once (cli.py), metrics.json keeps it
        shown = [key for key in ("f1", "miou", "auc", "pixel_accuracy") if key in run.metrics]
        log.info("validation after epoch %d: %s (all metrics in metrics.json)", state.epoch,
                 ", ".join(f"{key} {run.metrics[key]:.4f}" for key in shown))
    log.info("stopped after %d epochs (%s), %.0f s of training", state.epoch, stop_reason, state.train_seconds)
    return {"best_score": state.best_score, "best_epoch": state.best_epoch, "epochs": state.epoch,
            "metrics": run.metrics, "stop_reason": stop_reason, "train_seconds": state.train_seconds}
