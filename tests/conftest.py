"""Shared fixtures: small datasets the tests make themselves, a fast config, and one trained run."""
from __future__ import annotations

import importlib
import os
import sys
import tempfile
from pathlib import Path

import numpy as np
import pytest
import torch
from PIL import Image

from unetkit.config import load_config
from unetkit.data.synthetic import write_synthetic_dataset

# modules the tests import lazily (the ONNX exporter pulls in torch._dynamo and sympy): `make mutants` imports
# them once in mutmut's fork server, not again in the process of every mutant (2 s of a 3.7 s run)
MUTANT_PRELOAD = ("torch.onnx", "torch._dynamo", "torch.testing", "onnx", "onnxruntime", "safetensors.torch",
                  "skimage.morphology", "skimage.measure", "skimage.filters", "skimage.draw", "tifffile",
                  "unetkit.export", "unetkit.apps.export", "unetkit.infer.predictor", "hypothesis.extra.numpy")

if "mutmut" in sys.modules:   # `make mutants` (docs/reliability.md): two mutant processes share two cores
    torch.set_num_threads(1)
    for module in MUTANT_PRELOAD:
        importlib.import_module(module)
    Image.init()   # every image plugin, as reading the first file would
else:
    torch.set_num_threads(2)
# no test downloads pretrained weights: a test that needs them writes the cache it reads
# (tests/models/test_pretrained.py); one that forgets gets the offline error, not a network wait
os.environ.setdefault("UNETKIT_OFFLINE", "1")
# annotation exports are painted into a cache (data/annotations/label_cache.py): the session's own, not ~/.cache
os.environ.setdefault("UNETKIT_CACHE", tempfile.mkdtemp(prefix="unetkit-test-cache-"))


def pytest_terminal_summary(terminalreporter) -> None:
    """Says what `auto` precision meant in this run: the CPU's own choice, or UNETKIT_AUTO_PRECISION's
    (`UNETKIT_AUTO_PRECISION=bf16 make test` runs the suite as a CPU with AVX-512 BF16 or AMX would)."""
    from unetkit.runtime import choose_precision
    terminalreporter.write_line(f"unetkit precision auto -> {choose_precision('auto', torch.device('cpu'))}")

# ../shared/data beside the checkout; found from a copy of tests/ too (mutmut runs them from mutants/)
SHARED_DATA = next((p / "shared" / "data" for p in Path(__file__).resolve().parents[1:]
                    if (p / "shared" / "data").is_dir()), Path(__file__).resolve().parents[2] / "shared" / "data")


@pytest.fixture(scope="session")
def synthetic_root(tmp_path_factory) -> Path:
    """A folder-layout dataset: train/val/test with images/, masks/ and roi/, 64x64 images."""
    root = tmp_path_factory.mktemp("synthetic")
    write_synthetic_dataset(root, {"train": 4, "val": 2, "test": 2}, size=64)
    return root


def tiny_overrides(root: Path) -> list[str]:
    return [f"data.root={root}", "data.format=folder", "data.patch_size=32", "data.patches_per_epoch=8",
            "model.base_channels=4", "model.depth=2", "train.batch_size=4", "train.epochs=2",
            "train.progress=false", "train.precision=fp32"]


@pytest.fixture
def tiny_config(synthetic_root):
    return load_config(None, tiny_overrides(synthetic_root))


def write_png(path: Path, array: np.ndarray, mode: str | None = None) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    Image.fromarray(array, mode=mode).save(path)
    return path


def write_three_class_folder(root: Path, seed: int, square: int, top_high: int, contrast: int, noise: int) -> Path:
    """train (4) and val (2) 32x32 index masks: a band of class 1 (10 columns), a square of class 2 of side
    `square` at a random row in [12, top_high); images are mask x contrast plus uniform noise."""
    rng = np.random.default_rng(seed)
    for split, count in (("train", 4), ("val", 2)):
        for index in range(count):
            mask = np.zeros((32, 32), np.uint8)
            mask[:, :10] = 1
            top = int(rng.integers(12, top_high))
            mask[top:top + square, 16:16 + square] = 2
            image = (mask[..., None] * contrast + rng.integers(0, noise, (32, 32, 3))).astype(np.uint8)
            write_png(root / split / "images" / f"m{index}.png", image)
            write_png(root / split / "masks" / f"m{index}.png", mask)
    return root


@pytest.fixture(scope="session")
def trained_run(tmp_path_factory, synthetic_root) -> Path:
    """A run directory trained once per session through the command line (2 tiny epochs)."""
    from unetkit.cli import main
    run = tmp_path_factory.mktemp("trained") / "run"
    assert main(["train", "--out", str(run), *tiny_overrides(synthetic_root)]) == 0
    return run


