"""Issue 12: the automatic plan beside the best shipped config, the same wall-clock budget each.

For each dataset, `unetkit train data.root=DIR train.max_minutes=M` (no config: the plan) and
`unetkit train --config configs/X.yaml train.max_minutes=M` run one after the other as a user runs
them (subprocesses, progress bar off); best.pt is scored with `unetkit evaluate`. DRIVE is given to
the plan as a plain folder (train/ and test/, each images/ masks/ roi/, symlinks to the published
files) so the plan sees no DRIVE-specific layout. ISBI 2012 test labels are unpublished: both are
scored on the held-out slices 25-29 (--split val). The wall time is the whole `train` command
(planning, probe, data loading, training, validations).

Usage: python benchmarks/auto_plan.py [--minutes 10] [--datasets drive,isbi,rock_voc] [--out runs/auto_plan_bench]
       [--no-append] [--shipped-from runs/auto_plan_bench/results.json] [--plan-only] [--tag T] [KEY=VALUE ...]
--plan-only runs the plan alone; KEY=VALUE are added to the plan's command (issue 27: the plan with
its new levers off, `--tag old train.schedule_to_budget=false train.ema=0`, beside the plan).
Do not run anything else on the machine meanwhile: the plan's speed probe and every budget are wall-clock.
"""
from __future__ import annotations

import argparse
import json
import subprocess
import sys
import time
from pathlib import Path

from _report import append_report

REPO = Path(__file__).resolve().parents[1]
DATA = REPO.parent / "shared" / "data"

DATASETS = {   # name: (data root for the plan, [(shipped config, extra overrides)], split, metric)
    "drive": ("drive_folder", [("drive.yaml", []), ("drive_fast.yaml", [])], "test", "f1"),
    "isbi": (DATA / "isbi2012", [("isbi2012.yaml", [])], "val", "f1"),
    "rock_voc": (DATA / "rock_voc", [("rock_voc.yaml", [])], "test", "miou"),
}


def drive_as_folder(target: Path) -> Path:
    """DRIVE laid out as the plain folder format, by symlinks (nothing copied)."""
    for split, source in (("train", "training"), ("test", "test")):
        for folder, published in (("images", "images"), ("masks", "1st_manual"), ("roi", "mask")):
            (target / split / folder).mkdir(parents=True, exist_ok=True)
            for file in sorted((DATA / "drive" / source / published).iterdir()):
                link = target / split / folder / file.name
                if not link.exists():
                    link.symlink_to(file.resolve())
    return target


def run_and_score(name: str, train_args: list[str], run: Path, split: str, metric: str) -> dict:
    unetkit = [sys.executable, "-m", "unetkit"]
    started = time.perf_counter()
    subprocess.run([*unetkit, "train", "--out", str(run), *train_args, "train.progress=false"], check=True,
                   stdout=subprocess.DEVNULL)
    wall = time.perf_counter() - started
    scores = run / f"{split}_metrics.json"
    subprocess.run([*unetkit, "evaluate", "--checkpoint", str(run / "best.pt"), "--split", split,
                    "--json", str(scores)], check=True, stdout=subprocess.DEVNULL)
    history = [json.loads(line) for line in (run / "history.jsonl").read_text().splitlines()]
    return {"name": name, "score": json.loads(scores.read_text())[metric], "wall_seconds": round(wall, 1),
            "train_seconds": history[-1]["train_seconds"], "epochs": history[-1]["epoch"]}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--minutes", type=float, default=10.0)
    parser.add_argument("--datasets", default=",".join(DATASETS))
    parser.add_argument("--out", default="runs/auto_plan_bench")
    parser.add_argument("--no-append", action="store_true")
    parser.add_argument("--shipped-from", metavar="RESULTS_JSON",
                        help="take the shipped configs' rows from an earlier run's results.json (rerun only the plan)")
    parser.add_argument("--plan-only", action="store_true", help="run the plan alone, no shipped config")
    parser.add_argument("--tag", default="plan", help="the plan's run name (runs/.../DATASET_TAG)")
    parser.add_argument("overrides", nargs="*", help="KEY=VALUE added to the plan's train command")
    args = parser.parse_args()
    earlier = json.loads(Path(args.shipped_from).read_text()) if args.shipped_from else {}
    out = Path(args.out)
    budget = f"train.max_minutes={args.minutes:g}"
    lines = [(f"Budget {args.minutes:g} min each. Plan = `unetkit train data.root=DIR {budget}` with no config; "
              f"shipped = `unetkit train --config configs/X.yaml {budget}`. Score of best.pt; wall = the whole train "
              f"command.\n"), "| dataset | run | score | of best shipped | wall (min) | training (min) | epochs |",
             "|---|---|---|---|---|---|---|"]
    results = {}
    for dataset in args.datasets.split(","):
        root, shipped, split, metric = DATASETS[dataset]
        root = drive_as_folder(out / "drive_folder") if root == "drive_folder" else root
        name = " ".join(["plan", *args.overrides])
        rows = [run_and_score(name, [f"data.root={root}", budget, *args.overrides], out / f"{dataset}_{args.tag}",
                              split, metric)]
        for config, extra in [] if args.plan_only else shipped:
            if dataset in earlier:
                rows.append(next(row for row in earlier[dataset] if row["name"] == config))
                continue
            rows.append(run_and_score(config, ["--config", str(REPO / "configs" / config), budget, *extra],
                                      out / f"{dataset}_{Path(config).stem}", split, metric))
        results[dataset] = rows
        (out / "results.json").write_text(json.dumps(results, indent=2))
        best = max(row["score"] for row in rows[1:] or rows)
        for row in rows:
            lines.append(f"| {dataset} ({metric}, {split}) | {row['name']} | {row['score']:.4f} | "
                         f"{row['score'] / best:.1%} | {row['wall_seconds'] / 60:.1f} | "
                         f"{row['train_seconds'] / 60:.1f} | {row['epochs']} |")
    append_report("Automatic plan vs shipped configs (issue 12)", lines, append=not args.no_append)


if __name__ == "__main__":
    main()
