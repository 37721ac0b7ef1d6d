"""One Label Studio task's prediction: the model's label map as a brush per class (data/annotations/
label_studio.py's brush_results, in the project's label names), and the task's score, which Label Studio's
data manager sorts by ("Prediction score"), taken from `unetkit review`:

- a task with an annotation: review's suspicion score of that annotation (review/suspects.py: the share of
  its pixels the model confidently contradicts, weighted by the margin), with class thresholds from the task
  itself, since the backend sees one task at a time (a class the annotation lacks: the model's mean
  confidence where it predicts that class, so that a class left out entirely is still caught); sorted high
  first, the likeliest wrong masks come first;
- a task without: review's label-next value (review/label_next.py: mean normalised entropy x the pixels'
  expected rarity, with the checkpoint's class weights as rarity when it trained with them, else equal),
  so sorted high first, the images worth labelling most come first (the diversity step, which needs the
  whole pool, is `unetkit review --unlabeled`'s).
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ...data.annotations.label_studio import annotation_label_map, brush_results, image_reference
from ...data.annotations.regions import PredictedImage
from ...data.io import decode_image
from ...infer import Predictor
from ...labels import IGNORE_INDEX
from ...review.label_next import candidate
from ...review.suspects import ImageProbabilities, class_thresholds, quantized, review_image
from .connection import LabelStudio, LabelStudioError
from .label_config import BrushConfig

MAX_PIXELS = 40_000_000


@dataclass(frozen=True)
class ServedModel:
    """What /predict runs: the predictor, its version string and the checkpoint it came from (None for ONNX);
    replaced as a whole when a fine-tuning job ends."""
    predictor: Predictor
    version: str
    checkpoint: str | None
    rarity: np.ndarray          # label-next's class weights (mean 1)
    run_config: dict | None = None   # the checkpoint's training config (what fine-tuning starts from)


def task_image(task: dict, config: BrushConfig, studio: LabelStudio, channels: int) -> tuple[np.ndarray, str]:
    reference = (task.get("data") or {}).get(config.data_key) or image_reference(task)
    if not isinstance(reference, str) or not reference:
        raise LabelStudioError(f"task {task.get('id')}: no image under data.{config.data_key}", status=422)
    data, name = studio.image_bytes(reference, task.get("id"))
    try:
        return decode_image(data, channels, name or f"task {task.get('id')}", MAX_PIXELS), name
    except Exception as error:   # data.io's DataError family: not an image, corrupt, too large
        raise LabelStudioError(f"task {task.get('id')}'s image {reference}: {error}", status=422) from None


def predict_task(task: dict, model: ServedModel, config: BrushConfig, studio: LabelStudio) -> dict:
    """Label Studio's prediction for `task`: {"result": [...], "score": ..., "model_version": ...}."""
    predictor = model.predictor
    image, name = task_image(task, config, studio, predictor.in_channels)
    maps = predictor.uncertainty(image)
    probabilities = maps.probabilities.numpy()
    labels = predictor.labels_from(maps.probabilities).numpy().astype(np.uint8)
    class_labels = config.class_labels(predictor.class_names)
    drawn = {index: label for index, label in class_labels.items() if index > 0}   # class 0: where no brush is
    results = brush_results(PredictedImage(name, labels, probabilities), drawn, config.from_name, config.to_name)
    class_of_label = {label: index for index, label in class_labels.items()}
    height, width = labels.shape
    annotated, _ = annotation_label_map(task, width, height, class_of_label)
    if annotated is not None:
        reviewed = ImageProbabilities(name, quantized(probabilities), annotated)
        thresholds = class_thresholds([reviewed], predictor.num_classes, IGNORE_INDEX)
        for k in np.flatnonzero(np.isnan(thresholds)):
            if (labels == k).any():
                thresholds[k] = probabilities[k][labels == k].mean()
        score = review_image(reviewed, thresholds, IGNORE_INDEX, predictor.class_names).score
    else:
        entropy = maps.normalised("entropy").numpy()
        score = candidate(name, image, probabilities, entropy, model.rarity).value
    return {"result": results, "score": round(float(score), 6), "model_version": model.version}

