"""Issue 31: hand-made mutations of the guards and the modules where a silent error hides, each of which
must fail at least one test. Each mutation is applied to a copy of src/ in a scratch folder (never to the
checkout), the copy put first on PYTHONPATH, and the named tests run; a mutation that leaves them passing
is a gap.

Usage: python benchmarks/hand_mutations.py   (about two minutes on 2 cores)
"""
from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]

# (module, the code, the mutant, what it breaks, the tests that should catch it)
MUTATIONS = [
    ("export/parity.py", "(got - expected).abs().max()", "(got - expected).abs().min()",
     "the parity check reports the smallest difference (issue 31's example)", "tests/export/test_parity_guards.py"),
    ("models/checkpoint.py", "map_location=map_location, weights_only=True)", "map_location=map_location, weights_only=False)",
     "checkpoints may run code when loaded", "tests/models/test_checkpoint.py"),
    ("infer/tiling.py", "stride = max(grid, output_tile - output_tile % grid)",
     "stride = max(grid, output_tile + output_tile % grid)", "overlap tiles leave gaps off the pooling grid",
     "tests/infer/test_tiling.py"),
    ("metrics/calibration.py", "((predicted - observed).abs()).sum() / total", "((predicted - observed)).sum() / total",
     "ECE lets over- and under-confident bins cancel", "tests/metrics/test_calibration.py"),
    ("data/dataset.py", "label[~roi] = ignore_index", "label[roi] = ignore_index",
     "the ROI mask is applied inverted (loss and metrics outside the field of view)", "tests/data"),
    ("infer/tta.py", "lambda y: torch.rot90(y, -k, (-2, -1))", "lambda y: torch.rot90(y, k, (-2, -1))",
     "test-time rotations are undone the wrong way", "tests/infer/test_tta.py"),
    ("losses/basic.py", "(per_pixel * pixel_weights).sum() / valid.sum().clamp_min(1)",
     "(per_pixel * pixel_weights).sum() / pixel_weights.sum().clamp_min(1)",
     "the weighted loss is normalised by the weights, cancelling the border weight map's emphasis",
     "tests/losses"),
]


def main() -> int:
    rows, gaps = [], 0
    with tempfile.TemporaryDirectory() as scratch:
        for module, code, mutant, meaning, tests in MUTATIONS:
            copy = Path(scratch) / "src"
            shutil.rmtree(copy, ignore_errors=True)
            shutil.copytree(REPO / "src", copy)
            path = copy / "unetkit" / module
            text = path.read_text()
            if text.count(code) != 1:
                raise SystemExit(f"{module}: the code to mutate is not there once: {code!r}")
            path.write_text(text.replace(code, mutant))
            env = {**os.environ, "PYTHONPATH": str(copy)}
            result = subprocess.run([sys.executable, "-m", "pytest", "-x", "-q", "-p", "no:cacheprovider", tests],
                                    cwd=REPO, env=env, capture_output=True, text=True)
            failed = [line.split(" ", 1)[1].split(" - ")[0] for line in result.stdout.splitlines()
                      if line.startswith("FAILED ")]
            caught = result.returncode != 0
            gaps += not caught
            rows.append(f"| {module} | `{code}` -> `{mutant}` | {meaning} | "
                        f"{'caught: ' + (failed[0] if failed else 'error') if caught else '**not caught**'} |")
    print("| module | mutation | what it would break | result |\n|---|---|---|---|")
    print("\n".join(rows))
    return 1 if gaps else 0


if __name__ == "__main__":
    sys.exit(main())
