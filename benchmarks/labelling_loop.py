"""Issue 45 part 5: the labelling loop, measured. On a run made by review_corrupted.py (masks corrupted on
purpose, trained by the plan), through a real Label Studio (tests/apps/label_studio/server.py starts it):

1. `unetkit review RUN --export label_studio tasks.json`: every reviewed image as a task, the suspects first,
   each with its current (corrupted or not) mask as the annotation and the model's proposal as the prediction;
2. two Label Studio projects import the tasks, each with its own `unetkit label-studio` backend on RUN's
   best.pt (the images read from disk, --images);
3. in project "corrected", the annotator fixes the first `--fix` tasks in review's order: their annotation is
   replaced by the published mask (the "correction"); project "as is" is left alone;
4. Start training in each (the webhook's fine-tuning, `--train-minutes`), waited for;
5. the test split scored with best.pt and with each fine-tuned model (the metric of review_corrupted.py's
   dataset): the corrected project's gain over the uncorrected one is what the corrections were worth.

Each step's seconds are printed and appended to docs/benchmarks.md.

Usage: python benchmarks/labelling_loop.py --dataset drive [--out runs/review_bench] [--fix 5] [--train-minutes 2]
"""
from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
from _report import append_report
from PIL import Image

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from tests.apps.label_studio.server import start_backend, start_label_studio  # noqa: E402
from unetkit.apps.label_studio.backend import LabelStudioBackend, served_model  # noqa: E402
from unetkit.apps.label_studio.connection import LabelStudio  # noqa: E402
from unetkit.data.annotations.label_studio import brush_results, drawn_classes  # noqa: E402
from unetkit.data.annotations.regions import PredictedImage  # noqa: E402

DATA = Path(__file__).resolve().parents[2] / "shared" / "data"
METRIC = {"drive": "f1", "rock_voc": "miou"}


def published_mask(dataset: str, name: str) -> np.ndarray:
    """The published label of a training image: the correction the annotator makes."""
    if dataset == "drive":
        number = name.split("_")[0]
        return (np.asarray(Image.open(DATA / "drive" / "training" / "1st_manual" / f"{number}_manual1.gif")) > 0
                ).astype(np.uint8)
    return np.asarray(Image.open(DATA / "rock_voc" / "VOC2007" / "SegmentationClass" / f"{name}.png")).astype(np.uint8)


