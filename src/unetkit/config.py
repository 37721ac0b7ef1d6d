"""Typed run configuration: dataclasses with defaults, YAML loading and dotted key=value overrides.

A config is validated once, when loaded; everything downstream can trust its types and values.
The allowed values of `model.name`, `train.loss` and `data.format` come from their registries
(see registry.py), and the chosen entries check the keys that concern them (`check_config`).
"""
from __future__ import annotations

import copy
import dataclasses
import math
import types
import typing
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from .errors import ConfigError
from .registry import registry_for, registry_keys


@dataclass
class DataConfig:
    format: str = "folder"              # a registered data format: folder | drive | isbi | voc | synthetic
    root: str = ""
    mask: str = "binary"                # binary: 0/1 or 0/255 (any {0, k}); index: class ids (grey, palette, or
                                        # RGB colours through data.colors); data/masks.py checks which it is
    num_classes: int = 2
    class_names: list[str] = field(default_factory=list)
    ignore_index: int = 255             # index masks: the value that marks void pixels (CamVid: 11)
    colors: str | list[list[int]] = field(default_factory=list)   # index masks in RGB: each class's colour,
                                        # in class order; empty or 'voc': the VOC palette's first num_classes
                                        # (the automatic plan compacts VOC colours unless 'voc' is given)
    color_table: str = ""               # a colour table file (CVAT labelmap.txt, classes.yaml: name + colour per
                                        # class) for the automatic plan; default: one of those in data.root
    channels: int = 3                   # images are converted to 1 (grayscale) or 3 (RGB) channels
    patch_size: int = 256               # training patches are sampled at this size
    patches_per_epoch: int = 400
    workers: int = -1                   # DataLoader worker processes (per rank) for patch sampling + augmentation;
                                        # -1 = automatic: 0 when training on the CPU (the model's threads use
                                        # every core), on a GPU min(8, CPU cores per rank - 1)
    cache_mb: int = 4096                # decoded training images kept in memory per process; a training set
                                        # that decodes larger is decoded as its patches need it, each worker
                                        # keeping the most recently used images up to this size
    val_images: list[str] = field(default_factory=list)   # drive: image ids held out of training for validation;
                                        # folder without val/: the held-out image names (filled in by training);
                                        # voc: ids of train.txt held out instead of val.txt (set by --folds)
    val_fraction: float = 0.1           # folder without val/: share of train/ held out for validation
    mask_suffix: str = ""               # masks named <image stem><suffix>.* (ISIC: _segmentation)
    train_slices: str = "0-24"          # isbi: slices used for training
    val_slices: str = "25-29"           # isbi: held-out slices scored by validation/evaluate
    foreground_fraction: float = 0.0    # at least this share of training patches is centred on a pixel of a
                                        # class other than 0, chosen uniformly among the classes in the image
    synthetic_train: int = 12           # synthetic: number of generated training / validation / test images
    synthetic_val: int = 4
    synthetic_size: int = 192


@dataclass
class AugmentConfig:
    enabled: bool = True
    flips: bool = True
    rotate90: bool = True
    rotate_degrees: float = 15.0
    scale: float = 0.1                  # random scale in [1 - scale, 1 + scale]
    brightness: float = 0.1
    contrast: float = 0.1
    gamma: float = 0.1
    elastic: str = "none"               # none | grid (the paper: coarse grid, bicubic) | smooth (albumentations)
    elastic_probability: float = 0.5
    elastic_grid_points: int = 3        # grid: displacements on a grid_points x grid_points grid ...
    elastic_std: float = 10.0           # ... drawn with this standard deviation in pixels
    elastic_alpha: float = 30.0         # smooth: albumentations ElasticTransform alpha / sigma
    elastic_sigma: float = 6.0
    vertical_flips: bool = True         # with flips: also upside down (false for natural images)
    scale_range: list[float] = field(default_factory=list)  # [low, high] random scale, e.g. [0.5, 2.0]
                                        # (natural images); empty = 1 -/+ scale
    hue: float = 0.0                    # HSV jitter (RGB images): hue shift as a fraction of the hue circle,
    saturation: float = 0.0             # saturation and value shifts as fractions of their range
    value: float = 0.0
    zoom_out: float = 1.0               # mixed resolution: crops of data.patch_size x [1, zoom_out] per side,
                                        # shrunk to the patch (more context per step); 1 = off
    letterbox: bool = False             # train on whole images scaled to fit data.patch_size, padded with
    pad_value: int = 128                # this grey (masks with the ignore label), as the VOC report does


