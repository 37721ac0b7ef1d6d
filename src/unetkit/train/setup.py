"""Everything a run needs before its first step: data, model, optimizer, schedule, resumed state.

The model comes from the config through the registries only: the model section's keys that the
chosen model takes become its arguments, and the chosen loss says how many output channels it needs.
"""
from __future__ import annotations

import dataclasses
import logging
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import torch
from torch.utils.data import DataLoader

from ..config import Config, ModelConfig, load_config, options_of, to_dict
from ..config.loading import MODEL_RUN_KEYS
from ..data import (
    FORMATS,
    DataFormat,
    PatchDataset,
    Sample,
    class_pixel_counts,
    compute_normalization,
    find_samples,
    load_samples,
)
from ..data.augment import build_augmentation
from ..data.cache import load_training_samples
from ..errors import CheckpointError, ConfigError
from ..infer.predictor import Predictor, with_trained_flips
from ..labels import IGNORE_INDEX
from ..losses import LOSSES, Loss, build_loss, loss_denominator, resolve_class_weights
from ..models import (
    ModelMeta,
    Normalization,
    SegmentationModel,
    build_model,
    load_checkpoint,
    model_arguments,
    select_model_args,
)
from ..runtime import choose_precision, memory_format
from .distributed import SingleProcess
from .freezing import parameter_groups
from .initial_weights import encoder_weights_file, init_from_checkpoint, load_encoder_weights
from .optimizers import build_optimizer
from .recall_watch import RecallWatch
from .resume_changes import check_resume_changes
from .run_dir import RunDir
from .schedules import build_scheduler
from .signals import StopSignals
from .state import TrainState
from .step import TrainStep
from .weight_average import WeightAverage

if TYPE_CHECKING:
    from torch.utils.tensorboard import SummaryWriter

log = logging.getLogger(__name__)




def model_args_for(config: Config) -> dict[str, Any]:
    """The model section's keys that the chosen model takes; a key set to a non-default value that
    the model does not take is an error, not silently dropped."""
    name, values = config.model.name, dataclasses.asdict(config.model)
    defaults, taken = dataclasses.asdict(ModelConfig()), model_arguments(name)
    for key, value in values.items():
        if key not in MODEL_RUN_KEYS and key not in taken and value != defaults[key]:
            raise ConfigError(f"model.{key}={value!r} does not apply to model '{name}' "
                              f"(it takes: {', '.join(taken) or 'no arguments'})")
    return select_model_args(name, values)


def model_for_config(config: Config) -> SegmentationModel:
    """The untrained network a config describes."""
    out_channels = LOSSES[config.train.loss].output_channels(config.data.num_classes)
    return build_model(config.model.name, config.data.channels, out_channels, **model_args_for(config))


