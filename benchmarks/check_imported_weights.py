"""Are imported weights the real ones? `unetkit weights import` puts a file's tensors into the cache; this
loads timm's whole classifier from that cache entry, offline, and prints its top-3 ImageNet classes for
a few images (issue 42: a street frame should read as street things, a fundus photo as something round).

    python benchmarks/check_imported_weights.py tu-tf_efficientnet_lite0 IMAGE...
"""
from __future__ import annotations

import os
import sys

os.environ.setdefault("HF_HUB_OFFLINE", "1")

import timm  # noqa: E402
import torch  # noqa: E402
from PIL import Image  # noqa: E402
from timm.data import ImageNetInfo, create_transform, resolve_data_config  # noqa: E402


def main(encoder: str, images: list[str]) -> None:
    model = timm.create_model(encoder.removeprefix("tu-"), pretrained=True).eval()
    transform = create_transform(**resolve_data_config({}, model=model))
    names = ImageNetInfo()
    for path in images:
        with torch.no_grad():
            probabilities = model(transform(Image.open(path).convert("RGB"))[None]).softmax(1)[0]
        top = probabilities.topk(3)
        labels = ", ".join(f"{names.index_to_description(int(i))} {p:.2f}" for p, i in zip(top.values, top.indices))
        print(f"{encoder} {os.path.basename(path)}: {labels}")


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2:])