@dataclass
class ModelConfig:
    name: str = "unet"                  # a registered model; the other keys are its arguments (those it takes)
    base_channels: int = 32
    depth: int = 4
    padding: str = "same"               # same | valid (the 2015 paper)
    norm: str = "batch"                 # batch | none
    dropout: float = 0.0                # dropout inside each conv block
    bottleneck_dropout: float = 0.0     # dropout at the end of the contracting path
    activation: str = "relu"            # relu | leaky_relu
    down: str = "maxpool"               # maxpool | strided_conv
    up: str = "transpose"               # transpose | bilinear | nearest
    deep_supervision: bool = False      # unetpp: average the heads on every nested decoder column
    encoder_weights: str = ""           # encoder U-Nets: a local torchvision state dict (.pth / .safetensors)
    init_from: str = ""                 # start from another unetkit checkpoint's weights (head re-made if
                                        # the number of classes differs)


@dataclass
class TrainConfig:
    epochs: int = 20
    batch_size: int = 4
    loss: str = "ce"                    # a registered loss: bce | ce | dice | ce_dice | weighted_ce (the paper's
                                        # border weights) | focal | tversky | lovasz | cldice, or a sum: ce+tversky
    loss_weights: list[float] = field(default_factory=list)   # one weight per term of a sum (empty: all 1)
    class_weights: str | list[float] = "none"   # none | auto (from the training masks) | [w0, w1, ...]
    class_weight_method: str = "median_frequency"   # auto: median_frequency | inverse_sqrt (losses/class_weights.py)
    focal_gamma: float = 2.0            # focal: (1 - p_t)^gamma
    focal_alpha: float = 0.0            # focal, binary: foreground weight alpha, background 1 - alpha; 0 = off
    tversky_alpha: float = 0.3          # tversky: weight of false positives ...
    tversky_beta: float = 0.7           # ... and of false negatives
    tversky_gamma: float = 1.0          # (1 - TI)^gamma; 0.75 = focal Tversky
    cldice_iterations: int = 3          # cldice: soft-skeleton iterations (about the widest structure's radius)
    border_w0: float = 10.0             # weighted_ce: w0 and sigma (px) of the border term
    border_sigma: float = 5.0
    optimizer: str = "adam"             # adam | adamw | sgd
    lr: float = 1e-3
    weight_decay: float = 0.0
    momentum: float = 0.9
    schedule: str = "cosine"            # cosine | step | poly | constant | plateau (lowered when validation stalls)
    warmup_epochs: float = 0.0
    step_epochs: int = 10               # step schedule: multiply lr by step_gamma every step_epochs
    step_gamma: float = 0.1
    poly_power: float = 0.9
    plateau_patience: int = 3           # plateau schedule: validations without gain in train.monitor ...
    plateau_factor: float = 0.5         # ... before the learning rate is multiplied by this
    val_every: int = 1                  # validate every N epochs
    monitor: str = "f1"                 # metric for best.pt and early stopping
    patience: int = 0                   # validations without improvement before stopping; 0 = never
    save_every: int = 0                 # keep epoch_NNN.pt every N epochs; 0 = never
    max_minutes: float = 0.0            # stop after this much training wall time; 0 = no limit
    schedule_to_budget: bool = True     # with max_minutes, cosine/poly progress is the larger of steps done and
                                        # budget used: the rate reaches its floor when the budget ends, however
                                        # fast the loop turns out to be (the plan's probe only estimates it)
    ema: float = 0.0                    # exponential moving average of the weights (decay per step, e.g.
                                        # 0.995; 0 = off): validated, and saved as best.pt/last.pt's model
    freeze_encoder_epochs: int = 0      # encoder U-Nets: train with the encoder frozen for this many epochs
    freeze_lr: float = 0.0              # ... at this learning rate (0 = train.lr)
    freeze_batch_size: int = 0          # ... and batch size (0 = train.batch_size)
    encoder_lr_scale: float = 1.0       # after unfreezing, the encoder learns at lr x this
    precision: str = "auto"             # auto | fp32 | bf16 | fp16 (auto: bf16 on CPUs with AVX-512 BF16 or
                                        # AMX and on CUDA, fp32 on other CPUs; runtime.py). Validation uses
                                        # infer.precision, as evaluate does
    precision_used: str = ""            # written by training: the precision it ran in and why ("bf16: AMX")
    compile: bool = False               # torch.compile the model (first step compiles: ~25 s on 2 cores)
    compile_mode: str = "default"       # default | reduce-overhead (CUDA graphs: 2.7x at batch 4 on an H100)
                                        # | max-autotune
    device: str = "auto"                # auto | cpu | cuda | cuda:N
    seed: int = 0
    progress: bool = True               # a live bar on a terminal; on a file or pipe, plain lines (progress.py)
    progress_seconds: float = 60.0      # ... at most this often within an epoch, besides each epoch's log line
    lr_scaling: str = "none"            # several ranks (torchrun): the global batch is batch_size x ranks;
                                        # linear = train.lr x ranks (Goyal et al. 2017, for SGD) | none
    sync_batchnorm: bool = False        # several ranks on GPUs: BatchNorm statistics over the global batch
    rank_timeout: float = 600.0         # several ranks: seconds a rank waits for the others before the run stops


