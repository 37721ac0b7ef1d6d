"""Fine-tuning on a project's annotations, one job at a time, in the background: the project's export is
painted into a folder dataset (train/images, train/masks: class ids in the served model's class order, the
project's labels matched to its classes by name), `unetkit train` runs on it in a child process from the
served checkpoint (model.init_from) with its own run's recipe for `minutes`, and the new best.pt replaces
the served model only when the job succeeds; a failed job leaves the served model as it was and says why
in the log. A request while a job runs is remembered (one): the next job starts when this one ends, on the
annotations as they are then."""
from __future__ import annotations

import logging
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import yaml
from PIL import Image

from ...data.annotations.label_studio import annotation_label_map
from .connection import LabelStudio, LabelStudioError
from .label_config import BrushConfig
from .task_predictions import ServedModel, task_image

log = logging.getLogger(__name__)

# the data settings of the served run that still hold for its fine-tuning data (the rest name its dataset)
KEPT_DATA_KEYS = ("channels", "patch_size", "patches_per_epoch", "workers", "cache_mb", "foreground_fraction",
                  "foreground_draw")


JOB_MARGIN_SECONDS = 600   # a job's start, data loading and last validation beyond its training minutes


class FineTuneFailed(Exception):
    pass


def paint_dataset(tasks: list[dict], config: BrushConfig, studio: LabelStudio, class_names: list[str],
                  channels: int, root: Path) -> int:
    """The annotated tasks as root/train/images + masks (PNG; labels the model lacks painted as ignored); how
    many. Unannotated tasks are skipped, and so is a task whose image cannot be had (said in the log)."""
    images, masks = root / "train" / "images", root / "train" / "masks"
    images.mkdir(parents=True, exist_ok=True)
    masks.mkdir(parents=True, exist_ok=True)
    class_of_label = {label: index for index, label in config.class_labels(class_names).items()}
    count = 0
    for task in tasks:
        if not any(not a.get("was_cancelled") for a in task.get("annotations") or [] if isinstance(a, dict)):
            continue
        try:
            image, _ = task_image(task, config, studio, channels)
        except LabelStudioError as error:
            log.warning("fine-tuning data: %s (task left out)", error)
            continue
        label, problems = annotation_label_map(task, image.shape[1], image.shape[0], class_of_label)
        for problem in problems:
            log.warning("fine-tuning data: %s (left out)", problem)
        if label is None:
            continue
        name = f"task_{task.get('id')}"
        Image.fromarray(image[..., 0] if image.shape[2] == 1 else image).save(images / f"{name}.png")
        Image.fromarray(label).save(masks / f"{name}.png")
        count += 1
    return count


def fine_tune_config(run_config: dict[str, Any], data_root: Path, class_names: list[str], checkpoint: str,
                     minutes: float, device: str = "auto") -> dict[str, Any]:
    """The served run's config with the painted folder as its data, its checkpoint as the start."""
    config = {section: dict(values) for section, values in run_config.items() if isinstance(values, dict)}
    kept = {key: value for key, value in (config.get("data") or {}).items() if key in KEPT_DATA_KEYS}
    config["data"] = {**kept, "format": "folder", "root": str(data_root), "mask": "index",
                      "num_classes": len(class_names), "class_names": list(class_names)}
    config["model"] = {**config.get("model", {}), "init_from": checkpoint, "encoder_weights": ""}
    # the weights start trained: no frozen or warm-up stretch eats the minutes; the device is the backend's;
    # the old calibration does not describe the new weights (train.calibrate fits a new one where it can)
    config["train"] = {**config.get("train", {}), "max_minutes": minutes, "progress": False, "device": device,
                       "freeze_encoder_epochs": 0, "warmup_epochs": 0.0}
    config["infer"] = {**config.get("infer", {}), "temperature": 1.0, "class_bias": []}
    return config


