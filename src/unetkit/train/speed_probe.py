"""How fast a config trains and validates on this machine: a few real steps, timed.

The automatic plan (plan.py) fits epochs and patches per epoch to a wall-clock budget from these
figures. The probe goes through the same pieces as training (the patch loader with the config's
augmentation, TrainStep at the resolved precision, the validation scorer on a real image), so data
loading and metric time are in the figures, not only the network's arithmetic.
"""
from __future__ import annotations

import logging
import time
from dataclasses import dataclass

import torch

from ..config import Config
from ..data import (
    FORMATS,
    PatchDataset,
    compute_normalization,
    find_samples,
    load_samples,
)
from ..data.augment import build_augmentation
from ..evaluate import evaluate_samples
from ..infer.predictor import Predictor
from ..labels import IGNORE_INDEX
from ..losses import build_loss
from ..runtime import choose_precision, memory_format, resolve_device
from .optimizers import build_optimizer
from .setup import model_for_config
from .step import TrainStep

log = logging.getLogger(__name__)

PROBE_IMAGES = 6        # training images decoded for the probe
WARM_STEPS = 3          # first steps (allocation, oneDNN kernel choice, a cold process) are not timed
MEASURE_SECONDS = 10.0  # time steps until this much has passed ...
MAX_STEPS = 40          # ... or this many


@dataclass(frozen=True)
class TrainingSpeed:
    steps_per_second: float        # optimizer steps, data loading and augmentation included
    validation_seconds: float      # one validation pass over every validation image
    validation_images: int
    probe_seconds: float           # what the probe itself took


def measure_training_speed(config: Config) -> TrainingSpeed:
    """Time training steps and one validation image of `config` on its device."""
    started = time.perf_counter()
    device = resolve_device(config.train.device)
    precision = choose_precision(config.train.precision, device).precision
    fmt = memory_format(precision, device)
    train_files = find_samples(config.data, "train")
    samples = load_samples(train_files[:: max(1, len(train_files) // PROBE_IMAGES)][:PROBE_IMAGES], config.data,
                           IGNORE_INDEX)
    normalization = compute_normalization(samples)
    batch = config.train.batch_size
    dataset = PatchDataset(samples, config.data.patch_size, batch * (WARM_STEPS + MAX_STEPS), normalization,
                           build_augmentation(config.augment, config.data.patch_size, config.data.channels),
                           seed=config.train.seed, whole_images=config.augment.letterbox,
                           zoom_out=config.augment.zoom_out if config.augment.enabled else 1.0)
    loader = torch.utils.data.DataLoader(dataset, batch_size=batch, drop_last=True)
    torch.manual_seed(config.train.seed)
    model = model_for_config(config).to(device, memory_format=fmt)
    step = TrainStep(model, build_optimizer(model.parameters(), config.train),
                     build_loss(config.train.loss, IGNORE_INDEX, train=config.train), device, precision, fmt)
    timed, clock = 0, None
    for index, (images, labels, *weights) in enumerate(loader):
        step(images, labels, weights[0] if weights else None)
        if index + 1 == WARM_STEPS:
            clock = time.perf_counter()
        elif index + 1 > WARM_STEPS:
            timed += 1
            if time.perf_counter() - clock >= MEASURE_SECONDS:
                break
    steps_per_second = timed / (time.perf_counter() - clock) if timed else 0.0
    validation_seconds, count = _validation_seconds(config, model, normalization, device)
    network = (f"{config.model.encoder or config.model.name}, decoder {config.model.decoder_width}"
               if config.model.name == "encoder_unet" else f"{config.model.name}, width {config.model.base_channels}")
    log.info("speed probe: %.2f steps/s (%s, batch %d, patch %d, %s), validation %.1f s for %d images",
             steps_per_second, network, batch, config.data.patch_size, precision, validation_seconds, count)
    return TrainingSpeed(steps_per_second, validation_seconds, count, time.perf_counter() - started)


def _validation_seconds(config: Config, model, normalization, device) -> tuple[float, int]:
    """One validation's time: the second scoring of one real validation image, times their number."""
    data_format = FORMATS[config.data.format]
    if not data_format.has_validation(config.data):
        return 0.0, 0
    files = find_samples(config.data, "val")
    if not files:
        return 0.0, 0
    sample = load_samples(files[:1], config.data, IGNORE_INDEX)
    predictor = Predictor(model, normalization, config.data.class_names, config.infer, device=device,
                          optimize=True)   # as training's validation does
    evaluate_samples(predictor, sample, data_format.extra_metrics, IGNORE_INDEX)
    started = time.perf_counter()
    evaluate_samples(predictor, sample, data_format.extra_metrics, IGNORE_INDEX)
    model.train()
    return (time.perf_counter() - started) * len(files), len(files)
