"""`unetkit weights fetch NAME...` fills the weights caches ahead of time; `unetkit weights list` shows them.

For an air-gapped machine: fetch on a connected one, then copy its caches (the Hugging Face cache and
$TORCH_HOME/hub/checkpoints) to the same places there; training with model.encoder_weights=imagenet
then finds the files without a network (models/pretrained.py)."""
from __future__ import annotations

import argparse

HELP = "fetch pretrained encoder weights into the caches (fetch NAME...), or list what is cached (list)"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    actions = parser.add_subparsers(dest="action", required=True)
    fetch = actions.add_parser("fetch", help="download encoders' ImageNet weights (or a named tag) into the caches",
                               description="ENCODER or ENCODER:TAG, e.g. resnet34, tu-convnext_atto, "
                                           "tu-efficientnet_b0:ra_in1k, resnet50:IMAGENET1K_V2")
    fetch.add_argument("names", nargs="+", metavar="ENCODER[:TAG]")
    actions.add_parser("list", help="the pretrained weights in the Hugging Face and torch.hub caches")


def run(args: argparse.Namespace) -> int:
    from ...models.pretrained import cached_weights, fetch_weights
    if args.action == "fetch":
        for item in args.names:
            source, path = fetch_weights(item)
            print(f"{source.label}: {path}")
        return 0
    found = cached_weights()
    if not found:
        print("no pretrained weights cached (unetkit weights fetch ENCODER fills the cache)")
    for entry in found:
        print(f"{entry.where:12s} {entry.name:48s} {entry.size / 2**20:8.1f} MiB  {entry.path}")
    return 0
