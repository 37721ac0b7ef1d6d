"""`unetkit review RUN`: after a first model, which labelled masks are probably wrong (review/suspects.py)
and, with `--unlabeled DIR`, which images to label next (review/label_next.py); suspects.csv,
label_next.csv, their panels and review.html (with the reliability diagram) in RUN/review.

A k-fold run (`train --folds k`) is reviewed out of fold: each image is predicted by the fold that held
it out, so no prediction has seen its own mask. A plain run reviews the split asked for with best.pt,
and says so when that split is the training one (the model has learned those masks, mistakes
included, so fewer suspects are found).
"""
from __future__ import annotations

import csv
import html
import logging
import os
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import torch
from PIL import Image

from ..config import Config, load_config, split_overrides
from ..data import FORMATS, Sample, class_pixel_counts, find_samples, load_samples
from ..data.annotations.pre_annotations import PRE_ANNOTATIONS
from ..data.annotations.regions import PredictedImage
from ..data.io import read_image
from ..errors import ConfigError
from ..files import write_atomically
from ..infer.predictor import Predictor
from ..metrics import SegmentationMetrics
from ..output_paths import output_folder
from ..review import ImageProbabilities, Suspect, quantized, rank_suspects
from ..review.label_next import Candidate, candidate, rank_unlabeled, rarity_weights
from ..viz.charts import reliability_chart
from ..viz.heatmap import heatmap
from ..viz.overlay import as_rgb, draw_contours
from ..viz.panels import side_by_side
from .html_page import embedded_image, number, page
from .html_page import safe_file_name as _safe
from .predict import list_inputs, load_predictor

log = logging.getLogger(__name__)

FLAG_COLOUR = np.array([[0, 0, 0], [255, 40, 40]] + [[255, 40, 40]] * 254, np.uint8)


@dataclass
class ReviewedModel:
    """A predictor and the labelled samples it reviews (a fold's held-out images, or the split asked for)."""
    predictor: Predictor
    samples: list[Sample]
    config: Config


@dataclass
class ReviewResult:
    out_dir: Path
    html: Path
    suspects: list[Suspect] = field(default_factory=list)
    label_next: list[Candidate] = field(default_factory=list)
    out_of_fold: bool = False
    note: str = ""
    export: Path | None = None   # --export's file


def _fold_dirs(run: Path) -> list[Path]:
    return sorted(path for path in run.glob("fold_*") if (path / "best.pt").is_file())


def _labelled(samples: list[Sample], where: str) -> list[Sample]:
    unlabelled = [sample.name for sample in samples if sample.label is None]
    if unlabelled or not samples:
        raise ConfigError(f"{where}: {'no images' if not samples else 'no masks for ' + unlabelled[0]}: reviewing "
                          f"labels needs labelled images (give --unlabeled DIR alone to rank unlabelled ones)")
    return samples


def reviewed_models(run: Path, split: str, overrides: list[str]) -> tuple[list[ReviewedModel], bool]:
    """The models and the images each reviews; True when the predictions are out of fold."""
    _, infer_overrides = split_overrides(overrides)
    folds = _fold_dirs(run)
    if folds:
        models = []
        for fold in folds:
            config = load_config(fold / "config.yaml", overrides)
            samples = _labelled(load_samples(find_samples(config.data, "val"), config.data), f"{fold} (held out)")
            models.append(ReviewedModel(load_predictor(fold / "best.pt", infer_overrides)[0], samples, config))
        return models, True
    if not (run / "config.yaml").is_file() or not (run / "best.pt").is_file():
        raise ConfigError(f"{run}: not a training run (it needs config.yaml and best.pt, or fold_*/ of train --folds)")
    config = load_config(run / "config.yaml", overrides)
    splits = [split] if split != "all" else ["train", *(["val"] if FORMATS[config.data.format].has_validation(
        config.data) else [])]
    files = [file for name in splits for file in find_samples(config.data, name)]
    samples = _labelled(load_samples(files, config.data), f"{run}, {split} split")
    return [ReviewedModel(load_predictor(run / "best.pt", infer_overrides)[0], samples, config)], False


