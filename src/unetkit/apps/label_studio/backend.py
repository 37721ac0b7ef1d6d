"""Label Studio's ML backend protocol over HTTP (FastAPI), the calls Label Studio 1.23 makes:

GET  /health    {"status": "UP", "model_version": ..., "training": bool}
POST /setup     {project, schema, hostname, access_token, ...} -> {"model_version"}: the labelling config is
                read here and what the model and the config do not share is said once in the log
POST /predict   {tasks, project, label_config} -> {"results": [one prediction per task], "model_version"}
POST /webhook   {action, project, ...}: START_TRAINING (the project's "Start training") starts a fine-tuning
                job; annotation events start one after every `train_after` new or changed annotations
GET  /versions  {"versions": [the served version]}

Every failure is answered with a status and a JSON {"detail": reason} and one line in the log, and the
backend keeps serving: Label Studio not reachable or the key refused (502), an image it cannot decode
(422), a labelling config without BrushLabels (422), anything else (500). In a batch of tasks, one that fails
gets an empty result and its line in the log (Label Studio keeps a batch's predictions only whole); when all
fail, the first failure is the answer (the editor asks for one task, and sees why).

One served model: fine-tuning replaces it for every project the backend serves; run a backend per project
when projects should not share what each one teaches.
"""
from __future__ import annotations

import logging
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
from fastapi import Body, FastAPI
from fastapi.responses import JSONResponse

from ...errors import ConfigError
from ...infer import Predictor
from ...infer.predictor import inference_settings
from ...models import load_model
from ...review.label_next import rarity_weights
from .connection import LabelStudio, LabelStudioError
from .fine_tune import FineTuner
from .label_config import BrushConfig, parse_label_config
from .task_predictions import ServedModel, predict_task

log = logging.getLogger(__name__)

ANNOTATION_EVENTS = ("ANNOTATION_CREATED", "ANNOTATION_UPDATED", "ANNOTATIONS_CREATED")


def served_model(checkpoint: str | None = None, onnx: str | None = None, device: str = "auto",
                 version: str | None = None) -> ServedModel:
    """The model /predict runs, from a checkpoint (.pt or .safetensors, or a run folder: its best.pt;
    fine-tunable) or an exported .onnx (predictions only)."""
    if checkpoint is not None and Path(checkpoint).is_dir():
        checkpoint = str(Path(checkpoint) / "best.pt")
    if (checkpoint is None) == (onnx is None):
        raise ConfigError("label-studio needs exactly one of --checkpoint CKPT or --model FILE.onnx")
    if onnx is not None:
        predictor = Predictor.from_onnx(onnx)
        rarity = np.ones(predictor.num_classes)
        name, run_config = Path(onnx).stem, None
    else:
        network, meta = load_model(checkpoint)   # once: the predictor's network and the meta fine-tuning reads
        predictor = Predictor(network, meta.normalization, meta.class_names, inference_settings(meta), device=device,
                              optimize=True, trained_with_roi=meta.trained_with_roi)
        # label-next's rarity: the training masks' class frequencies, which the checkpoint keeps as its loss's
        # class weights when it trained with them (inverse frequency); otherwise every class counts the same
        rarity = (np.asarray(meta.class_weights, float) / np.mean(meta.class_weights) if meta.class_weights
                  else rarity_weights(np.ones(predictor.num_classes)))
        path = Path(checkpoint)
        name = path.parent.name if path.stem in ("best", "last") else path.stem
        run_config = meta.run_config
    return ServedModel(predictor, version or f"unetkit-{name}.1", checkpoint, rarity, run_config)


@dataclass
class Project:
    """What /setup (or the first request) said about one Label Studio project."""
    config: BrushConfig
    studio: LabelStudio
    changed_annotations: int = 0


