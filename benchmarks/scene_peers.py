"""Issue 27: the peers' networks on a scene dataset with no config, the same wall-clock budget as the plan;
issue 29: unetkit's encoder U-Nets (resnet34, timm encoders) beside smp's Unet on the same encoder.

Each peer network joins unetkit's model registry for the run (the SegmentationModel contract) and is
trained exactly as a user would train unetkit's own plan, `unetkit train data.root=DIR
train.max_minutes=M model.name=PEER`: the plan reads the data (classes, orientation, rare classes,
augmentation, loss) and fits the budget to the peer's own probed speed; only the network differs.
best.pt is then scored with `unetkit evaluate --split test`. Peers from ../shared/bench/peers.py:
smp's Unet-ResNet34 (from scratch, the best same-budget peer on street scenes in issue 27), MONAI's
BasicUNet, and smp's Unet on timm encoders (smp_unet_tu-X; smp_unet_imagenet_tu-tf_efficientnet_lite0 on its ImageNet
weights, issue 42). unetkit's own rows: `plan` (no model
override), `resnet34_unet` and `tu-X` (model.name=unet model.encoder=tu-X), each with model.up=bilinear;
`tu-tf_efficientnet_lite0_scratch` (the plan's pretrained encoder from scratch). With the lite0 weights
cached, `plan` is the pretrained plan.

Usage: python benchmarks/scene_peers.py [--minutes 10] [--peers smp_unet_resnet34,monai_basicunet,tu-convnext_atto,...]
       [--root ../shared/data/labelmefacade] [--out runs/scene_peers] [key=value ...]
Needs the bench extra (pip install -e '.[bench]'). Run nothing else meanwhile: budgets are wall-clock.
"""
from __future__ import annotations

import argparse
import json
from pathlib import Path

from _smp_unet import SmpUnetResNet34, smp_unet_on

from unetkit.cli import main as unetkit
from unetkit.models import MODELS, SegmentationModel, register_model

REPO = Path(__file__).resolve().parents[1]


class MonaiBasicUNet(SegmentationModel):
    """MONAI's BasicUNet (2-D, its default widths 32..512), padded: input sides a multiple of 16."""

    def __init__(self, in_channels: int, out_channels: int):
        super().__init__(in_channels, out_channels)
        from monai.networks.nets import BasicUNet
        self.net = BasicUNet(spatial_dims=2, in_channels=in_channels, out_channels=out_channels)

    @property
    def size_multiple(self) -> int:
        return 16

    def forward(self, x):
        return self.net(x)


PEERS = {"smp_unet_resnet34": SmpUnetResNet34, "monai_basicunet": MonaiBasicUNet}
OWN = {"plan": [], "resnet34_unet": ["model.name=resnet34_unet", "model.up=bilinear"]}   # unetkit's rows
TIMM_ENCODERS = ("tu-convnext_atto", "tu-efficientnet_b0", "tu-regnety_004")   # issue 29: similar cost
for _encoder in TIMM_ENCODERS:
    OWN[_encoder] = ["model.name=unet", f"model.encoder={_encoder}", "model.up=bilinear"]
    PEERS[f"smp_unet_{_encoder}"] = smp_unet_on(_encoder)
# issue 42: the EfficientNet-Lite0 ImageNet weights (`unetkit weights import`, docs/encoders.md) in smp's Unet, loaded by
# smp itself; the inputs are normalised as unetkit normalises a peer's (the training images' mean and std)
PRETRAINED = "tu-tf_efficientnet_lite0"
PEERS[f"smp_unet_imagenet_{PRETRAINED}"] = smp_unet_on(PRETRAINED, "imagenet")
OWN[f"{PRETRAINED}_scratch"] = ["model.name=unet", f"model.encoder={PRETRAINED}"]


def model_overrides(name: str) -> list[str]:
    """The command-line overrides that make `name`'s row: a peer joins the model registry first."""
    if name in OWN:
        return OWN[name]
    if name not in MODELS:
        register_model(PEERS[name], name=name)
    return [f"model.name={name}"]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--minutes", type=float, default=10.0)
    parser.add_argument("--peers", default=",".join(PEERS))
    parser.add_argument("--root", default=str(REPO.parent / "shared" / "data" / "labelmefacade"))
    parser.add_argument("--out", default="runs/scene_peers")
    parser.add_argument("overrides", nargs="*", help="extra KEY=VALUE for every run (e.g. data.color_table=FILE)")
    args = parser.parse_args()
    for name in args.peers.split(","):
        model = model_overrides(name)
        run = Path(args.out) / name
        if not (run / "metrics.json").is_file():
            failed = unetkit(["train", f"data.root={args.root}", f"train.max_minutes={args.minutes:g}", *model,
                              "train.progress=false", *args.overrides, "--out", str(run)])
            if failed:   # e.g. an override the peer does not take: the next row, not a traceback
                print(name, f"training failed (exit {failed}): no row", flush=True)
                continue
        if unetkit(["evaluate", "--checkpoint", str(run / "best.pt"), "--split", "test",
                    "--json", str(run / "test.json")]):
            print(name, "evaluation failed: no row", flush=True)
            continue
        test = json.loads((run / "test.json").read_text())
        print(name, json.dumps({k: round(v, 4) for k, v in test.items() if not isinstance(v, dict)}), flush=True)
        print(name, json.dumps({k: round(v, 4) for k, v in test["iou_per_class"].items()}), flush=True)
        history = [json.loads(line) for line in (run / "history.jsonl").read_text().splitlines() if line.strip()]
        print(name, json.dumps({"epochs": len(history), "steps": history[-1]["step"],
                                "train_seconds": history[-1]["train_seconds"]}), flush=True)


if __name__ == "__main__":
    main()