def _suspect_panel(sample: Sample, predicted: np.ndarray, suspect: Suspect, num_classes: int) -> np.ndarray:
    """image | mask | prediction | image with the flagged regions outlined in red."""
    strip = side_by_side(sample.image, np.where(sample.label == 255, 0, sample.label), predicted, num_classes)
    flagged = draw_contours(as_rgb(sample.image), suspect.mask.astype(np.uint8), FLAG_COLOUR, thickness=2)
    spacer = np.full((strip.shape[0], 4, 3), 255, np.uint8)
    return np.concatenate([strip, spacer, flagged], axis=1)


def review_labels(models: list[ReviewedModel], out_dir: Path, top: int, min_region: int
                  ) -> tuple[list[Suspect], SegmentationMetrics, list[Path], list[PredictedImage]]:
    """Predict every reviewed image, rank the suspects, write suspects.csv and the top panels; the top
    suspects' proposals (the model's label beside the current one, for --export)."""
    first = models[0].predictor
    metrics = SegmentationMetrics(first.num_classes, first.class_names, first.threshold)
    images, by_name = [], {}
    for model in models:
        for sample in model.samples:
            probabilities = model.predictor.probabilities(sample.image)
            metrics.update(probabilities, torch.from_numpy(sample.label.astype(np.int64)))
            images.append(ImageProbabilities(sample.name, quantized(probabilities.numpy()), sample.label))
            by_name[sample.name] = (sample, model.predictor)
    probabilities_of = {image.name: image for image in images}
    ranked, thresholds = rank_suspects(images, first.num_classes, first.class_names, metrics.ignore_index, min_region)
    log.info("class thresholds (mean self-confidence): %s", ", ".join(
        f"{name} {value:.3f}" for name, value in zip(first.class_names, thresholds)))
    (out_dir / "suspects").mkdir(parents=True, exist_ok=True)
    panels, proposals = [], []
    for rank, suspect in enumerate(ranked[:top], start=1):
        sample, predictor = by_name[suspect.name]
        probabilities = torch.from_numpy(probabilities_of[suspect.name].probabilities / 255.0)
        predicted = predictor.labels_from(probabilities.float()).numpy()
        panels.append(out_dir / "suspects" / f"{rank:03d}_{_safe(suspect.name)}.png")
        Image.fromarray(_suspect_panel(sample, predicted, suspect, first.num_classes)).save(panels[-1])
        proposals.append(PredictedImage(sample.name, predicted.astype(np.uint8), probabilities.numpy(),
                                        label_now=sample.label, score=suspect.score))   # named for export in review()
    with open(out_dir / "suspects.csv", "w", newline="") as file:
        writer = csv.writer(file)
        writer.writerow(["rank", "image", "score", "suspect_share", "regions", "label -> model (pixels)"])
        for rank, suspect in enumerate(ranked, start=1):
            writer.writerow([rank, suspect.name, f"{suspect.score:.6f}", f"{suspect.suspect_share:.6f}", suspect.regions,
                             "; ".join(f"{pair}: {count}" for pair, count in suspect.claimed.items())])
    return ranked, metrics, panels, proposals


