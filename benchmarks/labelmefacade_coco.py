"""Issue 44: LabelMeFacade as an annotation tool would export it, a COCO file per split (a polygon per connected
piece of a class, RLE where the piece has holes), made from its colour masks, beside links to its images in
the Roboflow layout. `unetkit train data.root=OUT` then trains on the COCO files; the PNG masks' run is the
same command on ../shared/data/labelmefacade with its colour table. `various` (black) is the background.

    python benchmarks/labelmefacade_coco.py [OUT]   (default runs/b44/labelmefacade_coco)
"""
from __future__ import annotations

import json
import sys
import time
from pathlib import Path

import numpy as np
from PIL import Image

from unetkit.data.annotations.coco import coco_document
from unetkit.data.annotations.regions import PredictedImage
from unetkit.data.colour_table import read_colour_table

REPO = Path(__file__).resolve().parents[1]
SOURCE = REPO.parent / "shared" / "data" / "labelmefacade"
TABLE = REPO / "configs" / "colour_tables" / "labelmefacade.yaml"


def class_ids(mask_file: Path, colours: np.ndarray) -> np.ndarray:
    rgb = np.asarray(Image.open(mask_file).convert("RGB")).astype(np.int64)
    codes = rgb[..., 0] << 16 | rgb[..., 1] << 8 | rgb[..., 2]
    table = colours[:, 0] << 16 | colours[:, 1] << 8 | colours[:, 2]
    label = np.full(codes.shape, 255, np.uint8)
    for class_id, code in enumerate(table):
        label[codes == code] = class_id
    return label


def main(out: Path) -> None:
    table = read_colour_table(TABLE)
    colours = np.asarray(table.colours, np.int64)
    names = ["background", *table.names[1:]]   # various: what no polygon covers
    for split in ("train", "test"):
        started, predicted, shares = time.perf_counter(), [], np.zeros(len(names))
        folder = out / split
        folder.mkdir(parents=True, exist_ok=True)
        for image in sorted((SOURCE / split / "images").iterdir()):
            label = class_ids(SOURCE / split / "masks" / f"{image.stem}.png", colours)
            link = folder / image.name
            if not link.exists():
                link.symlink_to(image.resolve())
            predicted.append(PredictedImage(image.name, label))
            shares += np.bincount(label[label < len(names)], minlength=len(names))
        document = coco_document(predicted, names)
        (folder / "_annotations.coco.json").write_text(json.dumps(document))
        kinds = [isinstance(a["segmentation"], dict) for a in document["annotations"]]
        print(f"{split}: {len(predicted)} images, {len(kinds)} regions ({sum(kinds)} with holes, as RLE), "
              f"{time.perf_counter() - started:.1f} s; class shares "
              + ", ".join(f"{n} {s:.3f}" for n, s in zip(names, shares / shares.sum(), strict=True)))


if __name__ == "__main__":
    main(Path(sys.argv[1]) if len(sys.argv) > 1 else REPO / "runs" / "b44" / "labelmefacade_coco")