class LabelStudioBackend:
    """The protocol's logic without HTTP (tested on its own too)."""

    def __init__(self, model: ServedModel, studio: LabelStudio, work: Path, train_minutes: float = 2.0,
                 train_after: int = 0):
        self.model = model                      # replaced whole when a fine-tuning job succeeds
        self.studio, self.train_after = studio, train_after
        self.projects: dict[int, Project] = {}
        self._lock = threading.Lock()
        # one prediction at a time: the predictor's views (MC-dropout, ensembles) change the network's state,
        # and a GPU's memory is shared with a fine-tuning job
        self._predicting = threading.Lock()
        self.fine_tuner = FineTuner(work, train_minutes, self._serve, self._load, str(model.predictor.device))

    def _load(self, checkpoint: str, version: str) -> ServedModel:
        return served_model(checkpoint, device=str(self.model.predictor.device), version=version)

    def _serve(self, model: ServedModel) -> None:
        self.model = model

    def project(self, project_id: int, label_config: str | None, hostname: str = "", token: str = "") -> Project:
        """The project's state, (re)reading its labelling config when it is given and has changed."""
        with self._lock:
            known = self.projects.get(project_id)
            if known is not None and (not label_config or known.config == parse_label_config(label_config)):
                if hostname or token:
                    known.studio = self.studio.or_else(hostname, token)
                return known
            if not label_config:
                raise ConfigError(f"project {project_id}: no labelling config yet (Label Studio calls /setup first)")
            config = parse_label_config(label_config)
            studio = known.studio if known is not None and not (hostname or token) else self.studio.or_else(hostname, token)
            project = Project(config, studio, known.changed_annotations if known is not None else 0)
            for line in config.mismatches(self.model.predictor.class_names):
                log.warning("project %d: %s", project_id, line)
            self.projects[project_id] = project
            return project

    def setup(self, body: dict) -> dict:
        project = self.project(project_id(body.get("project")), body.get("schema") or body.get("label_config"),
                               body.get("hostname") or "", body.get("access_token") or "")
        log.info("project %s: BrushLabels '%s' on '%s', labels %s", body.get("project"), project.config.from_name,
                 project.config.to_name, ", ".join(project.config.labels))
        return {"model_version": self.model.version}

    def predict(self, body: dict) -> dict:
        tasks = body.get("tasks")
        if not isinstance(tasks, list):
            raise ConfigError("/predict needs a list of tasks")
        project = self.project(project_id(body.get("project")), body.get("label_config"))
        model = self.model   # one model for the whole request, even if a fine-tuning job ends meanwhile
        results, failures = [], []
        for task in tasks:
            try:
                with self._predicting:
                    results.append(predict_task(task, model, project.config, project.studio))
            except LabelStudioError as error:   # the others' predictions still count: Label Studio keeps a batch
                failures.append(error)          # only whole, so a failed task gets an empty result
                results.append({"result": [], "model_version": model.version})
        if failures and len(failures) == len(tasks):
            raise failures[0]                   # the answer (and its line in the log)
        for error in failures:
            log.error("%s (an empty prediction for it)", error)
        return {"results": results, "model_version": model.version}

    def webhook(self, body: dict) -> dict:
        action = str(body.get("action") or "")
        payload = body.get("project") if isinstance(body.get("project"), dict) else {}
        number = project_id(payload.get("id", body.get("project")))
        changed = len(body["annotations"]) if isinstance(body.get("annotations"), list) else 1
        if action == "START_TRAINING" or (action in ANNOTATION_EVENTS and self._enough_changes(number, payload, changed)):
            project = self.project(number, payload.get("label_config"))
            status = self.fine_tuner.request(number, project.config, project.studio, lambda: self.model)
            log.info("%s for project %d: fine-tuning %s", action, number, status)
            return {"status": status, "model_version": self.model.version}
        return {"status": "noted" if action in ANNOTATION_EVENTS else "ignored", "model_version": self.model.version}

    def _enough_changes(self, number: int, payload: dict, changed: int) -> bool:
        if not self.train_after:
            return False
        project = self.project(number, payload.get("label_config"))
        with self._lock:
            project.changed_annotations += changed
            if project.changed_annotations < self.train_after:
                return False
            project.changed_annotations = 0
            return True

    def health(self) -> dict:
        return {"status": "UP", "model_class": "unetkit", "model_version": self.model.version,
                "training": self.fine_tuner.busy, **({"last_error": self.fine_tuner.last_error}
                                                     if self.fine_tuner.last_error else {})}


def project_id(value: Any) -> int:
    """Label Studio's project: 7, '7' or '7.1733581234' (id.created-at) -> 7."""
    try:
        return int(str(value).split(".")[0])
    except ValueError:
        raise ConfigError(f"not a Label Studio project id: {value!r}") from None


def create_backend_app(backend: LabelStudioBackend) -> FastAPI:
    app = FastAPI(title="unetkit Label Studio ML backend", version="1")

    def answer(call, body: dict) -> Any:
        try:
            return call(body)
        except LabelStudioError as error:
            log.error("%s", error)
            return JSONResponse({"detail": str(error)}, status_code=error.status)
        except ConfigError as error:
            log.error("%s", error)
            return JSONResponse({"detail": str(error)}, status_code=422)
        except Exception as error:   # a bug or an odd request: a reason for Label Studio, the traceback in the log
            log.exception("%s failed", call.__name__)
            return JSONResponse({"detail": f"{type(error).__name__}: {error}"}, status_code=500)

    @app.get("/health")
    def health() -> dict:
        return backend.health()

    @app.get("/versions")
    def versions() -> dict:
        return {"versions": [backend.model.version]}

    # plain `def` routes: FastAPI runs them in its thread pool, so a prediction does not hold up /health
    @app.post("/setup")
    def setup(body: dict = Body(...)):
        return answer(backend.setup, body)

    @app.post("/predict")
    def predict(body: dict = Body(...)):
        return answer(backend.predict, body)

    @app.post("/webhook")
    def webhook(body: dict = Body(...)):
        return answer(backend.webhook, body)

    return app


def serve_label_studio(checkpoint: str | None, onnx: str | None, studio: LabelStudio, work: Path,
                       host: str = "127.0.0.1", port: int = 9090, train_minutes: float = 2.0, train_after: int = 0,
                       device: str = "auto") -> None:
    """Bind the port (a port in use is one line before the model loads), load the model, serve until stopped."""
    import uvicorn

    from ..serve import bind_port
    listening = bind_port(host, port)
    try:
        backend = LabelStudioBackend(served_model(checkpoint, onnx, device), studio, work, train_minutes, train_after)
        log.info("Label Studio ML backend on http://%s:%d (model_version %s; fine-tuning runs under %s): add it in "
                 "the project's Settings > Model", host, port, backend.model.version, work)
        uvicorn.Server(uvicorn.Config(create_backend_app(backend), log_level="info")).run(sockets=[listening])
    finally:
        listening.close()