@dataclass
class InferConfig:
    batch: int = 0                      # tiles per forward pass; 0 = auto: 1 on a CPU (fastest per tile
                                        # there, docs/benchmarks.md), 8 on a GPU
    threshold: float = 0.5              # binary models: probability above which a pixel is foreground
    tile: int = 1024                    # images larger than this are tiled (network input side); 0 = never
    overlap: float = 0.25               # same-padding models: sliding-window overlap fraction
    blend: str = "gaussian"             # same-padding models: gaussian | constant tile weights
    grid: str = "aligned"               # tile origins: aligned to the pooling grid (tiles == whole image) |
                                        # flush (last tile flush with the edge, as MONAI places them)
    tta: bool = False                   # average over flips
    tta_rotations: bool = False         # ... and 90-degree rotations
    resize: str = "none"                # none | letterbox | stretch (for models trained at a fixed size)
    size: int = 512                     # target side for letterbox / stretch
    pad_value: int = 0                  # letterbox padding grey level (0 black; 128 grey as in VOC)
    postprocess: list[str] = field(default_factory=list)   # label-map clean-up: one entry for every class
                                        # but 0, or one per class: none | largest_component | remove_small |
                                        # fill_holes, or several joined by '+' (infer/postprocess.py)
    min_size: int = 64                  # remove_small: components smaller than this many pixels go
    precision: str = "auto"             # auto | fp32 | bf16 | fp16: predict, evaluate and training's validation
                                        # (auto as for train.precision); one checkpoint, one score


@dataclass
class Config:
    data: DataConfig = field(default_factory=DataConfig)
    augment: AugmentConfig = field(default_factory=AugmentConfig)
    model: ModelConfig = field(default_factory=ModelConfig)
    train: TrainConfig = field(default_factory=TrainConfig)
    infer: InferConfig = field(default_factory=InferConfig)


CHOICES = {  # fixed choices; model.name, train.loss and data.format come from their registries
    "data.mask": ("binary", "index"),
    "data.channels": (1, 3),
    "model.padding": ("same", "valid"),
    "model.norm": ("batch", "none"),
    "model.activation": ("relu", "leaky_relu"),
    "model.down": ("maxpool", "strided_conv"),
    "model.up": ("transpose", "bilinear", "nearest"),
    "train.class_weight_method": ("median_frequency", "inverse_sqrt"),
    "augment.elastic": ("none", "grid", "smooth"),
    "infer.blend": ("gaussian", "constant"),
    "infer.grid": ("aligned", "flush"),
    "infer.precision": ("auto", "fp32", "bf16", "fp16"),
    "train.compile_mode": ("default", "reduce-overhead", "max-autotune"),
    "infer.resize": ("none", "letterbox", "stretch"),
    "train.optimizer": ("adam", "adamw", "sgd"),
    "train.schedule": ("cosine", "step", "poly", "constant", "plateau"),
    "train.precision": ("auto", "fp32", "bf16", "fp16"),
    "train.lr_scaling": ("none", "linear"),
}

