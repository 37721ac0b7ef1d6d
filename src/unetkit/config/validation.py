"""The checks a loaded config passes once (types were checked as values were set): choices, ranges,
cross-field rules, and each chosen registered piece's own rules (`check_config`, its options' rules)."""
from __future__ import annotations

from ..errors import ConfigError
from ..registry import registry_for, registry_keys
from .options import check_piece_options, chosen_pieces, options_of
from .sections import Config, InferConfig
from .values import get_key

CHOICES = {  # fixed choices; model.name, data.format, train.loss, .optimizer, .schedule come from registries
    "data.mask": ("binary", "index"),
    "data.channels": (1, 3),
    "model.padding": ("same", "valid"),
    "model.norm": ("batch", "none"),
    "model.activation": ("relu", "leaky_relu"),
    "model.down": ("maxpool", "strided_conv"),
    "model.up": ("transpose", "bilinear", "nearest"),
    "train.class_weight_method": ("median_frequency", "inverse_sqrt"),
    "data.foreground_draw": ("uniform", "inverse_sqrt"),
    "augment.elastic": ("none", "grid", "smooth"),
    "infer.blend": ("gaussian", "constant"),
    "infer.grid": ("aligned", "flush"),
    "infer.precision": ("auto", "fp32", "bf16", "fp16"),
    "train.compile_mode": ("default", "reduce-overhead", "max-autotune"),
    "infer.resize": ("none", "letterbox", "stretch"),
    "infer.tta_flips": ("trained", "all", "horizontal"),
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
    "model.encoder_depth": (lambda v: 0 <= v <= 8, "in 0..8 (0 = every stage of the encoder)"),
    "model.decoder_width": (lambda v: 16 <= v <= 2048, "in 16..2048 (256 = smp's decoder)"),
    "model.head_kernel": (lambda v: v in (1, 3, 5, 7), "1, 3, 5 or 7 (an odd kernel keeps the size)"),
    "infer.size": (lambda v: v <= 65536, "<= 65536"),
    "infer.tile": (lambda v: v <= 65536, "<= 65536"),
    "infer.batch": (lambda v: v <= 4096, "<= 4096"),
    "infer.min_size": (lambda v: v <= 10**9, "<= 10**9"),
    "infer.temperature": (lambda v: 0.01 <= v <= 100, "in [0.01, 100] (1 = the model's own probabilities)"),
    "infer.mc_dropout": (lambda v: 0 <= v <= 1000, "in 0..1000 (0 = off)"),
    "train.weight_decay": (lambda v: v >= 0, ">= 0"),
    "train.warmup_epochs": (lambda v: v >= 0, ">= 0"),
    "augment.zoom_out": (lambda v: 1 <= v <= 4, "between 1 (off) and 4"),
    "train.ema": (lambda v: v == 0 or 0 < v < 1, "0 (off) or a decay between 0 and 1, e.g. 0.995"),
    "train.patience": (lambda v: v >= 0, ">= 0 (0 = never stop early)"),
    "train.save_every": (lambda v: v >= 0, ">= 0 (0 = never)"),
    "train.max_minutes": (lambda v: v >= 0, ">= 0 (0 = no limit)"),
    "train.progress_seconds": (lambda v: v > 0, "> 0"),
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
    if not infer.scales or not all(0.1 <= s <= 4 for s in infer.scales):
        raise ConfigError(f"config key 'infer.scales' must be a list of factors between 0.1 and 4 "
                          f"(1 = native size); got {infer.scales!r}")
    if not all(-20 <= b <= 20 for b in infer.class_bias):
        raise ConfigError(f"config key 'infer.class_bias' must list one bias in [-20, 20] per class (log-probability "
                          f"units; [] = none); got {infer.class_bias!r}")
    for key in ("infer.temperature", "infer.mc_dropout"):   # the others' ranges: validate
        rule, text = RANGES[key]
        if not rule(getattr(infer, key.split(".")[1])):
            raise ConfigError(f"config key '{key}' must be {text}; got {getattr(infer, key.split('.')[1])!r}")


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
    if not 0.0 <= config.data.foreground_fraction <= 1.0:
        raise ConfigError("config key 'data.foreground_fraction' must be in [0, 1]")
    if config.data.foreground_fraction and config.augment.letterbox:
        raise ConfigError("data.foreground_fraction picks where patches are cut; with augment.letterbox=true "
                          "training sees whole images (set one of them off)")
    bias = config.infer.class_bias
    if bias and (len(bias) != config.data.num_classes or config.data.num_classes < 3):
        raise ConfigError(f"config key 'infer.class_bias' must list {config.data.num_classes} biases (one per class) "
                          f"for a task of 3 or more classes (binary tasks: infer.threshold); got {bias}")
    postprocess = config.infer.postprocess
    if len(postprocess) > 1 and len(postprocess) != config.data.num_classes:
        raise ConfigError(f"config key 'infer.postprocess' must have one entry (every class but 0) or "
                          f"{config.data.num_classes} (one per class); got {postprocess}")


def validate(config: Config) -> None:
    for key, allowed in CHOICES.items():
        value = get_key(config, key)
        if value not in allowed:
            raise ConfigError(f"config key '{key}' must be one of {', '.join(map(str, allowed))}; got {value!r}")
    chosen = []
    for key in registry_keys():
        registry = registry_for(key)
        value = get_key(config, key)
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
        if get_key(config, key) <= 0:
            raise ConfigError(f"config key '{key}' must be positive")
    check_infer_config(config.infer)
    for key, (rule, text) in RANGES.items():
        value = get_key(config, key)
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
    for section_name in ("data", "train"):   # the chosen pieces' own settings, and any other set
        section = getattr(config, section_name)
        for piece in dict.fromkeys(chosen_pieces(section_name, section) + list(section.pieces)):
            check_piece_options(section_name, piece, options_of(section, piece))
    for entry in chosen:  # rules that belong to the chosen model, loss or data format
        check = getattr(entry, "check_config", None)
        if check is not None:
            check(config)