def check_network_fits(config: Config) -> None:
    """data.patch_size against the network the model keys describe (depth, padding, down-sampling),
    checked on a weightless copy (meta device: no memory, however deep) before any data is read, so
    a mismatch is one error naming the keys instead of a shape error from the first step."""
    with torch.device("meta"):
        network = model_for_config(config)
    patch, model = config.data.patch_size, config.model
    try:
        network.check_input_shape(patch, patch)
    except ValueError:
        takes_depth = "depth" in model_arguments(model.name)
        keys = f"model.name={model.name}" + (f", model.depth={model.depth}" if takes_depth else "") + (
            f", model.padding={network.padding}")
        if network.padding == "valid":
            larger = next((size for size in range(patch, patch + 64 * network.size_multiple) if _fits(network, size)),
                          None)
            advice = f"the nearest size that fits is {larger}" if larger else "try a larger data.patch_size"
        else:
            multiple = network.size_multiple
            example = max(multiple, -(-patch // multiple) * multiple)
            advice = (f"patches must be a multiple of {multiple} (e.g. {example})"
                      + (", or lower model.depth" if takes_depth else ""))
        raise ConfigError(f"data.patch_size={patch} does not fit the network of {keys}: {advice}") from None


def _fits(network: SegmentationModel, size: int) -> bool:
    try:
        network.check_input_shape(size, size)
        return True
    except ValueError:
        return False


@dataclass
class TrainingRun:
    """The objects of one training run, shared by the steps of the loop (trainer.fit)."""
    config: Config
    run_dir: RunDir
    model: SegmentationModel
    meta: ModelMeta
    optimizer: torch.optim.Optimizer
    scheduler: Any
    step: TrainStep
    dataset: PatchDataset
    loader: DataLoader
    predictor: Predictor
    val_samples: list[Sample]
    data_format: DataFormat
    writer: SummaryWriter
    stop: StopSignals
    state: TrainState = field(default_factory=TrainState)
    strategy: SingleProcess = field(default_factory=SingleProcess)   # one process, or DataParallel (torchrun)
    metrics: dict = field(default_factory=dict)   # the latest validation
    frozen_loader: DataLoader | None = None       # batches of the frozen-encoder phase
    frozen: bool = False                          # this epoch trains with the encoder frozen
    recall_watch: RecallWatch = field(default_factory=RecallWatch)   # warns when a class is never found
    speed: tuple[float, float] = (0.0, 0.0)       # the current epoch's images/s and estimated minutes left

    weight_average: WeightAverage | None = None   # train.ema: the averaged weights, validated and saved

    @property
    def saved_model(self) -> SegmentationModel:
        """The network validation scores and checkpoints keep: the weight average with train.ema."""
        return self.weight_average.model if self.weight_average is not None else self.model

    @property
    def epoch_loader(self) -> DataLoader:
        return self.frozen_loader if self.frozen and self.frozen_loader is not None else self.loader

    def training_state(self) -> dict[str, Any]:
        """What a checkpoint needs besides the model to resume this run."""
        state = {"optimizer": self.optimizer.state_dict(), "scheduler": self.scheduler.state_dict(),
                 "train_state": dict(vars(self.state))}
        if self.weight_average is not None:
            state["weight_average"] = self.weight_average.training_state(self.model)
        return state


def _load_data(config: Config, data_format: DataFormat, loss: Loss) -> tuple[list[Sample], list[Sample]]:
    weight_map = options_of(config.train, "weighted_ce")
    border = (config.data.num_classes, weight_map.w0, weight_map.sigma) if loss.needs_weight_map else None
    train_samples = load_training_samples(find_samples(config.data, "train"), config.data, IGNORE_INDEX, border)
    val_samples = (load_samples(find_samples(config.data, "val"), config.data, IGNORE_INDEX)
                   if data_format.has_validation(config.data) else [])
    log.info("%d training images, %d validation images", len(train_samples), len(val_samples))
    return train_samples, val_samples


def _class_weights(config: Config, train_samples: list[Sample], loss: Loss,
                   resumed: dict | None) -> torch.Tensor | None:
    """train.class_weights resolved (auto: from the training masks; a resumed run keeps its own), logged."""
    train = config.train
    if resumed is not None and train.class_weights == "auto" and resumed.get("class_weights"):
        weights = torch.tensor(resumed["class_weights"], dtype=torch.float32)
    else:
        weights = resolve_class_weights(train.class_weights, train.class_weight_method, config.data.num_classes,
                                        lambda: class_pixel_counts(train_samples, config.data.num_classes))
    if weights is not None:
        source = f"auto, {train.class_weight_method}" if train.class_weights == "auto" else "train.class_weights"
        log.info("class weights (%s): %s", source, ", ".join(f"{name} {weight:.3g}" for name, weight
                                                             in zip(config.data.class_names, weights.tolist())))
    return weights


def loader_workers(config: Config, device: torch.device, strategy: SingleProcess) -> int:
    """data.workers, or for -1 (automatic): none on the CPU, where the model's threads already use every
    core and a worker would only take turns with them; on a GPU min(8, CPU cores per rank - 1)."""
    if config.data.workers >= 0:
        return config.data.workers
    if device.type == "cpu":
        return 0
    return max(0, min(8, strategy.cores_per_rank() - 1))


def _make_loader(dataset: PatchDataset, config: Config, device: torch.device, batch_size: int,
                 strategy: SingleProcess) -> DataLoader:
    """Batches of the epoch's patches in index order (with several ranks, this rank's share of them:
    DataParallel.sampler)."""
    workers = loader_workers(config, device, strategy)
    return DataLoader(dataset, batch_size=batch_size, shuffle=False, sampler=strategy.sampler(dataset), drop_last=True,
                      num_workers=workers, persistent_workers=workers > 0, pin_memory=device.type == "cuda")


def _resume_schedule(scheduler, optimizer: torch.optim.Optimizer, state: TrainState, world_size: int,
                     fresh_base: list[float]) -> None:
    """After loading a checkpoint: the base rates are this config's (and rank count's), and a run
    resumed with another number of ranks continues at the same point of the schedule, whose steps
    are then of another global batch (a step count scaled by old ranks / new ranks)."""
    if state.world_size != world_size:
        scheduler.last_epoch = round(scheduler.last_epoch * state.world_size / world_size)
        state.step = round(state.step * state.world_size / world_size)
        log.info("resumed with %d rank(s) after training with %d: schedule at step %d", world_size,
                 state.world_size, state.step)
        state.world_size = world_size
    scheduler.base_lrs = fresh_base
    for group, base, factor in zip(optimizer.param_groups, fresh_base, scheduler.lr_lambdas):
        group["lr"] = base * factor(scheduler.last_epoch)


def prepare_run(config: Config, run_dir: RunDir, resume: bool, stop: StopSignals, device: torch.device,
                strategy: SingleProcess | None = None) -> TrainingRun:
    """Build every object of the run, builder by builder; on `resume`, load weights, optimizer,
    schedule and counters from last.pt. With several ranks each builds the same objects; only rank 0
    writes (the strategy's run directory and writer)."""
    strategy = strategy or SingleProcess()
    choice = _check_before_data(config, resume, device)
    precision, fmt = choice.precision, memory_format(choice.precision, device)
    data_format, loss, train_samples, val_samples = build_data(config)
    resumed = load_checkpoint(run_dir.last) if resume else None
    model, normalization = build_network(config, resumed, train_samples, strategy, device, fmt)
    state = TrainState(world_size=strategy.world_size)   # the plateau schedule reads its reductions from it
    optimizer, scheduler = build_optimization(config, model, state, strategy)
    weight_average = WeightAverage(model, config.train.ema) if config.train.ema else None
    if resumed is not None:
        resume_from(resumed, run_dir, config, model, weight_average, optimizer, scheduler, state, strategy.world_size)
    run_dir.save_config(config)
    class_weights = _class_weights(config, train_samples, loss, resumed)
    meta = ModelMeta(list(config.data.class_names), normalization, IGNORE_INDEX, run_config=to_dict(config),
                     class_weights=None if class_weights is None else class_weights.tolist(),
                     trained_with_roi=any(sample.roi is not None for sample in train_samples))
    step = TrainStep(model, optimizer, build_loss(config.train.loss, IGNORE_INDEX, class_weights, config.train),
                     device, precision, fmt, scheduler, compile=config.train.compile,
                     compile_mode=config.train.compile_mode,
                     rank_weight=strategy.pixel_share(loss_denominator(config.train.loss, IGNORE_INDEX, class_weights)))
    dataset, loader, frozen_loader = build_loaders(config, train_samples, normalization, device, strategy)
    # validation runs the inference path of `evaluate` (infer.precision, an optimized copy refreshed
    # before each validation), so a checkpoint's recorded scores are the ones evaluate gives
    predictor = Predictor(model if weight_average is None else weight_average.model, normalization, meta.class_names,
                          with_trained_flips(config.infer, config.augment), device=device, optimize=True)
    if predictor.precision != precision:
        log.info("validation and inference precision %s", predictor.precision_choice)
    return TrainingRun(config, run_dir, model, meta, optimizer, scheduler, step, dataset, loader, predictor,
                       val_samples, data_format, strategy.writer(run_dir), stop, state, strategy=strategy,
                       frozen_loader=frozen_loader, weight_average=weight_average)


def _check_before_data(config: Config, resume: bool, device: torch.device):
    """The precision of the run, and the mistakes that must fail before any data is read."""
    choice = choose_precision(config.train.precision, device)
    config.train.precision_used = str(choice)   # stored with the run: what `auto` meant on this machine
    log.info("device %s, precision %s", device, choice)
    model_args_for(config)  # a model key the model does not take fails now, not after loading the data
    check_network_fits(config)
    if config.model.init_from and not resume and not Path(config.model.init_from).is_file():
        raise ConfigError(f"{config.model.init_from}: file not found (model.init_from)")
    if config.model.encoder_weights and not resume and not config.model.init_from:
        encoder_weights_file(config)   # a missing file, or weights in no cache: fail before the data is read
    return choice


def build_data(config: Config) -> tuple[DataFormat, Loss, list[Sample], list[Sample]]:
    """The data format, the loss (it decides whether weight maps are computed), the samples."""
    data_format, loss = FORMATS[config.data.format], LOSSES[config.train.loss]
    config.data = data_format.settle(config.data)   # e.g. the automatic validation split, stored with the run
    train_samples, val_samples = _load_data(config, data_format, loss)
    if config.train.schedule == "plateau" and not val_samples:
        raise ConfigError("train.schedule=plateau lowers the learning rate when validation stops improving, but "
                          "this run has no validation images (give it some, e.g. data.val_images for drive)")
    return data_format, loss, train_samples, val_samples


def build_network(config: Config, resumed: dict | None, train_samples: list[Sample], strategy: SingleProcess,
                device: torch.device, fmt) -> tuple[SegmentationModel, Normalization]:
    """The network on its device and its input normalisation: resumed, from another checkpoint
    (model.init_from), from an encoder's weights file, or measured on the training images."""
    torch.manual_seed(config.train.seed)
    model = model_for_config(config)
    if resumed is not None:
        normalization = Normalization.from_dict(resumed["normalization"])
    elif config.model.init_from:
        normalization = init_from_checkpoint(model, config)
    elif config.model.encoder_weights:
        normalization = load_encoder_weights(model, config)
    else:
        normalization = compute_normalization(train_samples)
    model = strategy.sync_batchnorm(model, device, config.train.sync_batchnorm).to(device, memory_format=fmt)
    return model, normalization


def build_optimization(config: Config, model: SegmentationModel, state: TrainState, strategy: SingleProcess):
    """The optimizer (OPTIMIZERS) and the schedule (SCHEDULES) over the run's steps per epoch."""
    optimizer = build_optimizer(parameter_groups(model, config), config.train)
    lr_scale = strategy.learning_rate_scale(config.train.lr_scaling)
    for group in optimizer.param_groups:
        group["lr"] *= lr_scale
    frozen_batch_size = _frozen_batch_size(config)
    world, patches = strategy.world_size, config.data.patches_per_epoch
    steps_per_epoch = max(1, patches // (config.train.batch_size * world))
    if world > 1:
        log.info("%d ranks: global batch %d x %d = %d, %d steps per epoch, learning rate %.3g (train.lr_scaling=%s)",
                 world, config.train.batch_size, world, config.train.batch_size * world, steps_per_epoch,
                 config.train.lr * lr_scale, config.train.lr_scaling)
    scheduler = build_scheduler(optimizer, config.train, steps_per_epoch,
                                max(1, patches // (frozen_batch_size * world)), lambda: state.lr_reductions,
                                lambda: state.train_seconds / (60 * config.train.max_minutes or 1))
    return optimizer, scheduler


def resume_from(resumed: dict, run_dir: RunDir, config: Config, model: SegmentationModel,
                weight_average: WeightAverage | None, optimizer: torch.optim.Optimizer, scheduler,
                state: TrainState, world_size: int) -> None:
    """Weights (and their average), counters, optimizer and schedule of last.pt, in place. The keys that
    changed are checked first: a changed model.* key is named, not a state dict that does not fit."""
    saved_state = TrainState(**resumed["train_state"])
    changes = (check_resume_changes(load_config(run_dir.config_path), config, saved_state.epoch)
               if run_dir.config_path.is_file() else [])
    if weight_average is not None and "weight_average" not in resumed:
        raise CheckpointError(f"{run_dir.last} was written without train.ema; resume with the run's own config")
    try:
        if weight_average is not None:
            weight_average.resume(model, resumed["model"], resumed["weight_average"])
        else:
            model.load_state_dict(resumed["model"])
    except RuntimeError as error:
        raise CheckpointError(f"{run_dir.last}: its weights do not fit the model of this config "
                              f"({str(error).splitlines()[0][:200]}); resume with the run's own config") from None
    vars(state).update(vars(saved_state))
    run_dir.trim_history(state.epoch)   # rank 0's (the others' PeerRunDir leaves it)
    for change in changes:
        log.info("resumed with %s", change)
    optimizer.load_state_dict(resumed["optimizer"])
    fresh_base = list(scheduler.base_lrs)
    scheduler.load_state_dict(resumed["scheduler"])   # its step; the factors come from this config
    _resume_schedule(scheduler, optimizer, state, world_size, fresh_base)
    log.info("resumed from %s at epoch %d of %d", run_dir.last, state.epoch, config.train.epochs)


def _frozen_batch_size(config: Config) -> int:
    """The batch size of the frozen-encoder phase (train.freeze_batch_size, else train.batch_size)."""
    return config.train.freeze_batch_size or config.train.batch_size


def build_loaders(config: Config, train_samples: list[Sample], normalization: Normalization,
                  device: torch.device, strategy: SingleProcess) -> tuple[PatchDataset, DataLoader, DataLoader]:
    """The patch dataset and its loaders (the frozen-encoder phase's own when its batch size differs)."""
    dataset = PatchDataset(train_samples, config.data.patch_size, config.data.patches_per_epoch, normalization,
                           build_augmentation(config.augment, config.data.patch_size, config.data.channels),
                           seed=config.train.seed, whole_images=config.augment.letterbox,
                           foreground_fraction=config.data.foreground_fraction,
                           foreground_draw=config.data.foreground_draw,
                           zoom_out=config.augment.zoom_out if config.augment.enabled else 1.0)
    frozen_batch_size = _frozen_batch_size(config)
    loader = _make_loader(dataset, config, device, config.train.batch_size, strategy)
    frozen_loader = (_make_loader(dataset, config, device, frozen_batch_size, strategy)
                     if config.train.freeze_encoder_epochs and frozen_batch_size != config.train.batch_size else loader)
    return dataset, loader, frozen_loader