RANGES = {  # numeric keys whose wrong values would otherwise fail deep inside torch or loop forever
    "train.lr": (lambda v: v > 0, "> 0 (e.g. 1e-3 for adam)"),
    # upper bounds: a typo of a few digits must be an error, not an allocation that takes the machine down
    "data.patch_size": (lambda v: v <= 8192, "<= 8192"),
    "data.patches_per_epoch": (lambda v: v <= 10_000_000, "<= 10,000,000"),
    "train.batch_size": (lambda v: v <= 4096, "<= 4096"),
    "train.epochs": (lambda v: v <= 1_000_000, "<= 1,000,000"),
    "model.base_channels": (lambda v: v <= 1024, "<= 1024"),
    "model.depth": (lambda v: v <= 12, "<= 12"),
    "data.synthetic_train": (lambda v: 1 <= v <= 10_000, "in 1..10,000"),
    "data.synthetic_val": (lambda v: 0 <= v <= 10_000, "in 0..10,000"),
    "data.synthetic_size": (lambda v: 8 <= v <= 4096, "in 8..4096"),
    "infer.size": (lambda v: v <= 65536, "<= 65536"),
    "infer.tile": (lambda v: v <= 65536, "<= 65536"),
    "infer.batch": (lambda v: v <= 4096, "<= 4096"),
    "infer.min_size": (lambda v: v <= 10**9, "<= 10**9"),
    "train.weight_decay": (lambda v: v >= 0, ">= 0"),
    "train.momentum": (lambda v: 0 <= v < 1, "in [0, 1)"),
    "train.warmup_epochs": (lambda v: v >= 0, ">= 0"),
    "augment.zoom_out": (lambda v: 1 <= v <= 4, "between 1 (off) and 4"),
    "train.ema": (lambda v: v == 0 or 0 < v < 1, "0 (off) or a decay between 0 and 1, e.g. 0.995"),
    "train.step_epochs": (lambda v: v > 0, "> 0"),
    "train.step_gamma": (lambda v: v > 0, "> 0"),
    "train.poly_power": (lambda v: v > 0, "> 0"),
    "train.plateau_patience": (lambda v: v >= 1, ">= 1"),
    "train.plateau_factor": (lambda v: 0 < v < 1, "in (0, 1)"),
    "train.patience": (lambda v: v >= 0, ">= 0 (0 = never stop early)"),
    "train.save_every": (lambda v: v >= 0, ">= 0 (0 = never)"),
    "train.max_minutes": (lambda v: v >= 0, ">= 0 (0 = no limit)"),
    "train.progress_seconds": (lambda v: v > 0, "> 0"),
    "train.border_w0": (lambda v: v >= 0, ">= 0"),
    "train.border_sigma": (lambda v: v > 0, "> 0"),
    "train.cldice_iterations": (lambda v: v >= 1, ">= 1"),
    "data.workers": (lambda v: -1 <= v <= 256, "-1 (automatic) or 0..256"),
    "data.cache_mb": (lambda v: 0 <= v <= 10**7, "in 0..10**7"),
    "train.rank_timeout": (lambda v: v > 0, "> 0"),
    "augment.rotate_degrees": (lambda v: 0 <= v <= 180, "in [0, 180]"),
    "augment.scale": (lambda v: 0 <= v < 1, "in [0, 1)"),
    "augment.brightness": (lambda v: 0 <= v < 1, "in [0, 1)"),
    "augment.contrast": (lambda v: 0 <= v < 1, "in [0, 1)"),
    "augment.gamma": (lambda v: 0 <= v < 1, "in [0, 1)"),
    "augment.elastic_probability": (lambda v: 0 <= v <= 1, "in [0, 1]"),
    "augment.elastic_grid_points": (lambda v: v >= 2, ">= 2"),
    "augment.elastic_std": (lambda v: v >= 0, ">= 0"),
    "augment.elastic_alpha": (lambda v: v >= 0, ">= 0"),
    "augment.elastic_sigma": (lambda v: v > 0, "> 0"),
    "augment.hue": (lambda v: 0 <= v <= 1, "in [0, 1]"),
    "augment.saturation": (lambda v: 0 <= v <= 1, "in [0, 1]"),
    "augment.value": (lambda v: 0 <= v <= 1, "in [0, 1]"),
    "augment.pad_value": (lambda v: 0 <= v <= 255, "in 0..255"),
    "model.dropout": (lambda v: 0 <= v < 1, "in [0, 1)"),
    "model.bottleneck_dropout": (lambda v: 0 <= v < 1, "in [0, 1)"),
    "data.val_fraction": (lambda v: 0 < v < 1, "between 0 and 1"),
    "train.freeze_encoder_epochs": (lambda v: v >= 0, ">= 0 (0 = as without freezing)"),
    "train.freeze_lr": (lambda v: v >= 0, ">= 0 (0 = as without freezing)"),
    "train.freeze_batch_size": (lambda v: v >= 0, ">= 0 (0 = as without freezing)"),
    "train.encoder_lr_scale": (lambda v: v > 0, "positive"),
}