class FineTuner:
    """Runs fine-tuning jobs one at a time; `on_done(model)` receives each successful job's model. A request
    while a job runs waits, one per project (the latest), and runs when the job before it ends."""

    def __init__(self, work: Path, minutes: float, on_done: Callable[[ServedModel], None],
                 load: Callable[[str, str], ServedModel], device: str = "auto"):
        self.work, self.minutes, self.on_done, self.load, self.device = work, minutes, on_done, load, device
        self._lock = threading.Lock()
        self._running: threading.Thread | None = None
        self._pending: dict[int, tuple] = {}
        self.last_error = ""

    @property
    def busy(self) -> bool:
        return self._running is not None and self._running.is_alive()

    def request(self, project: int, config: BrushConfig, studio: LabelStudio, model: Callable[[], ServedModel]) -> str:
        """Start a job now, or remember it for when the running one ends; 'started' or 'queued'."""
        with self._lock:
            if self.busy:
                self._pending[project] = (project, config, studio, model)
                return "queued"
            self._start(project, config, studio, model)
            return "started"

    def _start(self, *job) -> None:
        self._running = threading.Thread(target=self._run, args=job, daemon=True,
                                         name=f"unetkit-fine-tune-project-{job[0]}")
        self._running.start()

    def _run(self, project: int, config: BrushConfig, studio: LabelStudio, model: Callable[[], ServedModel]) -> None:
        try:
            served = model()
            started = time.perf_counter()
            best = self.fine_tune(project, config, studio, served)
            new = self.load(str(best), _next_version(served.version))
            self.on_done(new)
            self.last_error = ""
            log.info("fine-tuning on project %d: done in %.0f s; serving %s (model_version %s)", project,
                     time.perf_counter() - started, best, new.version)
        except (FineTuneFailed, LabelStudioError) as error:
            self.last_error = str(error)
            log.error("fine-tuning on project %d failed, the served model is unchanged: %s", project, error)
        except Exception as error:   # a job must never take the backend down: say what and keep serving
            self.last_error = f"{type(error).__name__}: {error}"
            log.exception("fine-tuning on project %d failed, the served model is unchanged", project)
        finally:
            with self._lock:
                self._running = None
                if self._pending:
                    self._start(*self._pending.pop(next(iter(self._pending))))

    def _round_folder(self, project: int) -> Path:
        """work/project_N/round_K with K the first number not yet on disk (rounds of earlier backends kept)."""
        folder = self.work / f"project_{project}"
        number = 1
        while (folder / f"round_{number:03d}").exists():
            number += 1
        (folder / f"round_{number:03d}").mkdir(parents=True)
        return folder / f"round_{number:03d}"

    def fine_tune(self, project: int, config: BrushConfig, studio: LabelStudio, served: ServedModel) -> Path:
        if served.checkpoint is None:
            raise FineTuneFailed("an ONNX model cannot be fine-tuned: serve a checkpoint (--checkpoint)")
        class_names = served.predictor.class_names
        forgotten = config.unlabelled_classes(class_names)
        if forgotten:
            raise FineTuneFailed(f"the project has no label for the model's classes {', '.join(forgotten)}: trained "
                                 f"on its annotations the model would learn to call them background (add labels of "
                                 f"those names to the BrushLabels)")
        folder = self._round_folder(project)
        tasks = studio.export(project)
        count = paint_dataset(tasks, config, studio, class_names, served.predictor.in_channels, folder / "data")
        if count == 0:
            raise FineTuneFailed(f"project {project} has no annotated task to train on")
        if not served.run_config:
            raise FineTuneFailed(f"{served.checkpoint} holds no training config to fine-tune with")
        settings = fine_tune_config(served.run_config, folder / "data", class_names, served.checkpoint, self.minutes,
                                    self.device)
        (folder / "config.yaml").write_text(yaml.safe_dump(settings, sort_keys=False))
        log.info("fine-tuning on project %d: %d annotated tasks, %g minutes from %s (log: %s)", project, count,
                 self.minutes, served.checkpoint, folder / "train.log")
        try:
            with open(folder / "train.log", "w") as output:
                finished = subprocess.run([sys.executable, "-m", "unetkit", "train", "--config",
                                           str(folder / "config.yaml"), "--out", str(folder / "run")],
                                          stdout=output, stderr=subprocess.STDOUT,
                                          timeout=self.minutes * 60 + JOB_MARGIN_SECONDS)
        except subprocess.TimeoutExpired:
            raise FineTuneFailed(f"unetkit train did not end within {self.minutes:g} minutes + "
                                 f"{JOB_MARGIN_SECONDS} s ({folder / 'train.log'})") from None
        best = folder / "run" / "best.pt"
        if finished.returncode != 0 or not best.is_file():
            lines = [line for line in (folder / "train.log").read_text(errors="replace").splitlines() if line.strip()]
            raise FineTuneFailed(f"unetkit train ended with exit code {finished.returncode}: "
                                 f"{lines[-1] if lines else 'no output'} ({folder / 'train.log'})")
        return best


def _next_version(version: str) -> str:
    """unetkit-RUN.1 -> unetkit-RUN.2"""
    stem, _, number = version.rpartition(".")
    return f"{stem}.{int(number) + 1}" if stem and number.isdigit() else f"{version}.2"

