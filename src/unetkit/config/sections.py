"""The run configuration's sections as typed dataclasses with their defaults (data, augment, model,
train, infer). Settings that belong to one registered piece (a loss, a schedule, an optimizer, a data
format) are declared by that piece (options.py) and kept in its section's `pieces`."""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass
class DataConfig:
    format: str = "folder"              # a registered data format: folder | drive | isbi | voc | synthetic |
                                        # coco | cvat | labelme | label_studio (annotation exports)
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
    annotations: str = ""               # coco, cvat, label_studio: the export file, where data.root's layout does
                                        # not name it (data/formats/annotated.py)
    images: str = ""                    # ... and the folder of its images (default: data.root, else the file's folder)
    foreground_fraction: float = 0.0    # at least this share of training patches is centred on a pixel of a
                                        # class other than 0, the class drawn among those of the training masks
    foreground_draw: str = "uniform"    # how that class is drawn: uniform (each class as often) | inverse_sqrt
                                        # (weights 1/sqrt(its pixel share): the rarest classes more often)
    pieces: dict[str, Any] = field(default_factory=dict)   # the data format's own settings, as set (options.py):
                                        # data.isbi.train_slices=0-24, data.synthetic.size=128

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
    encoder: str = ""                   # encoder_unet: vgg16 | resnet18/34/50 (torchvision) | tu-<any timm model>;
                                        # model.name=unet with an encoder becomes encoder_unet
    encoder_depth: int = 0              # tu-* encoders: the first N feature stages (0 = all the model has)
    decoder_width: int = 256            # encoder_unet: channels of the deepest decoder stage, halved at each
                                        # shallower one (smp's 256, 128, 64, 32, 16); 128 quarters the decoder
    head_kernel: int = 3                # encoder_unet: the head's conv, 3x3 as smp's (1: the 1x1 of earlier versions)
    encoder_weights: str = ""           # encoder U-Nets: imagenet | a published tag | a local file (.pth, .safetensors);
                                        # resolved through the caches (models/pretrained.py)
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
    optimizer: str = "adam"             # a registered optimizer: adam | adamw | sgd (train/optimizers.py)
    lr: float = 1e-3
    weight_decay: float = 0.0
    schedule: str = "cosine"            # a registered schedule: cosine | step | poly | constant | plateau (lowered
                                        # when validation stalls; train/schedules.py)
    warmup_epochs: float = 0.0
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
    calibrate: bool = True              # after training, fit infer.temperature on the validation split (stored in
                                        # best.pt and last.pt; ECE and NLL before/after in metrics.json)
    tune_class_bias: bool = False       # after training, fit infer.class_bias on the validation split: mIoU up,
                                        # no class's IoU down by more than a point (train/class_bias.py)
    lr_scaling: str = "none"            # several ranks (torchrun): the global batch is batch_size x ranks;
                                        # linear = train.lr x ranks (Goyal et al. 2017, for SGD) | none
    sync_batchnorm: bool = False        # several ranks on GPUs: BatchNorm statistics over the global batch
    rank_timeout: float = 600.0         # several ranks: seconds a rank waits for the others before the run stops
    pieces: dict[str, Any] = field(default_factory=dict)   # the loss's, schedule's and optimizer's own settings,
                                        # as set (options.py): train.tversky.alpha=0.3, train.step.gamma=0.5


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
    tta_flips: str = "trained"          # the flips infer.tta averages: trained (those the model learned: the
                                        # horizontal flip alone for upright scenes, augment.vertical_flips=false)
                                        # | all (horizontal, vertical, both) | horizontal
    scales: list[float] = field(default_factory=lambda: [1.0])   # multi-scale inference: the image resized by each
                                        # factor (1 = native), probabilities brought back and averaged
                                        # (infer/scales.py); [0.75] predicts at three quarters of the size
    resize: str = "none"                # none | letterbox | stretch (for models trained at a fixed size)
    size: int = 512                     # target side for letterbox / stretch
    pad_value: int = 0                  # letterbox padding grey level (0 black; 128 grey as in VOC)
    postprocess: list[str] = field(default_factory=list)   # label-map clean-up: one entry for every class
                                        # but 0, or one per class: none | largest_component | remove_small |
                                        # fill_holes, or several joined by '+' (infer/postprocess.py)
    min_size: int = 64                  # remove_small: components smaller than this many pixels go
    precision: str = "auto"             # auto | fp32 | bf16 | fp16: predict, evaluate and training's validation
                                        # (auto as for train.precision); one checkpoint, one score
    temperature: float = 1.0            # logits / T before softmax or sigmoid: T > 1 softens over-confident
                                        # probabilities (fitted on the validation split by train.calibrate)
    mc_dropout: int = 0                 # N > 0: N passes with dropout on (models trained with dropout),
                                        # averaged; their disagreement is predict --uncertainty's MI map
    class_bias: list[float] = field(default_factory=list)   # multi-class labels: added to the log-probabilities
                                        # before the argmax, one per class (probability maps unchanged);
                                        # fitted on the validation split by train.tune_class_bias


@dataclass
class Config:
    data: DataConfig = field(default_factory=DataConfig)
    augment: AugmentConfig = field(default_factory=AugmentConfig)
    model: ModelConfig = field(default_factory=ModelConfig)
    train: TrainConfig = field(default_factory=TrainConfig)
    infer: InferConfig = field(default_factory=InferConfig)

