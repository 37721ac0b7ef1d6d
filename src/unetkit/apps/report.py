"""`unetkit report RUN_DIR`: one self-contained report.html of a training run (PNGs embedded, and
written beside it): the training curves, the metrics on a split, ROC and precision-recall curves
(binary models), per-class bars and the confusion matrix, and the best and worst images as
input | prediction | ground truth | error map panels."""
from __future__ import annotations

import html
import logging
from dataclasses import dataclass, field
from pathlib import Path

from PIL import Image

from ..data.formats import FORMATS
from ..errors import DataError
from ..evaluate import score_samples
from ..files import write_atomically
from ..metrics import PerImageScores, SegmentationMetrics, scalar_metrics
from ..output_paths import output_folder
from ..train.run_dir import RunDir
from ..viz.charts import reliability_chart, roc_pr_chart, training_curves
from ..viz.panels import ERROR_COLOURS, error_panel
from .evaluate import prepare_evaluation, write_report
from .html_page import embedded_image, number, page
from .html_page import safe_file_name as _safe

log = logging.getLogger(__name__)

SECTIONS = ("Training", "Metrics", "ROC and precision-recall", "Calibration", "Per class", "Best and worst images")
SCALARS = scalar_metrics()   # metrics/names.py: every scalar metric, in its order


@dataclass
class Report:
    """What `write_run_report` made: the HTML file, the PNGs beside it, the metrics."""
    html: Path
    images: list[Path] = field(default_factory=list)
    metrics: dict = field(default_factory=dict)
    sections: list[str] = field(default_factory=list)


def write_run_report(run_dir: str | Path, split: str = "test", checkpoint: str = "best", out: str | Path | None = None,
                     overrides: list[str] | None = None, device: str = "auto", panels: int = 3) -> Report:
    """Score RUN_DIR/<checkpoint>.pt on `split` and write report.html with its figures to `out`
    (default RUN_DIR/report)."""
    run_dir = Path(run_dir)
    checkpoint_path = run_dir / f"{checkpoint}.pt"
    if not checkpoint_path.is_file():
        raise DataError(f"{checkpoint_path}: not found (is {run_dir} a unetkit run directory?)")
    out_dir = Path(out) if out else run_dir / "report"
    output_folder(out_dir)
    evaluation = prepare_evaluation(checkpoint_path, split, None, overrides, device)
    predictor, meta, config, samples = evaluation.predictor, evaluation.meta, evaluation.config, evaluation.samples
    log.info("report: scoring %s on %d %s images", checkpoint_path, len(samples), split)
    accumulator = SegmentationMetrics(predictor.num_classes, predictor.class_names, predictor.threshold,
                                      meta.ignore_index)
    per_image = PerImageScores(meta.class_names, ignore_index=meta.ignore_index)
    metrics, confusion = score_samples(predictor, samples, FORMATS[config.data.format].extra_metrics,
                                       meta.ignore_index, progress=True, per_image=per_image, metrics=accumulator)
    report = Report(out_dir / "report.html", metrics=metrics)
    sections: list[tuple[str, str]] = []   # (heading, body) in page order

    history, monitor = RunDir(run_dir).history(), config.train.monitor
    training = "<p>No history.jsonl in this run.</p>"
    if history:
        curves_png = training_curves(history, monitor, out_dir / "curves.png")
        report.images.append(curves_png)
        training = (f"<p>{len(history)} epochs in history.jsonl: training loss, validation "
                    f"{html.escape(monitor)} and the learning rate per epoch. A training loss still falling "
                    f"while the validation score turns down is over-fitting.</p>" + _image(curves_png))
    sections.append(("Training", training))
    sections.append(("Metrics", f"<p>{html.escape(checkpoint_path.name)} on the {html.escape(split)} split "
                                f"({len(samples)} images).</p>" + _metrics_table(metrics)))
    curves = accumulator.curves()
    if curves:
        roc = roc_pr_chart(curves, metrics["auc"], out_dir / "roc_pr.png")
        report.images.append(roc)
        sections.append(("ROC and precision-recall", _image(roc)))
    if accumulator.calibration.counts.sum() > 0:
        reliability = reliability_chart(accumulator.calibration.reliability(), metrics["ece"],
                                        out_dir / "reliability.png")
        report.images.append(reliability)
        sections.append(("Calibration", "<p>How far the probabilities can be trusted: pixels binned by the "
                                        "probability of their predicted class; a well calibrated model's bars "
                                        "follow the diagonal (expected calibration error, ECE, is the "
                                        "pixel-weighted gap).</p>" + _image(reliability)))
    charts = [path for path in write_report(metrics, confusion, meta.class_names, out_dir) if path.suffix == ".png"]
    report.images += charts
    sections.append(("Per class", _per_class_table(metrics) + "".join(_image(path) for path in charts)))

    # the panels' images are predicted again: keeping every label map of the split for 2 x `panels` of them
    # would hold the whole split in memory
    rows, key = per_image.rows(), per_image.score_key   # worst first
    chosen = [("worst", row) for row in rows[:panels]] + [("best", row) for row in rows[::-1][:panels]
                                                           if row not in rows[:panels]]
    by_name = {sample.name: sample for sample in samples}
    figures = []
    for kind, row in chosen:
        sample = by_name[row["image"]]
        prediction = predictor.predict(sample.image).labels
        strip = error_panel(sample.image, prediction, sample.label, predictor.num_classes, meta.ignore_index)
        path = out_dir / f"{kind}_{_safe(sample.name)}.png"
        Image.fromarray(strip).save(path)
        report.images.append(path)
        figures.append(f"<figure>{_image(path)}<figcaption>{kind}: {html.escape(sample.name)}, {key} "
                       f"{_number(row[key])}</figcaption></figure>")
    legend = ", ".join(f"{name.replace('_', ' ')} {_swatch(colour)}" for name, colour in ERROR_COLOURS.items())
    sections.append(("Best and worst images", f"<p>input | prediction | ground truth | error map ({legend}); "
                                              f"ranked by per-image {key}.</p>" + "".join(figures)))
    report.sections = [name for name, _ in sections]
    page = _page(run_dir, sections)
    write_atomically(report.html, lambda file: file.write(page.encode()))
    return report


def _page(run_dir: Path, sections: list[tuple[str, str]]) -> str:
    return page("unetkit report", str(run_dir), sections)


_image, _number = embedded_image, number


def _metrics_table(metrics: dict) -> str:
    rows = "".join(f"<tr><td>{key}</td><td>{_number(metrics[key])}</td></tr>" for key in SCALARS if key in metrics)
    return f"<table><tr><th>metric</th><th>value</th></tr>{rows}</table>"


def _per_class_table(metrics: dict) -> str:
    names = list(metrics["iou_per_class"])
    columns = [("IoU", "iou_per_class"), ("recall", "recall_per_class"), ("precision", "precision_per_class"),
               ("F1", "f1_per_class")]
    head = "".join(f"<th>{title}</th>" for title, _ in columns)
    rows = "".join(f"<tr><td>{html.escape(name)}</td>" + "".join(f"<td>{_number(metrics[key][name])}</td>"
                                                                 for _, key in columns) + "</tr>" for name in names)
    return f"<table><tr><th>class</th>{head}</tr>{rows}</table>"


def _swatch(colour: tuple[int, int, int]) -> str:
    return f'<span class="swatch" style="background: rgb{colour}"></span>'