POSTPROCESS_STEPS = ("none", "largest_component", "remove_small", "fill_holes")   # infer/postprocess.py

# metrics every evaluation computes; a data format may add its own (ISBI: pixel_error, rand_error),
# so train.monitor is checked by the chosen format (data/formats/base.py: check_config)
BASE_METRICS = ("f1", "dice", "miou", "auc", "pixel_accuracy", "mean_accuracy", "precision", "recall",
                "sensitivity", "specificity")


def _coerce(value: Any, annotation: Any, key: str) -> Any:
    """Check `value` against a field's type annotation, converting where it is lossless."""
    origin = typing.get_origin(annotation)
    if origin in (typing.Union, types.UnionType):  # str | list[float]: a word, or a list (also "1,2,3")
        word, listed = typing.get_args(annotation)
        as_list = isinstance(value, list) or (isinstance(value, (int, float)) and not isinstance(value, bool)) \
            or (isinstance(value, str) and ("," in value or value.strip().lstrip("-").replace(".", "", 1).isdigit()))
        return _coerce(value, listed if as_list else word, key)
    if origin is list:
        (item_type,) = typing.get_args(annotation)
        if isinstance(value, (str, int)) and not isinstance(value, bool):
            value = [v.strip() for v in str(value).split(",") if v.strip()]
        if not isinstance(value, list):
            raise ConfigError(f"config key '{key}' expects a list, got {value!r}")
        return [_coerce(v, item_type, key) for v in value]
    if annotation is bool:
        if isinstance(value, bool):
            return value
        if isinstance(value, str) and value.lower() in ("true", "false", "yes", "no", "1", "0"):
            return value.lower() in ("true", "yes", "1")
        raise ConfigError(f"config key '{key}' expects true/false, got {value!r}")
    if annotation in (int, float):
        kind = "an integer" if annotation is int else "a number"
        exact = isinstance(value, int) or (annotation is float and isinstance(value, float))
        number = None
        if exact and not isinstance(value, bool):
            number = annotation(value)
        elif isinstance(value, str):
            try:
                number = annotation(value)
            except ValueError:
                pass
        if number is not None and math.isfinite(number):
            return number
        raise ConfigError(f"config key '{key}' expects {'a finite number' if number is not None else kind}, "
                          f"got {value!r}")
    if annotation is str:
        if isinstance(value, (str, int, float)) and not isinstance(value, bool):
            return str(value)
        raise ConfigError(f"config key '{key}' expects a string, got {value!r}")
    raise TypeError(f"unsupported annotation {annotation!r} for {key}")  # a bug, not user input


def _section_types(section: Any) -> dict[str, Any]:
    return typing.get_type_hints(type(section))


def _set(config: Config, dotted_key: str, value: Any) -> None:
    parts = dotted_key.split(".")
    if len(parts) != 2:
        raise ConfigError(f"config key {dotted_key!r} must look like section.name (e.g. train.epochs)")
    section_name, name = parts
    if section_name not in {f.name for f in dataclasses.fields(Config)}:
        raise ConfigError(f"unknown config section {section_name!r} in key {dotted_key!r}")
    section = getattr(config, section_name)
    types_ = _section_types(section)
    if name not in types_:
        raise ConfigError(f"unknown config key {dotted_key!r}")
    setattr(section, name, _coerce(value, types_[name], dotted_key))


