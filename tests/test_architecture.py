"""The data flow is the package layout: each floor imports only from the floors below it (or its own).

    cli -> apps -> train -> evaluate, explain, export -> infer -> losses, metrics -> data -> models -> config
        -> runtime, viz, errors (and the other bottom helpers: registry, files, labels, progress)

Checked on the source itself, imports inside functions included; the package's own __init__ (the
public API) is exempt.
"""
import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).parents[1] / "src" / "unetkit"
FLOORS = [
    {"cli", "__main__"},
    {"apps"},
    {"train"},
    {"evaluate", "explain", "export", "review"},
    {"infer"},
    {"losses", "metrics"},
    {"data"},
    {"models"},
    {"config"},
    {"runtime", "viz", "errors", "registry", "files", "output_paths", "labels", "progress"},
]


def _floor(top_level: str) -> int:
    for index, names in enumerate(FLOORS):
        if top_level in names:
            return index
    raise AssertionError(f"unetkit.{top_level} is on no floor: add it to FLOORS and docs/architecture.md")


def _module_name(path: Path) -> list[str]:
    parts = list(path.relative_to(PACKAGE.parent).with_suffix("").parts)
    return parts[:-1] if parts[-1] == "__init__" else parts


def _imported_top_levels(path: Path, source: str | None = None) -> list[tuple[int, str]]:
    """(line, top-level unetkit module) of every unetkit import in the file (or in `source` as if it
    were that file)."""
    module = _module_name(path)
    package = module if path.name == "__init__.py" else module[:-1]
    found = []
    for node in ast.walk(ast.parse(source if source is not None else path.read_text())):
        if isinstance(node, ast.Import):
            targets = [alias.name.split(".") for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = package[:len(package) - node.level + 1] if node.level else []
            target = base + (node.module.split(".") if node.module else [])
            targets = [target + [alias.name] if len(target) == 1 else target for alias in node.names]
        else:
            continue
        found += [(node.lineno, target[1]) for target in targets if target[0] == "unetkit" and len(target) > 1]
    return found


MODULES = sorted(p for p in PACKAGE.rglob("*.py") if p != PACKAGE / "__init__.py")


@pytest.mark.parametrize("path", MODULES, ids=[str(p.relative_to(PACKAGE)) for p in MODULES])
def test_no_module_imports_from_a_floor_above_it(path):
    own = _floor(_module_name(path)[1])
    upward = [f"line {line}: unetkit.{target}" for line, target in _imported_top_levels(path)
              if _floor(target) < own]
    assert not upward, f"{path.relative_to(PACKAGE)} (floor {sorted(FLOORS[own])}) imports from above: {upward}"


def test_the_checker_sees_every_form_of_import():
    """A guard on the guard: relative, absolute, package-level and function-level imports are found."""
    code = ("import unetkit.apps\nfrom unetkit.cli import main\nfrom .. import evaluate\n"
            "def f():\n    from ..train.setup import prepare_run\n")
    found = [target for _, target in _imported_top_levels(PACKAGE / "infer" / "example.py", code)]
    assert found == ["apps", "cli", "evaluate", "train"]
    assert all(_floor(target) < _floor("infer") for target in found)


def test_training_functions_fit_on_a_screen():
    """The run is built by small builders and the loop reads top to bottom: no function in train/
    over 40 lines (issue 28)."""
    long = []
    for path in sorted((PACKAGE / "train").rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)) and node.end_lineno - node.lineno + 1 > 40:
                long.append(f"{path.name}:{node.name} ({node.end_lineno - node.lineno + 1} lines)")
    assert not long, long


def test_rank_state_stays_behind_the_strategy():
    """Data-parallel training is one object (train/distributed.py's SingleProcess / DataParallel): no
    other module imports torch.distributed's collectives or carries the ranks around (issue 28).
    apps/launch.py starts torchrun, whose launcher lives in torch.distributed.run."""
    found = []
    for path in MODULES:
        if path.relative_to(PACKAGE).as_posix() == "train/distributed.py":
            continue
        for node in ast.walk(ast.parse(path.read_text())):
            names = ([alias.name for alias in node.names] if isinstance(node, ast.Import) else
                     [node.module or ""] if isinstance(node, ast.ImportFrom) else [])
            if any(name == "torch.distributed" for name in names):
                found.append(f"{path.relative_to(PACKAGE)}:{node.lineno} imports torch.distributed")
            identifier = (node.id if isinstance(node, ast.Name) else node.arg if isinstance(node, ast.arg) else
                          node.attr if isinstance(node, ast.Attribute) else None)
            if identifier in ("ranks", "Ranks", "ONE_PROCESS"):
                found.append(f"{path.relative_to(PACKAGE)}:{node.lineno} names {identifier}")
    assert not found, found