def review_unlabeled(predictor: Predictor, folder: Path, class_pixels: np.ndarray, out_dir: Path, top: int
                     ) -> tuple[list[Candidate], list[Path], list[PredictedImage]]:
    """Rank the images of `folder` by the value of labelling them; label_next.csv and the top panels; the
    picks' proposals (for --export)."""
    weights = rarity_weights(class_pixels)
    candidates, maps_of = [], {}
    for path in list_inputs([folder]):
        image = read_image(path, predictor.in_channels)
        maps = predictor.uncertainty(image)
        entropy = maps.normalised("entropy").numpy()
        candidates.append(candidate(str(path), image, maps.probabilities.numpy(), entropy, weights))
        maps_of[str(path)] = (image, predictor.labels_from(maps.probabilities).numpy(), entropy)
    picked = rank_unlabeled(candidates, top)
    (out_dir / "label_next").mkdir(parents=True, exist_ok=True)
    panels, proposals = [], []
    for chosen in picked:
        image, predicted, entropy = maps_of[chosen.name]
        name = Path(chosen.name).relative_to(folder).as_posix() if Path(chosen.name).is_relative_to(folder) else \
            Path(chosen.name).name   # the image as the tool will know it: its path under the pool's folder
        proposals.append(PredictedImage(name, predicted.astype(np.uint8), score=chosen.picked_value))
        strip = side_by_side(image, predicted, None, predictor.num_classes)
        spacer = np.full((strip.shape[0], 4, 3), 255, np.uint8)
        panels.append(out_dir / "label_next" / f"{chosen.rank:03d}_{_safe(Path(chosen.name).stem)}.png")
        Image.fromarray(np.concatenate([strip, spacer, heatmap(entropy, maximum=1.0)], axis=1)).save(panels[-1])
    with open(out_dir / "label_next.csv", "w", newline="") as file:
        writer = csv.writer(file)
        writer.writerow(["rank", "image", "value", "value_after_diversity", "mean_entropy", "rarity"])
        for chosen in picked:
            writer.writerow([chosen.rank, chosen.name, f"{chosen.value:.6f}", f"{chosen.picked_value:.6f}",
                             f"{chosen.mean_entropy:.6f}", f"{chosen.rarity:.4f}"])
    return picked, panels, proposals


def review(run: str | Path, split: str = "all", top: int = 20, unlabeled: str | Path | None = None,
           out: str | Path | None = None, overrides: list[str] | None = None, min_region: int = 16,
           labels: bool = True, export: tuple[str, str] | None = None, image_url: str = "") -> ReviewResult:
    """The command: suspects among the labelled images (unless labels=False), the label-next ranking of
    `unlabeled`, and review.html; `export` (FORMAT, FILE): the top suspects and picks, each with the model's
    proposal, for an annotation tool (data/annotations/pre_annotations.py), in review's order."""
    run = Path(run)
    if not run.is_dir():
        raise ConfigError(f"{run}: no such run directory")
    out_dir = Path(out) if out else run / "review"
    output_folder(out_dir)
    models, out_of_fold = reviewed_models(run, split, list(overrides or []))
    export_names = _export_names([sample for model in models for sample in model.samples]) if export else {}
    result = ReviewResult(out_dir, out_dir / "review.html", out_of_fold=out_of_fold)
    result.note = ("predictions out of fold: each image by the model that did not train on it" if out_of_fold else
                   f"best.pt on the {split if split != 'all' else 'train and val'} split" + (
                       ": the model was trained on these masks, mistakes included, so it finds fewer suspects "
                       "than a k-fold run would (train --folds 5)" if split in ("train", "all") else ""))
    sections = [("Summary", f"<p>{html.escape(str(run))}: {html.escape(result.note)}.</p>")]
    proposals: list[PredictedImage] = []
    if labels:
        result.suspects, metrics, panels, proposals = review_labels(models, out_dir, top, min_region)
        for proposal in proposals:
            proposal.file_name = export_names.get(proposal.file_name, proposal.file_name)
        sections += _suspect_sections(result.suspects[:top], panels, metrics, out_dir)
    if unlabeled:
        predictor = models[0].predictor if len(models) == 1 else load_predictor(
            [fold / "best.pt" for fold in _fold_dirs(run)], split_overrides(list(overrides or []))[1])[0]
        counts = class_pixel_counts([s for m in models for s in m.samples], predictor.num_classes)
        result.label_next, panels, picks = review_unlabeled(predictor, Path(unlabeled), counts, out_dir, top)
        proposals += picks
        sections.append(_label_next_section(result.label_next, panels))
    if export is not None:
        writer = PRE_ANNOTATIONS[export[0]](models[0].predictor.class_names, image_url)
        for proposal in proposals:
            writer.add(proposal)
        text = writer.text().encode("utf-8")
        result.export = write_atomically(export[1], lambda file: file.write(text))
    text = page("unetkit review", str(run), sections)
    write_atomically(result.html, lambda file: file.write(text.encode()))
    return result


