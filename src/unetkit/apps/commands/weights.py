"""`unetkit weights fetch NAME...` fills the weights caches ahead of time; `unetkit weights list` shows them;
`unetkit weights import FILE --encoder NAME` brings weights made elsewhere into them (models/weights_import.py).

For an air-gapped machine: fetch on a connected one, then copy its caches (the Hugging Face cache and
$TORCH_HOME/hub/checkpoints) to the same places there; training with model.encoder_weights=imagenet
then finds the files without a network (models/pretrained.py)."""
from __future__ import annotations

import argparse

HELP = ("fetch pretrained encoder weights into the caches (fetch NAME...), bring a file made elsewhere into them "
        "(import FILE --encoder NAME), or list what is cached (list)")


def add_arguments(parser: argparse.ArgumentParser) -> None:
    actions = parser.add_subparsers(dest="action", required=True)
    fetch = actions.add_parser("fetch", help="download encoders' ImageNet weights (or a named tag) into the caches",
                               description="ENCODER or ENCODER:TAG, e.g. resnet34, tu-convnext_atto, "
                                           "tu-efficientnet_b0:ra_in1k, resnet50:IMAGENET1K_V2")
    fetch.add_argument("names", nargs="+", metavar="ENCODER[:TAG]")
    actions.add_parser("list", help="the pretrained weights in the Hugging Face and torch.hub caches")
    bring = actions.add_parser(
        "import", help="weights made elsewhere (another library's key names, a checkpoint) into the caches",
        description="Match FILE's tensors onto the encoder's network (by name, else by order and shape; strict) and "
                    "write them where model.encoder_weights=imagenet (or --tag) finds them. Nothing is written "
                    "when they do not match.")
    bring.add_argument("file", metavar="FILE", help="a state dict (.pth/.pt/.bin, or .safetensors)")
    bring.add_argument("--encoder", required=True, help="the encoder: tu-<timm model> (e.g. tu-tf_efficientnet_lite0), "
                                                        "or vgg16, resnet18/34/50")
    bring.add_argument("--tag", default="imagenet", help="the name to find them by: imagenet (the default: the "
                                                          "encoder's default published tag), a published tag, or "
                                                          "one of your own (model.encoder_weights=TAG)")


def run(args: argparse.Namespace) -> int:
    from ...models.pretrained import cached_weights, fetch_weights
    if args.action == "fetch":
        for item in args.names:
            source, path = fetch_weights(item)
            print(f"{source.label}: {path}")
        return 0
    if args.action == "import":
        return _import(args)
    found = cached_weights()
    if not found:
        print("no pretrained weights cached (unetkit weights fetch ENCODER fills the cache)")
    for entry in found:
        print(f"{entry.where:12s} {entry.name:48s} {entry.size / 2**20:8.1f} MiB  {entry.path}")
    return 0


def _import(args: argparse.Namespace) -> int:
    from ...models.weights_import import import_weights
    imported = import_weights(args.file, args.encoder, args.tag)
    match, source = imported.match, imported.source
    print(f"{args.file}: {len(match.state)} tensors of {source.label} ({match.by_name} by name, {match.by_order} "
          f"by order and shape) -> {imported.path}")
    if match.left_over:
        print(f"left over (a classifier the network does not take): {', '.join(match.left_over)}")
    if match.without_classifier:
        print(f"without the network's classifier ({', '.join(match.without_classifier)}): the encoder never uses it")
    weights = "" if args.tag == "imagenet" else f" model.encoder_weights={args.tag}"
    print(f"train with: model.encoder={source.encoder}"
          f"{weights or ' model.encoder_weights=imagenet'}")
    return 0
