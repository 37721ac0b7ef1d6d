"""The automatic plan: a dataset's fingerprint in, a training config out, with a reason per choice.

nnU-Net's idea with unetkit's own recipe (the padded U-Net, CE + Dice, Adam at 2e-3 with a cosine
schedule: configs/drive.yaml, measured in docs/benchmarks.md). The rules read the fingerprint
(data/fingerprint.py); the number of epochs and patches per epoch are fitted to train.max_minutes
from a speed probe on this machine (speed_probe.py). Every key given on the command line wins over
the plan, and plan.yaml, written beside the run, says why each value was chosen.
"""
from __future__ import annotations

import logging
import math
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from ..config import (
    Config,
    DataConfig,
    check_overrides,
    from_dict,
    is_override,
    override_values,
    parse_override,
    section_from_dict,
    to_dict,
)
from ..data.dataset_problems import DatasetProblems
from ..data.fingerprint import Fingerprint, fingerprint_dataset
from ..data.formats import FORMATS, detect_format, format_of_export
from ..data.formats.folder import held_out_names
from ..errors import ConfigError
from ..models import MODELS, model_arguments
from .plan_pretrained import (
    PLAN_ENCODER,
    PretrainedStart,
    encoder_choices,
    pretrained_start,
    starts_pretrained,
    users_encoder_start,
)
from .speed_probe import TrainingSpeed, measure_training_speed

log = logging.getLogger(__name__)

DEFAULT_MINUTES = 15.0
MAX_PATCH = 256              # CPU-sized patches; the shipped recipes all train at 256
MIN_PATCH = 64
TARGET_VALIDATIONS = 8       # validations (= epochs) a budget is cut into, to choose best.pt from
VALIDATION_SHARE = 0.1       # at most this share of the budget goes to validation
MIN_STEPS_PER_EPOCH = 5
PROBE_MARGIN = 1.0           # fill the time left: a slower loop is stopped by its clock (train.max_minutes); probes
                             # were off by -20% to +12% against the loop (docs/benchmarks.md, issue 12)
FEW_STEPS = 1000             # fewer steps than this fit the budget at width 32: train the narrower U-Net
NARROWER = {   # the width key of each network the plan trains: the narrower value when few steps fit, and the evidence
    "model.base_channels": (16, "configs/drive_fast.yaml: DRIVE F1 0.80 after 500 steps, docs/benchmarks.md"),
    "model.decoder_width": (128, "the decoder is most of an EfficientNet U-Net's steps; docs/benchmarks.md"),
}
RARE_FOREGROUND = 0.02       # binary masks with less foreground than this train with the Dice loss
RARE_CLASS = 0.02            # multi-class: classes under this share of the labelled pixels are sampled for
RARE_SAMPLING = 0.5          # ... this share of the patches centred on a class chosen among those present
NATURAL_SIZE_SPREAD = 1.25   # colour images whose sides vary more than this are photographs
CONTEXT_STEPS = 2000         # crops larger than the 256 default (up to the median short side: more of the scene's
                             # context) when at least this many steps still fit the budget at that size; at
                             # 1,000 steps 320-px crops did not pay on LabelMeFacade (0.312 vs 0.315 mIoU)
ZOOM_MAX = 4.0               # augment.zoom_out's ceiling (config.py's range)
PLAN_EMA = 0.995             # train.ema: the decay of the weights' moving average (weight_average.py)


@dataclass
class Plan:
    config: Config
    reasons: dict[str, str]             # "section.key" -> why this value
    fingerprint: Fingerprint
    speed: TrainingSpeed | None = None
    user_keys: set[str] = field(default_factory=set)

    def to_yaml(self) -> str:
        """The resolved config as YAML, each chosen key followed by a comment saying why."""
        lines = ["# unetkit automatic plan: the resolved config of this run (a config file for --config).",
                 f"# data: {self.fingerprint.root} ({self.fingerprint.format}); fingerprint in inspect.json",
                 *([(f"# speed probe: {self.speed.steps_per_second:.2f} training steps/s, one validation "
                    f"{self.speed.validation_seconds:.1f} s")] if self.speed else [])]
        for section, values in to_dict(self.config).items():
            lines.append(f"{section}:")
            for key, value in values.items():
                text = yaml.safe_dump(value, default_flow_style=True, width=10_000).strip()
                text = text.removesuffix("\n...").removesuffix("...").strip()
                why = self.reasons.get(f"{section}.{key}")
                lines.append(f"  {key}: {text}" + (f"  # {why}" if why else ""))
        return "\n".join(lines) + "\n"


