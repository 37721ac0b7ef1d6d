"""Issue 42: unetkit's encoder U-Net against smp's Unet on the same ImageNet encoder, the same inputs and the
same optimiser, with no plan or budget in between: the training loss after STEPS Adam steps on fixed crops of
LabelMeFacade. A variant is `smp` (smp's Unet) or `unetkit` (the encoder U-Net as built) with any of these parts
in its name: `smp_init` (smp's decoder initialisation applied over the built one), `nearest` / `transpose` (that
up-sampling; bilinear otherwise), `head3` (a 3x3 head replaced in), `seed1` (another seed for the decoder's
initialisation: the spread between seeds is part of the answer). Needs the lite0 weights in the cache
(`unetkit weights import`, docs/encoders.md) and smp (the bench extra).

    HF_HUB_OFFLINE=1 python benchmarks/decoder_gap.py [unetkit unetkit_smp_init_nearest_head3 smp smp_seed1 ...]
"""
from __future__ import annotations

import sys
import time
from dataclasses import replace
from pathlib import Path

import numpy as np
import torch

from unetkit.data import find_samples, load_samples
from unetkit.models import Normalization
from unetkit.train.initial_weights import load_encoder_weights
from unetkit.train.plan import make_plan
from unetkit.train.setup import model_for_config

REPO = Path(__file__).resolve().parents[1]
ROOT = REPO.parent / "shared" / "data" / "labelmefacade"
STEPS, CROP, BATCH, IMAGES = 30, 256, 4, 24


def fixed_batches(config, normalization: Normalization) -> list[tuple[torch.Tensor, torch.Tensor]]:
    samples = load_samples(find_samples(config.data, "train")[:IMAGES], config.data, 255)
    rng = np.random.default_rng(0)
    crops = []
    for sample in samples:
        y, x = rng.integers(0, sample.image.shape[0] - CROP), rng.integers(0, sample.image.shape[1] - CROP)
        crops.append((sample.image[y:y + CROP, x:x + CROP], sample.label[y:y + CROP, x:x + CROP]))
    return [(torch.stack([normalization.apply(image) for image, _ in crops[i:i + BATCH]]),
             torch.stack([torch.from_numpy(label.astype(np.int64)) for _, label in crops[i:i + BATCH]]))
            for i in range(0, len(crops), BATCH)]


def network(variant: str, config):
    if variant == "smp":
        import segmentation_models_pytorch as smp
        return smp.Unet("tu-tf_efficientnet_lite0", encoder_weights="imagenet", classes=config.data.num_classes)
    up = "nearest" if "nearest" in variant else "transpose" if "transpose" in variant else "bilinear"
    model = model_for_config(replace(config, model=replace(config.model, up=up)))
    load_encoder_weights(model, config)
    if "head3" in variant:
        model.head = torch.nn.Conv2d(model.head.in_channels, model.head.out_channels, 3, padding=1)
    if "smp_init" in variant:
        from segmentation_models_pytorch.base import initialization
        for part in (model.decoders, model.ups, model.final):
            initialization.initialize_decoder(part)
        initialization.initialize_head(model.head)
    return model


def main(variants: list[str]) -> None:
    torch.set_num_threads(2)
    config = make_plan([f"data.root={ROOT}", f"data.color_table={REPO / 'configs/colour_tables/labelmefacade.yaml'}",
                        "model.encoder=tu-tf_efficientnet_lite0", "model.encoder_weights=imagenet",
                        "model.decoder_width=256", "model.up=bilinear"], probe=False).config
    batches = fixed_batches(config, Normalization((0.5,) * 3, (0.5,) * 3))
    for variant in variants:
        torch.manual_seed(1 if "seed1" in variant else 0)
        model = network(variant, config).train()
        optimizer = torch.optim.Adam(model.parameters(), 2e-3)
        losses, started = [], time.perf_counter()
        for step in range(STEPS):
            images, labels = batches[step % len(batches)]
            loss = torch.nn.functional.cross_entropy(model(images), labels, ignore_index=255)
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
            losses.append(loss.item())
        print(f"{variant}: loss over the first 5 steps {np.mean(losses[:5]):.3f}, over the last 10 "
              f"{np.mean(losses[-10:]):.3f} ({(time.perf_counter() - started) / STEPS:.2f} s/step)", flush=True)


if __name__ == "__main__":
    main(sys.argv[1:] or ["unetkit", "unetkit_smp_init", "smp"])