def _get(config: Config, dotted_key: str) -> Any:
    section, name = dotted_key.split(".")
    return getattr(getattr(config, section), name)


def check_infer_config(infer: InferConfig) -> None:
    """The inference settings on their own (a Predictor given new settings checks them here too)."""
    for key, allowed in CHOICES.items():
        section, name = key.split(".")
        if section == "infer" and getattr(infer, name) not in allowed:
            raise ConfigError(f"config key '{key}' must be one of {', '.join(map(str, allowed))}; "
                              f"got {getattr(infer, name)!r}")
    if infer.batch < 0:
        raise ConfigError("config key 'infer.batch' must be >= 0 (0 = auto)")
    if not 0.0 <= infer.overlap < 1.0:
        raise ConfigError("config key 'infer.overlap' must be in [0, 1)")
    if infer.tile < 0 or not 0 <= infer.pad_value <= 255:
        raise ConfigError("config keys 'infer.tile' >= 0 and 0 <= 'infer.pad_value' <= 255")
    if infer.size <= 0 or not 0.0 <= infer.threshold <= 1.0:
        raise ConfigError("config keys 'infer.size' > 0 and 0 <= 'infer.threshold' <= 1")
    for entry in infer.postprocess:
        unknown = [step for step in entry.split("+") if step not in POSTPROCESS_STEPS]
        if unknown:
            raise ConfigError(f"config key 'infer.postprocess': unknown step '{unknown[0]}' (one of "
                              f"{', '.join(POSTPROCESS_STEPS)}, several joined by '+')")
    if infer.min_size < 0:
        raise ConfigError("config key 'infer.min_size' must be >= 0")


def _check_imbalance_keys(config: Config) -> None:
    train = config.train
    if isinstance(train.class_weights, str) and train.class_weights not in ("none", "auto"):
        raise ConfigError(f"config key 'train.class_weights' must be none, auto or a list of weights; "
                          f"got {train.class_weights!r}")
    if isinstance(train.class_weights, list) and (len(train.class_weights) != config.data.num_classes
                                                  or min(train.class_weights) <= 0):
        raise ConfigError(f"config key 'train.class_weights' must list {config.data.num_classes} positive weights "
                          f"(one per class); got {train.class_weights}")
    if any(weight < 0 for weight in train.loss_weights) or (train.loss_weights and sum(train.loss_weights) <= 0):
        raise ConfigError(f"config key 'train.loss_weights' must be >= 0, not all 0; got {train.loss_weights}")
    if train.focal_gamma < 0 or not 0.0 <= train.focal_alpha < 1.0:
        raise ConfigError("config keys 'train.focal_gamma' >= 0 and 0 <= 'train.focal_alpha' < 1")
    if min(train.tversky_alpha, train.tversky_beta) < 0 or train.tversky_gamma <= 0 or train.cldice_iterations < 1:
        raise ConfigError("config keys 'train.tversky_alpha', 'train.tversky_beta' >= 0, 'train.tversky_gamma' > 0 "
                          "and 'train.cldice_iterations' >= 1")
    if not 0.0 <= config.data.foreground_fraction <= 1.0:
        raise ConfigError("config key 'data.foreground_fraction' must be in [0, 1]")
    if config.data.foreground_fraction and config.augment.letterbox:
        raise ConfigError("data.foreground_fraction picks where patches are cut; with augment.letterbox=true "
                          "training sees whole images (set one of them off)")
    postprocess = config.infer.postprocess
    if len(postprocess) > 1 and len(postprocess) != config.data.num_classes:
        raise ConfigError(f"config key 'infer.postprocess' must have one entry (every class but 0) or "
                          f"{config.data.num_classes} (one per class); got {postprocess}")