@pytest.fixture(scope="session")
def checkpoint(trained_run) -> Path:
    """best.pt of the shared trained run."""
    return trained_run / "best.pt"


def train_interrupted_at(config, out_dir: Path, epoch: int) -> None:
    """Run `train` as if Ctrl-C came when epoch `epoch` (0-based) starts; it must stop with Interrupted."""
    from unittest import mock

    from unetkit.data.dataset import PatchDataset
    from unetkit.train import Interrupted, train
    original = PatchDataset.set_epoch

    def interrupt(self, current):
        if current == epoch:
            raise KeyboardInterrupt
        original(self, current)
    with mock.patch.object(PatchDataset, "set_epoch", interrupt), pytest.raises(Interrupted):
        train(config, out_dir)


# -- a model that learnt one bright disk (explanations) ----------------------------------------
def disk_sample(seed: int, size: int = 64) -> tuple[np.ndarray, np.ndarray]:
    """Grey noise (H, W) uint8 with one bright disk; the disk's mask (H, W) bool."""
    rng = np.random.default_rng(seed)
    image = rng.normal(60, 20, (size, size))
    centre = rng.integers(14, size - 14, 2)
    radius = rng.integers(6, 11)
    rows, cols = np.mgrid[:size, :size]
    disk = (rows - centre[0]) ** 2 + (cols - centre[1]) ** 2 <= radius ** 2
    image[disk] += 120
    return image.clip(0, 255).astype(np.uint8), disk


def write_disk_dataset(root: Path, counts: dict[str, int]) -> Path:
    for split, count in counts.items():
        for index in range(count):
            image, disk = disk_sample(1000 * len(split) + index)
            for folder, array in (("images", image), ("masks", disk.astype(np.uint8) * 255)):
                (root / split / folder).mkdir(parents=True, exist_ok=True)
                Image.fromarray(array).save(root / split / folder / f"s{index:02d}.png")
    return root


@pytest.fixture(scope="session")
def disk_checkpoint(tmp_path_factory) -> Path:
    """best.pt of a small U-Net trained for a few seconds to find the disk (binary, 1 channel)."""
    from unetkit.train import train
    root = write_disk_dataset(tmp_path_factory.mktemp("disks"), {"train": 16, "val": 4})
    run = tmp_path_factory.mktemp("disk_run") / "run"
    config = load_config(None, [f"data.root={root}", "data.format=folder", "data.channels=1", "data.patch_size=64",
                                "data.patches_per_epoch=32", "model.base_channels=8", "model.depth=2",
                                "model.norm=batch", "train.batch_size=8", "train.epochs=6", "train.lr=0.01",
                                "train.progress=false", "train.precision=fp32", "train.seed=0"])
    result = train(config, run)
    assert result["metrics"]["iou_per_class"]["foreground"] > 0.7, "the disk model did not learn; CAM tests need it"
    return run / "best.pt"


# -- street-like scenes with RGB colour masks in VOC colours (colour tables, orientation) ------------
SCENE_COLOURS = {"sky": (0, 128, 128), "building": (128, 0, 0), "road": (128, 64, 0)}   # VOC entries 6, 1, 8


def write_scene_dataset(root: Path, count: int = 6, size: tuple[int, int] = (48, 64), table: str | None = None) -> Path:
    """train/ images with RGB masks: sky on top, building in the middle, road at the bottom (the
    boundaries jittered per image), each class in its own colour; `table` writes a colour table
    ('classes.yaml' or 'labelmap.txt') naming the classes sky, building, road in that order."""
    rng = np.random.default_rng(3)
    height, width = size
    colours = np.array(list(SCENE_COLOURS.values()), np.uint8)
    for index in range(count):
        rows = np.arange(height)[:, None].repeat(width, 1)
        horizon, kerb = rng.integers(height // 4, height // 2), rng.integers(2 * height // 3, 5 * height // 6)
        labels = np.where(rows < horizon, 0, np.where(rows < kerb, 1, 2))
        image = (colours[labels] * 0.8 + rng.integers(0, 50, (height, width, 3))).astype(np.uint8)
        write_png(root / "train/images" / f"s{index}.png", image)
        write_png(root / "train/masks" / f"s{index}.png", colours[labels])
    if table == "classes.yaml":
        (root / table).write_text("".join(f"{name}: [{r}, {g}, {b}]\n" for name, (r, g, b) in SCENE_COLOURS.items()))
    elif table == "labelmap.txt":
        (root / table).write_text("# label:color_rgb:parts:actions\n" + "".join(
            f"{name}:{r},{g},{b}::\n" for name, (r, g, b) in SCENE_COLOURS.items()))
    return root