def _export_names(samples: list[Sample]) -> dict[str, str]:
    """Sample name -> the image's name in --export: its file name, or where two files share one (the same name
    in train/ and val/), its path under the samples' common folder. Refused, before any work, for the slices
    of a TIFF stack: an annotation tool needs one file per image."""
    for sample in samples:
        if sample.files.page is not None:
            raise ConfigError(f"--export: {sample.files.image} is a stack of images (page {sample.files.page}): an "
                              f"annotation tool needs one file per image (save the slices as files)")
    names = [sample.files.image.name for sample in samples]
    if len(set(names)) == len(names):
        return {sample.name: name for sample, name in zip(samples, names)}
    common = Path(os.path.commonpath([sample.files.image.parent for sample in samples]))
    return {sample.name: sample.files.image.relative_to(common).as_posix() for sample in samples}


def _suspect_sections(suspects: list[Suspect], panels: list[Path], metrics: SegmentationMetrics,
                      out_dir: Path) -> list[tuple[str, str]]:
    rows = "".join(f"<tr><td>{rank}. {html.escape(s.name)}</td><td>{number(s.score)}</td><td>{number(s.suspect_share)}"
                   f"</td><td>{s.regions}</td><td>{html.escape('; '.join(f'{p}: {c}' for p, c in s.claimed.items()))}</td></tr>"
                   for rank, s in enumerate(suspects, start=1))
    table = ("<table><tr><th>image</th><th>score</th><th>share flagged</th><th>regions</th>"
             f"<th>label -&gt; model (pixels)</th></tr>{rows}</table>")
    figures = "".join(f"<figure>{embedded_image(path)}<figcaption>{rank}. {html.escape(s.name)}: image | mask | "
                      f"prediction | flagged regions</figcaption></figure>"
                      for rank, (s, path) in enumerate(zip(suspects, panels), start=1))
    reliability = reliability_chart(metrics.calibration.reliability(), metrics.compute()["ece"],
                                    out_dir / "reliability.png")
    return [("Suspicious labels", "<p>Images whose masks the model confidently contradicts, most first (score: "
                                  "the share of the mask contradicted, weighted by the model's margin).</p>"
                                  + table + figures),
            ("Calibration", "<p>Reliability of the reviewed predictions: the probability of the predicted class "
                            "against how often it is right.</p>" + embedded_image(reliability))]


def _label_next_section(picked: list[Candidate], panels: list[Path]) -> tuple[str, str]:
    rows = "".join(f"<tr><td>{c.rank}. {html.escape(Path(c.name).name)}</td><td>{number(c.value)}</td>"
                   f"<td>{number(c.picked_value)}</td><td>{number(c.mean_entropy)}</td><td>{number(c.rarity)}</td></tr>"
                   for c in picked)
    table = ("<table><tr><th>image</th><th>value</th><th>after diversity</th><th>mean entropy</th><th>rarity</th></tr>"
             f"{rows}</table>")
    figures = "".join(f"<figure>{embedded_image(path)}<figcaption>{c.rank}. {html.escape(Path(c.name).name)}: image | "
                      f"prediction | uncertainty (entropy, bright = unsure)</figcaption></figure>"
                      for c, path in zip(picked, panels))
    return ("Label next", "<p>Unlabelled images in the order to label them: the most uncertain, weighted towards "
                          "rare classes, spread over different-looking images.</p>" + table + figures)

