"""`unetkit inspect DATA_ROOT`: the dataset's fingerprint and the plan `train` would choose for it."""
from __future__ import annotations

from pathlib import Path

from ..data.dataset_problems import DatasetProblems
from ..data.fingerprint import Fingerprint
from ..train.plan import Plan, make_plan, percent


def inspect_dataset(root: str | Path, overrides: list[str] | None = None) -> Plan:
    """Fingerprint `root` as `train` would read it (data.* overrides apply) and choose a plan; the
    time-budget fit needs a speed probe and is left to `train` (no probe here, so it stays fast)."""
    return make_plan([f"data.root={root}", *(overrides or [])], probe=False)


def inspection_report(plan: Plan) -> dict:
    """The fingerprint and the plan's choices (value and reason) as one JSON-ready dict."""
    return {"fingerprint": plan.fingerprint.to_dict(),
            "plan": {key: {"value": _value(plan, key), "why": why} for key, why in plan.reasons.items()}}


def _value(plan: Plan, key: str):
    section, name = key.split(".")
    return getattr(getattr(plan.config, section), name)


def format_inspection(plan: Plan) -> str:
    """The report for a person: a line per finding, then the plan with its reasons."""
    fp: Fingerprint = plan.fingerprint
    masks = fp.masks
    sizes = ", ".join(f"{label} {w}x{h}" for label, (w, h) in fp.sizes.items())
    stats = fp.intensity
    channel_stats = "; ".join(
        f"{name} mean {stats['mean'][c]:.1f} std {stats['std'][c]:.1f} (1-99%: {stats['p1'][c]:.0f}..{stats['p99'][c]:.0f})"
        for c, name in enumerate(["grey"] if fp.channels == 1 else ["R", "G", "B"])) if stats else "n/a"
    lines = [f"dataset     {fp.root}  (data.format={fp.format})",
             "images      " + ", ".join(f"{split} {count}" for split, count in fp.splits.items()),
             f"sizes       {sizes}",
             f"pixels      {'grey' if fp.channels == 1 else 'colour'}, {fp.bit_depth}-bit; file modes "
             + ", ".join(f"{mode} {count}" for mode, count in fp.image_modes.items()),
             f"intensity   {channel_stats}",
             f"masks       {masks.kind}: {masks.reason}"]
    if masks.kind == "rgb":
        given = masks.table or 'data.colors' in plan.user_keys
        lines.append("colours     " + (masks.table or "data.colors" if given else
                                      "no colour table (classes.yaml or labelmap.txt in data.root, or data.color_table=FILE)"))
    names, colours = plan.config.data.class_names, plan.config.data.colors
    for index, share in enumerate(masks.class_fractions):
        name = names[index] if index < len(names) else f"class_{index}"
        colour = f"({','.join(map(str, colours[index]))})" if index < len(colours) else ""
        lines.append(f"  class {index:<3} {name:<16} {colour:<13} {percent(share):>8} of labelled pixels")
    void = masks.ignore_value
    layout = fp.layout
    lines.append(f"orientation {'upright' if layout.upright else 'any'}: {layout.reason}; {layout.detail}; "
                 f"{layout.landscape_share:.0%} of the images are landscape")
    lines += ["ignore      " + (f"value {void} (void pixels, left out of loss and metrics)" if void is not None
                                 else "none found (255 would be ignored)"),
              f"roi         {'yes: a region-of-interest mask per image (outside is ignored)' if fp.roi else 'none'}",
              f"unpaired    {_listed(fp.unpaired)}",
              f"unreadable  {_listed(fp.unreadable)}"]
    lines += [f"note        {note}" for note in fp.notes]
    lines += [f"suggestion  {text}" for text in masks.suggestions]
    lines.append(f"read        {fp.images_decoded} images and {fp.masks_decoded} masks decoded, every header opened, "
                 f"{fp.seconds:.1f} s")
    lines.append("")
    lines.append("plan        (unetkit train data.root=... with no --config; epochs and patches per epoch are "
                 "fitted to train.max_minutes by a speed probe when training starts)")
    for key, why in plan.reasons.items():
        lines.append(f"  {key:<24} {_value(plan, key)!r:<14} # {why}")
    return "\n".join(lines)


def format_problems(found: DatasetProblems) -> str:
    """The report of a dataset training would stop on: where it is, what was found, and every problem in
    the words `train` uses for the first."""
    fp = found.fingerprint
    lines = [f"dataset     {fp.root}  (data.format={fp.format})",
             "images      " + ", ".join(f"{split} {count}" for split, count in fp.splits.items())]
    lines += [f"problem     {problem}" for problem in found.problems]
    lines.append(f"{len(found.problems)} problem{'s' if len(found.problems) > 1 else ''} that `unetkit train` would "
                 f"stop on (or learn wrongly from): fix them and inspect again")
    return "\n".join(lines)


def problems_report(found: DatasetProblems) -> dict:
    return {"fingerprint": found.fingerprint.to_dict(), "problems": found.problems}


def _listed(names: list[str], limit: int = 5) -> str:
    if not names:
        return "none"
    return f"{len(names)}: " + ", ".join(Path(n).name for n in names[:limit]) + (" ..." if len(names) > limit else "")
