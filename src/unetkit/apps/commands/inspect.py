"""`unetkit inspect`: a dataset's fingerprint and the plan `train` would choose for it, as text or JSON."""
from __future__ import annotations

import argparse

HELP = "a dataset's fingerprint and the plan train would choose for it"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("root", metavar="DATA_ROOT", help="dataset folder (folder, VOC, DRIVE or ISBI layout)")
    parser.add_argument("--json", action="store_true", help="print the fingerprint and plan as JSON")
    parser.add_argument("overrides", nargs="*", metavar="key=value", help="e.g. data.mask_suffix=_segmentation")


def run(args: argparse.Namespace) -> int:
    import json

    from ...data.dataset_problems import DatasetProblems
    from ..inspect import format_inspection, format_problems, inspect_dataset, inspection_report, problems_report
    try:
        plan = inspect_dataset(args.root, args.overrides)
    except DatasetProblems as found:   # every problem listed, and the exit status train would have
        print(json.dumps(problems_report(found), indent=2) if args.json else format_problems(found))
        return found.exit_code
    print(json.dumps(inspection_report(plan), indent=2) if args.json else format_inspection(plan))
    return 0
