"""Issue 45 part 4: unetkit review's suspect ranking beside cleanlab's (2.9, Apache-2.0)
`segmentation.rank.get_label_quality_scores` on the same model's probabilities, on a run made by
review_corrupted.py (its corrupted.json names the corrupted masks): where each puts them, precision at 5
and 10.

cleanlab knows no ignore label or ROI: pixels outside the ROI (DRIVE's field of view) get the model's own
class there, so that neither ranking counts them. Its score is "lower = worse"; review's "higher = worse".

Usage: python benchmarks/review_vs_cleanlab.py --dataset drive|rock_voc [--out runs/review_bench] [--no-append]
"""
from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

import numpy as np
from _report import append_report

from unetkit.apps.review import reviewed_models
from unetkit.review import ImageProbabilities, quantized, rank_suspects


def precision_at(order: list[str], corrupted: set[str], k: int) -> float:
    return sum(name in corrupted for name in order[:k]) / k


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--dataset", choices=["drive", "rock_voc"], required=True)
    parser.add_argument("--out", default="runs/review_bench")
    parser.add_argument("--no-append", action="store_true")
    args = parser.parse_args()
    from cleanlab.segmentation.rank import get_label_quality_scores
    out = Path(args.out) / args.dataset
    corrupted = set(json.loads((out / "corrupted.json").read_text())["corrupted"])
    models, _ = reviewed_models(out / "run", "all", [])
    names, probabilities, labels, reviewed = [], [], [], []
    for model in models:
        for sample in model.samples:
            p = model.predictor.probabilities(sample.image).numpy()
            names.append(sample.name)
            probabilities.append(p)
            labels.append(np.where(sample.label == 255, p.argmax(0), sample.label).astype(np.int64))
            reviewed.append(ImageProbabilities(sample.name, quantized(p), sample.label))
    class_names = models[0].predictor.class_names
    started = time.perf_counter()
    ranked, _ = rank_suspects(reviewed, len(class_names), class_names, 255)
    review_seconds = time.perf_counter() - started
    started = time.perf_counter()
    scores, _ = get_label_quality_scores(np.stack(labels), np.stack(probabilities), method="softmin", verbose=False)
    cleanlab_seconds = time.perf_counter() - started
    orders = {"unetkit review": [s.name for s in ranked],
              "cleanlab get_label_quality_scores (softmin)": [names[i] for i in np.argsort(scores)]}
    seconds = {"unetkit review": review_seconds, "cleanlab get_label_quality_scores (softmin)": cleanlab_seconds}
    lines = [f"{args.dataset}: {len(corrupted)} of {len(names)} reviewed masks corrupted (review_corrupted.py's run, "
             f"best.pt's probabilities); ranks of the corrupted masks:", "",
             "| ranking | ranks of the corrupted | precision at 5 | precision at 10 | seconds |", "|---|---|---|---|---|"]
    for method, order in orders.items():
        ranks = sorted(order.index(name) + 1 for name in corrupted)
        lines.append(f"| {method} | {', '.join(map(str, ranks))} | {precision_at(order, corrupted, 5):.1f} | "
                     f"{precision_at(order, corrupted, 10):.1f} | {seconds[method]:.1f} |")
    append_report(f"review vs cleanlab on corrupted {args.dataset} masks (issue 45)", lines, append=not args.no_append)


if __name__ == "__main__":
    main()