def _names(value: Any) -> list[str] | None:
    """data.class_names as given on the command line: a YAML list, or names joined by commas."""
    if isinstance(value, str):
        return [name.strip() for name in value.split(",") if name.strip()]
    return value


def _user_data(settings: dict[str, Any]) -> DataConfig:
    values = {key.split(".", 1)[1]: value for key, value in settings.items() if key.startswith("data.")}
    return section_from_dict(DataConfig, values, "command line")


def _patch_size(fingerprint: Fingerprint) -> tuple[int, str]:
    side = min(fingerprint.median_size)
    patch = min(MAX_PATCH, max(MIN_PATCH, side // 32 * 32))
    if side < MIN_PATCH:
        return MIN_PATCH, f"images of {side} px (median short side) are padded to {MIN_PATCH}"
    return patch, (f"median image {fingerprint.median_size[0]}x{fingerprint.median_size[1]}: "
                   + (f"patches of {MAX_PATCH} (the recipes' size)" if patch == MAX_PATCH else
                      "the largest multiple of 32 inside the short side"))


def _natural_images(fingerprint: Fingerprint) -> bool:
    (min_w, min_h), (max_w, max_h) = fingerprint.sizes["min"], fingerprint.sizes["max"]
    spread = max(max_w / max(min_w, 1), max_h / max(min_h, 1))
    return fingerprint.channels == 3 and spread > NATURAL_SIZE_SPREAD


def plan_choices(fingerprint: Fingerprint) -> dict[str, tuple[Any, str]]:
    """Key -> (value, reason) for everything the fingerprint decides (not the time budget)."""
    choices = _data_choices(fingerprint)
    patch, why = _patch_size(fingerprint)
    choices["data.patch_size"] = (patch, why)
    choices["model.name"] = ("unet", "the padded U-Net of the shipped recipes (best on rock_voc and DRIVE here)")
    choices["model.base_channels"] = (32, "the recipes' width (7.8M parameters at depth 4)")
    choices["model.depth"] = depth_choice(patch)
    choices["train.batch_size"] = (4, "the recipes' batch: BatchNorm statistics over 4 patches, short CPU steps")
    choices.update(_imbalance_choices(fingerprint.masks))
    for key, value in {"train.optimizer": "adam", "train.lr": 0.002, "train.schedule": "cosine",
                       "train.warmup_epochs": 0.5}.items():
        choices[key] = (value, "the shipped recipe (configs/drive.yaml, configs/rock_voc.yaml)")
    choices["train.ema"] = (PLAN_EMA, ("a moving average of the weights is validated and saved: LabelMeFacade "
                                       "+0.8 mIoU in 10 minutes, every large class better (docs/benchmarks.md)"))
    choices.update(_augmentation(fingerprint))
    if fingerprint.layout.upright and "data.patch_size" in choices:
        _choose_zoom(choices, fingerprint, choices["data.patch_size"][0], {})
    return choices


def depth_choice(patch: int) -> tuple[int, str]:
    """The U-Net's depth for `patch`-px patches: 4 poolings from 128 px up, else 3."""
    depth = 4 if patch >= 128 else 3
    return depth, f"{patch}-px patches reach {patch >> depth} px at the bottom"


def _data_choices(fingerprint: Fingerprint) -> dict[str, tuple[Any, str]]:
    """How the files read: format, mask encoding, classes, channels, colours and names."""
    masks = fingerprint.masks
    choices: dict[str, tuple[Any, str]] = {
        "data.format": (fingerprint.format, f"{FORMATS[fingerprint.format].layout} found in data.root"),
        "data.mask": (masks.mode, masks.reason),
        "data.num_classes": (masks.num_classes, masks.reason),
        "data.channels": (fingerprint.channels, "every image is grey" if fingerprint.channels == 1
                          else "colour images"),
    }
    if masks.ignore_value is not None:
        choices["data.ignore_index"] = (masks.ignore_value, f"value {masks.ignore_value} marks void pixels")
    if masks.colors:
        choices["data.colors"] = (masks.colors, f"the colours of {Path(masks.table).name}" if masks.table else
                                  "the colours found in the masks, one class each")
    if masks.class_names:
        choices["data.class_names"] = (masks.class_names, f"named by {Path(masks.table).name}")
    return choices


def percent(share: float) -> str:
    """A class's share of the pixels for a person: 0.7%, and 0.069% where one decimal would round it away."""
    return f"{share:.1%}" if share >= 0.001 or share == 0 else f"{share:.3%}"


def _imbalance_choices(masks) -> dict[str, tuple[Any, str]]:
    """The loss, rare-class patches and the monitored metric, from the classes' shares of the pixels."""
    choices: dict[str, tuple[Any, str]] = {}
    foreground = masks.foreground_fraction
    if masks.num_classes == 2 and 0 < foreground < RARE_FOREGROUND:
        choices["train.loss"] = ("dice", f"foreground is {foreground:.1%} of the pixels: Dice does not drown it")
    else:
        present = [share for share in masks.class_fractions if share > 0]   # a class absent from the masks is not small
        smallest = f" (smallest class {percent(min(present))})" if present else ""
        choices["train.loss"] = ("ce_dice", f"cross-entropy for calibrated probabilities + Dice against imbalance{smallest}")
    names = masks.class_names or [f"class_{i}" for i in range(masks.num_classes)]
    rare = [f"{names[i]} {percent(share)}" for i, share in enumerate(masks.class_fractions) if 0 < share < RARE_CLASS]
    if masks.num_classes > 2 and rare:
        choices["data.foreground_fraction"] = (RARE_SAMPLING, (
            f"rare classes ({', '.join(rare)}): {RARE_SAMPLING:.0%} of the patches are centred on a pixel of a "
            f"class other than 0, the class drawn uniformly among those of the training masks"))
        choices["train.tune_class_bias"] = (True, (
            "rare classes: after training, a bias per class on the log-probabilities fitted on the validation "
            "split (mIoU up, no class down by more than a point; +1.2 mIoU on LabelMeFacade, docs/benchmarks.md)"))
    choices["train.monitor"] = (("f1", "binary: F1 (Dice) of the foreground") if masks.num_classes == 2 else
                                ("miou", f"{masks.num_classes} classes: mean IoU weighs small classes equally"))
    return choices


def zoom_out_choice(median_size: tuple[int, int], patch: int) -> tuple[float, str]:
    """Scenes: crops from the patch up to the images' median short side (at most ZOOM_MAX times the
    patch), shrunk to the patch, so that steps see the whole frame's layout at coarser scales too."""
    zoom = round(min(ZOOM_MAX, max(1.0, min(median_size) / patch)), 2)
    if zoom == 1.0:
        return 1.0, "the crops already span the images' short side"
    return zoom, (f"scenes: crops of {patch}-{int(patch * zoom)} px (up to the median short side "
                  f"{min(median_size)}) shrunk to {patch}: the frame's layout in each step (LabelMeFacade: "
                  f"+3.2 mIoU, window 0.00 -> 0.17, docs/benchmarks.md)")


def scales_choice(zoom: float) -> tuple[list[float], str]:
    """infer.scales for a model trained with augment.zoom_out=zoom: the median scale its crops were shrunk
    to (crops of patch x U[1, zoom] per side), so that prediction shows it the scene at the scale it learned."""
    if zoom <= 1.0:
        return [1.0], "trained at native scale: predicted at native scale"
    scale = round(2 / (1 + zoom), 2)
    return [scale], (f"predicted at {scale} of the size, the median scale of its zoom_out crops (LabelMeFacade: "
                     f"+1.7 mIoU against native size, and twice as fast; docs/benchmarks.md)")


def _choose_zoom(choices: dict[str, tuple[Any, str]], fingerprint: Fingerprint, patch: int,
                 given: dict[str, Any]) -> None:
    """augment.zoom_out for `patch` and the infer.scales that goes with it (the user's zoom_out, if given;
    none when the user turned augmentation off, which turns zoom_out off too)."""
    choices["augment.zoom_out"] = zoom_out_choice(fingerprint.median_size, patch)
    zoom = float(given["augment.zoom_out"]) if "augment.zoom_out" in given else choices["augment.zoom_out"][0]
    if given.get("augment.enabled") is False:
        zoom = 1.0
    choices["infer.scales"] = scales_choice(zoom)


def _augmentation(fingerprint: Fingerprint) -> dict[str, tuple[Any, str]]:
    """Orientation from the masks' vertical layout (data/layout.py): data with an up direction is never
    turned upside down or by 90 degrees; data without one (fundus, EM, micrographs) takes every
    orientation. Colour photographs of varied sizes get colour jitter and wider scales."""
    layout = fingerprint.layout
    if layout.upright:
        why = f"upright scenes ({layout.reason}): horizontal flips and small rotations only"
        choices = {"augment.rotate90": (False, why), "augment.vertical_flips": (False, why),
                   "augment.rotate_degrees": (10.0, why)}
    else:
        why = f"no up direction ({layout.reason}): every orientation"
        choices = {"augment.rotate90": (True, why), "augment.vertical_flips": (True, why),
                   "augment.rotate_degrees": (15.0, why)}
    if _natural_images(fingerprint):
        why = "colour images of varied sizes (photographs): colour jitter, wider scales"
        choices.update({"augment.scale_range": ([0.75, 1.5], why), "augment.hue": (0.015, why),
                        "augment.saturation": (0.2, why), "augment.value": (0.2, why)})
    else:
        why = ("grey images (microscopy-like): intensity jitter" if fingerprint.channels == 1
               else "colour images of one size (a scanner or camera set-up): mild intensity jitter")
        choices.update({"augment.brightness": (0.1, why), "augment.contrast": (0.1, why), "augment.gamma": (0.1, why)})
    return choices


def budget_choices(config: Config, speed: TrainingSpeed, seconds_left: float) -> dict[str, tuple[Any, str]]:
    """Epochs, patches per epoch and validation frequency that fill `seconds_left` at `speed`."""
    validation = speed.validation_seconds
    validations = TARGET_VALIDATIONS
    if validation > 0 and validations * validation > VALIDATION_SHARE * seconds_left:
        validations = max(1, math.floor(VALIDATION_SHARE * seconds_left / validation))
    training_seconds = max(0.0, seconds_left - validations * validation) * PROBE_MARGIN
    steps = max(1, math.floor(training_seconds * speed.steps_per_second))
    epochs = max(1, min(validations, steps // MIN_STEPS_PER_EPOCH))
    batch = config.train.batch_size
    why = (f"{steps} steps of {batch} fit {training_seconds / 60:.1f} min at {speed.steps_per_second:.2f} steps/s "
           f"(probe), {epochs} validations of {validation:.1f} s in the budget")
    loop_minutes = max(0.05, (seconds_left - epochs * validation) / 60)
    return {"train.epochs": (epochs, why), "data.patches_per_epoch": ((steps // epochs) * batch, why),
            "train.val_every": (1, "validate after every epoch (each epoch is a 1/epochs share of the budget)"),
            "train.max_minutes": (round(loop_minutes, 2), (
                f"the training loop's clock: the wall-clock budget less planning and {epochs} validations, so "
                f"that the whole command ends in time even where the loop runs slower than the probe"))}


def _without_model_auto(overrides: list[str]) -> list[str]:
    """`model.name=auto` asks the plan to choose the network, as giving no model.name does: the override is
    taken out, and the plan's choice stands with its reason."""
    return [o for o in overrides if not (is_override(o) and parse_override(o).key == "model.name"
                                         and str(parse_override(o).value) == "auto")]


def make_plan(overrides: list[str], probe: bool = True, planning_started: float | None = None) -> Plan:
    """Fingerprint data.root (given in `overrides`) and choose a config; every override wins. With
    `probe`, epochs and patches per epoch are fitted to train.max_minutes (default 15) unless the
    command line fixes either of them. A dataset with problems training would stop on (unreadable files,
    masks of another size, splits encoded differently) is a DatasetProblems error carrying its fingerprint."""
    started = planning_started if planning_started is not None else time.perf_counter()
    check_overrides(overrides)
    overrides = _without_model_auto(overrides)
    settings = override_values(overrides)
    data, fingerprint = _fingerprint(settings)
    choices = plan_choices(fingerprint)
    if "augment.zoom_out" in choices:   # from the user's patch and zoom_out, where given, not the plan's
        _choose_zoom(choices, fingerprint, int(settings.get("data.patch_size", choices["data.patch_size"][0])),
                     settings)
    if "data.patch_size" in settings:   # the user's patch: the depth that fits it
        choices["model.depth"] = depth_choice(int(settings["data.patch_size"]))
    start = _choose_network(choices, fingerprint, settings, may_download=probe)
    if data.format == "drive" and "data.val_images" not in settings:
        ids = [s.name.split("_")[0] for s in FORMATS["drive"].find(Path(data.root), "train", data, True)]
        choices["data.val_images"] = (held_out_names(ids, data.val_fraction),
                                      "DRIVE has no validation split: data.val_fraction of training/ held out")
    minutes = settings.get("train.max_minutes") or DEFAULT_MINUTES
    choices["train.max_minutes"] = (minutes, "the time budget (train.max_minutes, default 15)")
    user_keys = set(settings)
    config, speed = _config(choices, overrides), None
    if probe and not user_keys & {"train.epochs", "data.patches_per_epoch"}:
        # the budget is the whole command's: the plan turns it into the loop's clock (train.max_minutes)
        budget_overrides = [o for o in overrides if parse_override(o).key != "train.max_minutes"]
        config, speed = _fit_to_budget(choices, budget_overrides, minutes * 60, started, fingerprint)
        user_keys.discard("train.max_minutes")
    reasons = {key: why for key, (_, why) in choices.items()}
    reasons.update({key: "set on the command line" for key in user_keys})
    if start is not None and not start.use:
        log.info("%s", start.reason)
    return Plan(config, reasons, fingerprint, speed, user_keys)


def _fingerprint(settings: dict[str, Any]) -> tuple[DataConfig, Fingerprint]:
    """The user's data settings and the dataset's fingerprint; a dataset with problems training would stop
    on is one DatasetProblems error, before any choice (inspect lists them all)."""
    data = _user_data(settings)
    if "data.format" not in settings and data.annotations:
        data.format = format_of_export(Path(data.annotations))
    if not data.root and FORMATS.get(data.format) is not None and FORMATS[data.format].needs_root:
        raise ConfigError("the automatic plan needs data.root=DIR (the dataset folder), or a --config file")
    if "data.format" not in settings and not data.annotations:
        data.format = detect_format(Path(data.root))
    fingerprint = fingerprint_dataset(data, settings.get("data.num_classes"), settings.get("data.ignore_index"),
                                      settings.get("data.colors"), _names(settings.get("data.class_names")))
    if fingerprint.problems:
        raise DatasetProblems(fingerprint, fingerprint.problems)
    return data, fingerprint


def _users_network(settings: dict[str, Any]) -> str | None:
    """The network the command line names: model.name (smp's Unet(encoder_name) for `unet` with an encoder),
    else the one its model options belong to (`decoder_width`, `encoder_*`: the encoder U-Net; `base_channels`,
    `depth`, `model.init_from` ...: the plan's U-Net); None leaves the choice to the plan (`model.up` fits both)."""
    name = settings.get("model.name")
    given = {key.split(".", 1)[1] for key in settings if key.startswith("model.")} - {"name"}
    if name == "unet" and settings.get("model.encoder"):
        return "encoder_unet"
    if name is not None:
        return name
    unet, encoder_unet = set(model_arguments("unet")), set(model_arguments("encoder_unet"))
    if given & ((encoder_unet - unet) | {"encoder_weights"}):
        return "encoder_unet"   # weights without an encoder: the plan's encoder, pretrained
    if given & ((unet - encoder_unet) | {"init_from"}):
        return "unet"   # model.init_from: a start of one's own, no ImageNet start
    return None


def _choose_network(choices: dict[str, tuple[Any, str]], fingerprint: Fingerprint, settings: dict[str, Any],
                    may_download: bool) -> PretrainedStart | None:
    """The network into `choices`: the user's, with every model.* they gave kept and the plan's model keys it
    does not take left out; else an ImageNet-pretrained encoder U-Net where that wins and its weights are
    reachable (plan_pretrained.py), else the plan's U-Net. Returns the pretrained verdict when the plan chose."""
    name, start = _users_network(settings), None
    if name is None:
        start = pretrained_start(fingerprint, may_download)
        if start.use:
            choices.update(encoder_choices(PLAN_ENCODER, True, start.reason))
        else:
            choices["model.name"] = ("unet", f"{choices['model.name'][1]}; {start.reason}")
        name = choices["model.name"][0]
    elif name == "encoder_unet":
        encoder, users = users_encoder_start(settings, fingerprint, may_download)
        choices.update(encoder_choices(encoder, users.use, users.reason))
        if "model.encoder_weights" not in settings:   # the plan chose the start: a line says which and why
            start = users
            if users.use:
                log.info("model.encoder_weights=imagenet: %s", users.reason)
    taken = model_arguments(name) if name in MODELS else ()
    for key in [key for key in choices if key.startswith("model.") and key not in ("model.name", "model.encoder_weights")]:
        if key.split(".", 1)[1] not in taken:
            del choices[key]
    return start


def _choose_context_crop(choices: dict[str, tuple[Any, str]], fingerprint: Fingerprint, patch_size: int,
                         steps: int, given: dict[str, Any]) -> bool:
    """Larger crops for a scene when enough steps still fit (larger_crop); True when the crop changed
    (the plan then probes again), else the patch's reason says why it stays."""
    patch, why = larger_crop(fingerprint.median_size, patch_size, steps)
    if patch == patch_size:
        choices["data.patch_size"] = (patch, f"{choices['data.patch_size'][1]}; {why}")
        return False
    log.info("%s: probing crops of %d", why.split(":")[0], patch)
    choices["data.patch_size"] = (patch, why)
    if "model.depth" in choices:
        choices["model.depth"] = depth_choice(patch)
    _choose_zoom(choices, fingerprint, patch, given)
    return True


def _fit_to_budget(choices: dict[str, tuple[Any, str]], overrides: list[str], budget_seconds: float,
                   started: float, fingerprint: Fingerprint) -> tuple[Config, TrainingSpeed]:
    """Probe the planned config's speed and add the epochs, patches per epoch and validation split
    that fill what is left of the budget to `choices`; the narrower network when few steps would fit and it
    trains from scratch (a pretrained encoder keeps its full decoder: plan_pretrained.PRETRAINED_RECIPE)."""

    given = override_values(overrides)
    planned = _config(choices, overrides)
    settled = FORMATS[planned.data.format].settle(planned.data)   # the validation split to time, chosen once
    if settled.val_images and not planned.data.val_images and "data.val_images" not in choices:
        choices["data.val_images"] = (settled.val_images,
                                      "no val/ folder: data.val_fraction of train/ held out for validation")

    def probe() -> tuple[Config, TrainingSpeed, dict[str, tuple[Any, str]]]:
        config = _config(choices, overrides)
        speed = measure_training_speed(config)
        return config, speed, budget_choices(config, speed, budget_seconds - (time.perf_counter() - started))

    config, speed, fitted = probe()
    steps = fitted["train.epochs"][0] * fitted["data.patches_per_epoch"][0] // config.train.batch_size
    width = next((key for key in NARROWER if key in choices), None)   # the width key of the network planned
    if steps < FEW_STEPS and width is not None and width not in given and not starts_pretrained(choices, given):
        wide, (narrow, evidence) = choices[width][0], NARROWER[width]
        log.info("only %d steps fit the budget at %s=%d: probing %d", steps, width, wide, narrow)
        choices[width] = (narrow, f"only {steps} steps fit the budget at {wide} here; {narrow} has a quarter of the "
                                  f"conv arithmetic ({evidence})")
        config, speed, fitted = probe()
    # context: scenes (an up direction, data/layout.py) are read from the layout of the whole frame; the
    # textures of fundus, EM and micrographs are local, and more steps serve them better
    if (fingerprint.layout.upright and "data.patch_size" in choices
            and "data.patch_size" not in given):
        steps = fitted["train.epochs"][0] * fitted["data.patches_per_epoch"][0] // config.train.batch_size
        if _choose_context_crop(choices, fingerprint, config.data.patch_size, steps, given):
            config, speed, fitted = probe()
    choices.update(fitted)
    return _config(choices, overrides), speed


def larger_crop(median_size: tuple[int, int], patch: int, steps: int) -> tuple[int, str]:
    """The crop side that keeps the most of the images' context within the budget: the largest multiple
    of 32 up to the median short side at which CONTEXT_STEPS steps still fit (a step's time grows with
    the crop's area), and why."""
    side = min(median_size) // 32 * 32
    fits = [c for c in range(patch + 32, side + 1, 32) if steps * (patch / c) ** 2 >= CONTEXT_STEPS]
    if not fits:
        if side <= patch:
            return patch, "the crops already span the short side"
        return patch, (f"crops of {patch + 32} would leave {int(steps * (patch / (patch + 32)) ** 2)} steps "
                       f"(< {CONTEXT_STEPS}): more steps beat more context on this budget")
    crop = fits[-1]
    return crop, (f"crops of {crop} (of a median {median_size[0]}x{median_size[1]} image) for context: about "
                  f"{int(steps * (patch / crop) ** 2)} steps still fit at that size (>= {CONTEXT_STEPS})")


def _config(choices: dict[str, tuple[Any, str]], overrides: list[str]) -> Config:
    tree: dict[str, dict[str, Any]] = {}
    for key, (value, _) in choices.items():
        section, name = key.split(".")
        if value is not None:
            tree.setdefault(section, {})[name] = value
    return from_dict(tree, overrides, source="automatic plan")
