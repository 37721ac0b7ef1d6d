"""Issue 31: the table of `make mutants` -- mutants per module, killed, survived -- from mutmut's results
(mutants/**/*.meta), with each survivor's kind read from its code (what changed between the function and its
mutant: only a string literal, a number, an operator, an argument dropped, ...).

Usage: python benchmarks/mutation_table.py [--mutants mutants] [--survivors] [PATTERN ...]   (after `make mutants`)
"""
from __future__ import annotations

import argparse
import ast
import difflib
import fnmatch
import json
from collections import Counter, defaultdict
from pathlib import Path

KILLED = {1, 3, 36, 24, -24, 152, 255, -11, -9, 37}    # failed, errored, timed out, crashed, caught by types
SURVIVED = {0}
UNTESTED = {5, 33}


def _functions(tree: ast.Module) -> dict[str, ast.AST]:
    found = {}
    for node in ast.walk(tree):
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)) and "__mutmut_" in node.name:
            found[node.name] = node
    return found


def _kind(original: ast.AST, mutant: ast.AST) -> str:
    """What the mutation changed, from the first node where the two functions differ."""
    for a, b in zip(ast.walk(original), ast.walk(mutant)):
        if type(a) is not type(b):
            if isinstance(b, ast.Constant) and b.value is None:
                return "value -> None"
            return f"{type(a).__name__} -> {type(b).__name__}"
        if isinstance(a, ast.Constant) and a.value != b.value:
            return "string literal" if isinstance(a.value, str) else "number/constant"
        if isinstance(a, ast.Call) and (len(a.args) != len(b.args) or len(a.keywords) != len(b.keywords)):
            return "argument dropped or changed"
        if isinstance(a, ast.keyword) and a.arg != b.arg:
            return "keyword changed"
        if isinstance(a, ast.arguments) and ast.dump(a) != ast.dump(b):
            return "default argument"
    return "other"


def _changed_lines(original: ast.AST, mutant: ast.AST) -> str:
    before, after = ast.unparse(original).splitlines()[1:], ast.unparse(mutant).splitlines()[1:]
    return " / ".join(f"{line[0]} {line[1:].strip()}" for line in difflib.unified_diff(before, after, lineterm="", n=0)
                      if line[:1] in "+-" and line[:3] not in ("---", "+++"))


def read(mutants: Path, patterns: list[str]) -> tuple[dict[str, Counter], dict[str, list[tuple[str, str, str]]]]:
    counts: dict[str, Counter] = defaultdict(Counter)
    survivors: dict[str, list[tuple[str, str, str]]] = defaultdict(list)
    for meta in sorted(mutants.rglob("*.py.meta")):
        source = meta.with_suffix("")
        module = source.relative_to(mutants / "src").as_posix()
        functions = _functions(ast.parse(source.read_text()))
        for key, code in json.loads(meta.read_text())["exit_code_by_key"].items():
            if patterns and not any(fnmatch.fnmatch(key, pattern) for pattern in patterns):
                continue
            state = ("killed" if code in KILLED else "survived" if code in SURVIVED
                     else "no test" if code in UNTESTED else "not run")
            counts[module][state] += 1
            if state == "survived":
                name = key.rsplit(".", 1)[1]
                original = functions.get(name.rsplit("__mutmut_", 1)[0] + "__mutmut_orig")
                known = original is not None and name in functions
                kind = _kind(original, functions[name]) if known else "?"
                survivors[module].append((name, kind, _changed_lines(original, functions[name]) if known else ""))
    return counts, survivors


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--mutants", default="mutants")
    parser.add_argument("--survivors", action="store_true", help="also list every survivor and its kind")
    parser.add_argument("patterns", nargs="*", help="mutant names (globs, as `mutmut run` takes them) to count")
    args = parser.parse_args()
    counts, survivors = read(Path(args.mutants), args.patterns)
    print("| module | mutants | killed | survived | no test reaches it | not run yet | killed of tested |")
    print("|---|---|---|---|---|---|---|")
    total = Counter()
    for module, c in sorted(counts.items()):
        total.update(c)
        tested = c["killed"] + c["survived"]
        share = f"{c['killed'] / tested:.0%}" if tested else "-"
        print(f"| {module} | {sum(c.values())} | {c['killed']} | {c['survived']} | {c['no test']} | {c['not run']} | {share} |")
    tested = total["killed"] + total["survived"]
    print(f"| all | {sum(total.values())} | {total['killed']} | {total['survived']} | {total['no test']} | "
          f"{total['not run']} | {total['killed'] / max(1, tested):.0%} |")
    kinds = Counter(kind for found in survivors.values() for _, kind, _ in found)
    print("\nsurvivors by kind: " + ", ".join(f"{kind} {n}" for kind, n in kinds.most_common()))
    if args.survivors:
        for module, found in sorted(survivors.items()):
            for name, kind, change in found:
                print(f"{module}  {name}  [{kind}]  {change}")


if __name__ == "__main__":
    main()