def _validate(config: Config) -> None:
    for key, allowed in CHOICES.items():
        value = _get(config, key)
        if value not in allowed:
            raise ConfigError(f"config key '{key}' must be one of {', '.join(map(str, allowed))}; got {value!r}")
    chosen = []
    for key in registry_keys():
        registry = registry_for(key)
        value = _get(config, key)
        try:
            chosen.append(registry[value])
        except ConfigError:
            if "+" in str(value):   # a sum of losses: its own message says which term is wrong
                raise
            raise ConfigError(f"config key '{key}' must be one of {', '.join(registry.names())}; "
                              f"got {value!r}") from None
    positive = ["data.num_classes", "data.patch_size", "data.patches_per_epoch", "model.base_channels",
                "model.depth", "train.epochs", "train.batch_size", "train.val_every"]
    for key in positive:
        if _get(config, key) <= 0:
            raise ConfigError(f"config key '{key}' must be positive")
    check_infer_config(config.infer)
    for key, (rule, text) in RANGES.items():
        value = _get(config, key)
        if not rule(value):
            raise ConfigError(f"config key '{key}' must be {text}; got {value!r}")
    if config.data.num_classes < 2:
        raise ConfigError("config key 'data.num_classes' must be at least 2 (background + one class)")
    if config.data.class_names and len(config.data.class_names) != config.data.num_classes:
        raise ConfigError(f"data.class_names has {len(config.data.class_names)} names "
                          f"but data.num_classes is {config.data.num_classes}")
    if not config.data.num_classes <= config.data.ignore_index <= 255:
        raise ConfigError(f"config key 'data.ignore_index' must be in {config.data.num_classes}..255 (a value "
                          f"that is not a class id); got {config.data.ignore_index}")
    colors = config.data.colors
    if colors and (len(colors) != config.data.num_classes
                   or any(len(c) != 3 or not all(0 <= v <= 255 for v in c) for c in colors)):
        raise ConfigError(f"config key 'data.colors' must list {config.data.num_classes} [R, G, B] colours "
                          f"(0..255), one per class in order; got {colors}")
    if config.train.freeze_encoder_epochs > config.train.epochs:
        raise ConfigError(f"train.freeze_encoder_epochs={config.train.freeze_encoder_epochs} exceeds "
                          f"train.epochs={config.train.epochs}")
    scale_range = config.augment.scale_range
    if scale_range and (len(scale_range) != 2 or not 0 < scale_range[0] <= scale_range[1]):
        raise ConfigError(f"config key 'augment.scale_range' must be [low, high] with 0 < low <= high; got {scale_range}")
    _check_imbalance_keys(config)
    for entry in chosen:  # rules that belong to the chosen model, loss or data format
        check = getattr(entry, "check_config", None)
        if check is not None:
            check(config)


def from_dict(tree: dict[str, Any], overrides: list[str] | None = None, source: str = "config") -> Config:
    """Build a validated Config from a nested dict (as in YAML) and 'section.key=value' overrides."""
    config = Config()
    if not isinstance(tree, dict):
        raise ConfigError(f"{source}: expected a mapping of sections (data:, model:, train:, ...)")
    for section_name, section in tree.items():
        if not isinstance(section, dict):
            raise ConfigError(f"{source}: section '{section_name}' must be a mapping")
        for name, value in section.items():
            try:
                _set(config, f"{section_name}.{name}", value)
            except ConfigError as error:   # the file's mistake: name the file
                raise ConfigError(f"{source}: {error}") from None
    _apply_overrides(config, overrides or [])
    if not 2 <= config.data.num_classes <= 255:   # before naming the classes: 10**13 names would not fit in memory
        raise ConfigError(f"config key 'data.num_classes' must be in 2..255 (background + up to 254 classes; "
                          f"labels are 8-bit, 255 is the ignore label); got {config.data.num_classes}")
    if isinstance(config.data.colors, str):   # 'voc' names the palette that empty colours read through
        if config.data.colors != "voc":
            raise ConfigError(f"config key 'data.colors' must be 'voc' or a list of [R, G, B] colours; "
                              f"got {config.data.colors!r}")
        config.data.colors = []
    if not config.data.class_names:
        data_format = registry_for("data.format").get(config.data.format)
        named = getattr(data_format, "default_class_names", lambda count: None)(config.data.num_classes)
        config.data.class_names = named or (["background", "foreground"] if config.data.num_classes == 2
                                            else [f"class_{i}" for i in range(config.data.num_classes)])
    _validate(config)
    return config


