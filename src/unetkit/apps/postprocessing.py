"""`unetkit evaluate --choose-postprocessing`: pick infer.postprocess on a split's images and store
the choice with the run (the checkpoint's stored settings, config.yaml beside it, postprocessing.json)."""
from __future__ import annotations

import dataclasses
import logging
from pathlib import Path

import yaml

from ..data import Sample
from ..files import write_atomically, write_json
from ..infer.postprocess_choice import PostprocessChoice, choose_postprocessing
from ..infer.predictor import Predictor
from ..labels import IGNORE_INDEX
from ..models import update_stored_settings

log = logging.getLogger(__name__)


def choose_and_store(checkpoint: str | Path, predictor: Predictor, samples: list[Sample],
                     ignore_index: int = IGNORE_INDEX) -> PostprocessChoice:
    """Predict `samples` without post-processing, choose the steps, write them into the run; the
    Predictor's settings become the chosen ones."""
    raw = dataclasses.replace(predictor.settings, postprocess=[])
    predictor.settings = raw
    predictions = [predictor.labels_from(predictor.probabilities(s.image)).numpy() for s in samples]
    choice = choose_postprocessing(predictions, [s.label for s in samples], predictor.class_names,
                                   raw.min_size, ignore_index=ignore_index)
    settings = {"postprocess": choice.postprocess, "min_size": choice.min_size}
    predictor.settings = dataclasses.replace(raw, **settings)
    checkpoint = Path(checkpoint)
    update_stored_settings(checkpoint, "infer", settings)
    run_config = checkpoint.parent / "config.yaml"
    if run_config.is_file():
        tree = yaml.safe_load(run_config.read_text()) or {}
        tree.setdefault("infer", {}).update(settings)
        text = yaml.safe_dump(tree, sort_keys=False).encode()
        write_atomically(run_config, lambda file: file.write(text))
    write_json({"checkpoint": str(checkpoint), "split_images": len(samples), **dataclasses.asdict(choice)},
               checkpoint.parent / "postprocessing.json")
    log.info("post-processing: %s (min_size %d); score %.4f -> %.4f, stored in %s",
             choice.postprocess or "none", choice.min_size, choice.score_before, choice.score_after, checkpoint)
    return choice
