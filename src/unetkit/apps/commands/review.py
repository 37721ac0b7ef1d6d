"""`unetkit review RUN`: suspicious labels among the labelled images and, with --unlabeled, what to label next."""
from __future__ import annotations

import argparse
from pathlib import Path

from .argument_types import count, positive_int

HELP = "rank labelled images by how likely their masks are wrong, and unlabelled ones by what to label next"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("run", metavar="RUN", help="a run directory (train --out), or a k-fold one (train --folds k)")
    parser.add_argument("--split", choices=["train", "val", "all", "test"], default="all",
                        help="the labelled images a plain run reviews: all (train and val, default), train, val or "
                        "test; a k-fold run reviews every image out of fold")
    parser.add_argument("--top", type=positive_int, default=20, help="panels and page entries per ranking (default 20)")
    parser.add_argument("--unlabeled", metavar="DIR", help="also rank the images of DIR by what labelling them is worth")
    parser.add_argument("--no-labels", action="store_true", help="with --unlabeled: skip the suspicious-label review")
    parser.add_argument("--min-region", type=count, default=16,
                        help="smallest flagged region in pixels (smaller ones are boundary jitter; default 16)")
    parser.add_argument("--out", help="folder for the outputs (default RUN/review)")
    parser.add_argument("--export", nargs=2, metavar=("FORMAT", "FILE"),
                        help="also write the top suspects and label-next picks in review's order, each with the "
                             "model's proposal, for an annotation tool: label_studio (with review's score and a suspect's "
                             "current label as its annotation), coco (the proposals, scored) or cvat (docs/labelling.md)")
    parser.add_argument("--image-url", default="", metavar="PREFIX",
                        help="with --export: put before each image's file name (Label Studio: /data/local-files/?d=images/)")
    parser.add_argument("overrides", nargs="*", metavar="key=value", help="e.g. data.root=... infer.tta=true")


def run(args: argparse.Namespace) -> int:
    from ...errors import ConfigError
    from ...output_paths import output_folder
    from ..review import review
    if args.out:
        output_folder(args.out)
    if args.export:
        from ...data.annotations.pre_annotations import PRE_ANNOTATIONS
        from ...output_paths import output_file
        if args.export[0] not in PRE_ANNOTATIONS:
            raise ConfigError(f"--export {args.export[0]}: not a format unetkit writes ({', '.join(PRE_ANNOTATIONS)})")
        output_file(args.export[1], "--export")
    if args.no_labels and not args.unlabeled:
        raise ConfigError("--no-labels leaves nothing to do without --unlabeled DIR")
    result = review(args.run, args.split, args.top, args.unlabeled, args.out, args.overrides, args.min_region,
                    labels=not args.no_labels, export=tuple(args.export) if args.export else None,
                    image_url=args.image_url)
    print(f"review of {args.run}: {result.note}")
    for rank, suspect in enumerate(result.suspects[:args.top], start=1):
        pairs = "; ".join(f"{pair}: {count} px" for pair, count in list(suspect.claimed.items())[:2])
        print(f"{rank:3d}. {suspect.name:40s} score {suspect.score:.4f}  {pairs}")
    if result.label_next:
        print(f"label next: {', '.join(Path(c.name).name for c in result.label_next[:5])}"
              + (" ..." if len(result.label_next) > 5 else ""))
    print(f"wrote {result.html} (and suspects.csv{', label_next.csv' if result.label_next else ''} beside it)")
    if result.export is not None:
        print(f"wrote {result.export}: the top suspects and picks with the model's proposals ({args.export[0]})")
    return 0