def check_overrides(overrides: list[str]) -> None:
    """Refuse unknown keys and wrong types in 'section.key=value' overrides, before any other work
    (the automatic plan reads the data first and validates the whole config after)."""
    _apply_overrides(Config(), overrides)


def _apply_overrides(config: Config, overrides: list[str]) -> None:
    for override in overrides:
        if "=" not in override:
            raise ConfigError(f"override {override!r} must look like key=value (e.g. train.epochs=50)")
        key, raw = override.split("=", 1)
        try:
            value = yaml.safe_load(raw) if raw.strip() else ""
        except yaml.YAMLError:   # not YAML (a stray control character, '[1,'): the plain text, checked as such
            value = raw
        _set(config, key.strip(), value)


def load_config(path: str | Path | None, overrides: list[str] | None = None) -> Config:
    """Load a YAML config file (or only defaults when `path` is None) and apply overrides."""
    tree: dict[str, Any] = {}
    if path is not None:
        path = Path(path)
        if not path.is_file():
            raise ConfigError(f"{path}: config file not found")
        try:
            tree = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
        except yaml.YAMLError as error:
            raise ConfigError(f"{path}: not valid YAML ({str(error).splitlines()[0]})") from None
        except UnicodeDecodeError as error:
            raise ConfigError(f"{path}: not a text file (byte {error.start} is not UTF-8)") from None
        except OSError as error:
            raise ConfigError(f"{path}: cannot be read ({error.strerror or error})") from None
    return from_dict(tree, overrides, source=str(path or "config"))


def to_dict(config: Config) -> dict[str, Any]:
    return dataclasses.asdict(config)


def save_config(config: Config, path: str | Path) -> None:
    """The config as YAML, written atomically (a killed run's config.yaml is never half a file)."""
    from .files import write_atomically
    text = yaml.safe_dump(to_dict(config), sort_keys=False).encode()
    write_atomically(path, lambda file: file.write(text))


def config_for_checkpoint(saved: Config | dict[str, Any], path: str | Path | None = None,
                          overrides: list[str] | None = None) -> Config:
    """A checkpoint's stored run config (a Config or its nested dict) with the data/infer sections of
    a config file and key=value overrides laid over it; model-defining keys must stay as the
    checkpoint was trained."""
    tree = to_dict(saved) if isinstance(saved, Config) else copy.deepcopy(saved)
    saved_data = dict(tree.get("data", {}))
    if path is not None:
        other = to_dict(load_config(path))
        keep = {key: saved_data[key] for key in ("channels", "num_classes", "class_names") if key in saved_data}
        tree["data"] = {**other["data"], **keep}
        tree["infer"] = other["infer"]
    config = from_dict(tree, overrides, source=str(path or "checkpoint config"))
    for key in ("channels", "num_classes"):
        if key in saved_data and getattr(config.data, key) != saved_data[key]:
            raise ConfigError(f"data.{key}={getattr(config.data, key)} does not match the checkpoint's "
                              f"{saved_data[key]} (the model was trained with it)")
    return config


def override_infer(settings: InferConfig, overrides: list[str]) -> InferConfig:
    """Inference settings with 'infer.key=value' overrides applied (other sections are refused)."""
    settings = copy.deepcopy(settings)
    config = Config(infer=settings)
    for override in overrides:
        key, separator, raw = override.partition("=")
        if not separator or not key.strip().startswith("infer."):
            raise ConfigError(f"override '{override}': only inference settings (infer.key=value) apply here")
        _set(config, key.strip(), yaml.safe_load(raw) if raw.strip() else "")
    check_infer_config(settings)
    return settings


def section_from_dict(section_type: type, values: dict[str, Any], source: str = "config") -> Any:
    """One section (e.g. InferConfig) from a mapping such as a checkpoint's stored run config; missing
    keys keep their defaults, unknown keys and wrong types are errors naming the key."""
    section_name = next(name for name, kind in typing.get_type_hints(Config).items() if kind is section_type)
    section = section_type()
    types_ = _section_types(section)
    for name, value in values.items():
        if name not in types_:
            raise ConfigError(f"{source}: unknown config key '{section_name}.{name}'")
        setattr(section, name, _coerce(value, types_[name], f"{section_name}.{name}"))
    return section