def score(unetkit: list[str], checkpoint: Path, run: Path, dataset: str) -> float:
    out = checkpoint.parent / "test_loop.json"
    subprocess.run([*unetkit, "evaluate", "--checkpoint", str(checkpoint), "--config", str(run / "config.yaml"),
                    "--split", "test", "--json", str(out)], check=True, stdout=subprocess.DEVNULL)
    return json.loads(out.read_text())[METRIC[dataset]]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--dataset", choices=["drive", "rock_voc"], default="drive")
    parser.add_argument("--out", default="runs/review_bench")
    parser.add_argument("--fix", type=int, default=5)
    parser.add_argument("--train-minutes", type=float, default=2.0)
    parser.add_argument("--no-append", action="store_true")
    args = parser.parse_args()
    out = Path(args.out) / args.dataset
    run = out / "run"
    named = json.loads((out / "corrupted.json").read_text())
    corrupted, root = set(named["corrupted"]), Path(named["root"])
    images = root / "train" / "images" if args.dataset == "drive" else root / "JPEGImages"
    unetkit = [sys.executable, "-m", "unetkit"]
    seconds: dict[str, float] = {}

    started = time.perf_counter()
    tasks_file = out / "loop_tasks.json"
    count = len((run / "review" / "suspects.csv").read_text().splitlines()) - 1 if (run / "review").is_dir() else 1000
    subprocess.run([*unetkit, "review", str(run), "--top", str(max(count, 1)), "--out", str(out / "loop_review"),
                    "--export", "label_studio", str(tasks_file)], check=True, stdout=subprocess.DEVNULL)
    seconds["review + export"] = time.perf_counter() - started
    tasks = json.loads(tasks_file.read_text())

    started = time.perf_counter()
    studio = start_label_studio(Path(tempfile.mkdtemp(prefix="unetkit_loop_")))
    seconds["Label Studio start"] = time.perf_counter() - started
    results = {}
    try:
        before = score(unetkit, run / "best.pt", run, args.dataset)
        for project_name in ("as is", "corrected"):
            model = served_model(str(run / "best.pt"))
            class_names = model.predictor.class_names
            labels = "".join(f'<Label value="{n}"/>' for n in drawn_classes(class_names).values())
            config = (f'<View><Image name="image" value="$image"/><BrushLabels name="tag" toName="image">{labels}'
                      f'</BrushLabels></View>')
            backend = LabelStudioBackend(model, LabelStudio(studio.url, studio.token, images),
                                         out / f"loop_{project_name.replace(' ', '_')}", args.train_minutes)
            url, stop = start_backend(backend)
            try:
                started = time.perf_counter()
                project = studio.api("POST", "/api/projects", json={"title": f"loop {project_name}",
                                                                    "label_config": config}).json()
                studio.api("POST", f"/api/projects/{project['id']}/import", json=tasks)
                studio.api("POST", "/api/ml", json={"url": url, "project": project["id"], "title": "unetkit"})
                seconds[f"{project_name}: import {len(tasks)} tasks + connect"] = time.perf_counter() - started
                fixed = []
                if project_name == "corrected":
                    started = time.perf_counter()
                    listed = studio.api("GET", "/api/tasks", params={"project": project["id"], "page_size": 10000,
                                                                      "fields": "all"}).json()["tasks"]
                    order = {task["data"]["image"]: rank for rank, task in enumerate(tasks)}
                    for task in sorted(listed, key=lambda t: order[t["data"]["image"]])[:args.fix]:
                        name = Path(task["data"]["image"]).stem
                        mask = published_mask(args.dataset, name)
                        result = brush_results(PredictedImage(name, mask), drawn_classes(class_names))
                        (annotation,) = studio.api("GET", f"/api/tasks/{task['id']}/annotations").json()
                        studio.api("PATCH", f"/api/annotations/{annotation['id']}", json={"result": result})
                        fixed.append(name)
                    seconds["corrected: fix the first tasks"] = time.perf_counter() - started
                started = time.perf_counter()
                (ml,) = studio.api("GET", "/api/ml", params={"project": project["id"]}).json()
                first = backend.model.version
                studio.api("POST", f"/api/ml/{ml['id']}/train")
                while backend.model.version == first and time.perf_counter() - started < 60 * (args.train_minutes + 10):
                    if backend.fine_tuner.last_error:
                        raise RuntimeError(backend.fine_tuner.last_error)
                    time.sleep(2)
                seconds[f"{project_name}: Start training -> new model served"] = time.perf_counter() - started
                results[project_name] = (score(unetkit, Path(backend.model.checkpoint), run, args.dataset), fixed)
            finally:
                stop()
    finally:
        studio.stop()
    metric = METRIC[args.dataset]
    fixed = results["corrected"][1]
    lines = [f"{args.dataset}: review_corrupted.py's run ({len(corrupted)} corrupted masks); the first {args.fix} "
             f"tasks in review's order corrected ({', '.join(fixed)}: {sum(n in corrupted for n in fixed)} of them "
             f"corrupted); fine-tuning {args.train_minutes:g} min from best.pt; test {metric}:", "",
             f"| model | test {metric} |", "|---|---|", f"| best.pt (trained on the corrupted masks) | {before:.4f} |"]
    lines += [f"| fine-tuned, project {name} | {value:.4f} |" for name, (value, _) in results.items()]
    lines += ["", "| step | seconds |", "|---|---|"] + [f"| {step} | {value:.1f} |" for step, value in seconds.items()]
    append_report(f"the labelling loop through Label Studio, {args.dataset} (issue 45)", lines,
                  append=not args.no_append)


if __name__ == "__main__":
    main()
