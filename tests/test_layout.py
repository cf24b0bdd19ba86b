"""The shape of the code base (DESIGN.md, "Apps, and which way the arrows go"): the
kernel imports no app, nothing imports in a circle, modules and functions stay small."""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
APPS = ("jobs", "workflows", "analytics", "marketing", "ai_content", "chatbot")
PACKAGES = ("benchbarrier", *APPS)
# The project's wiring: the only part of benchbarrier/ that may name apps.
WIRING = {f"benchbarrier/{name}.py" for name in ("settings", "urls", "celery", "wsgi", "asgi")}
# Which app may import which (besides itself and the kernel), from DESIGN.md.
MAY_IMPORT = {
    "jobs": set(),
    "workflows": {"jobs"},
    "analytics": {"jobs", "workflows"},
    "marketing": {"jobs", "workflows", "analytics"},
    "ai_content": {"jobs", "workflows"},
    "chatbot": {"jobs", "workflows", "ai_content", "marketing", "analytics"},
}


def source_files() -> Iterator[Path]:
    for package in PACKAGES:
        for path in sorted((ROOT / package).rglob("*.py")):
            if "migrations" not in path.parts:
                yield path


def module_name(path: Path) -> str:
    parts = path.relative_to(ROOT).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


MODULES = {module_name(path): path for path in source_files()}


def imported_modules(path: Path, *, top_level_only: bool = False) -> set[str]:
    """The project modules `path` imports (resolved to the module, not the name)."""
    tree = ast.parse(path.read_text())
    nodes = tree.body if top_level_only else list(ast.walk(tree))
    found = set()
    for node in nodes:
        names: list[str] = []
        if isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names = [f"{node.module}.{alias.name}" for alias in node.names] + [node.module]
        elif isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        for name in names:
            if name.split(".")[0] not in PACKAGES:
                continue
            while name and name not in MODULES:
                name = name.rpartition(".")[0]
            if name:
                found.add(name)
                break
    return found - {module_name(path)}


def test_the_kernel_imports_no_app():
    crossings = [
        f"{path.relative_to(ROOT)} imports {target}"
        for path in source_files()
        if path.relative_to(ROOT).parts[0] == "benchbarrier"
        and str(path.relative_to(ROOT)) not in WIRING
        for target in imported_modules(path)
        if target.split(".")[0] in APPS
    ]
    assert crossings == []


def test_apps_import_only_downwards():
    wrong = [
        f"{module} imports {target}"
        for module, path in MODULES.items()
        if (app := module.split(".")[0]) in APPS
        for target in imported_modules(path)
        if (other := target.split(".")[0]) in APPS
        and other != app
        and other not in MAY_IMPORT[app]
    ]
    assert wrong == []


@pytest.mark.parametrize("top_level_only", [True, False], ids=["module level", "any level"])
def test_no_import_cycles(top_level_only):
    graph = {m: imported_modules(p, top_level_only=top_level_only) for m, p in MODULES.items()}
    cycles = []
    state: dict[str, int] = {}  # 1: on the current path, 2: done
    path: list[str] = []

    def visit(module: str) -> None:
        state[module] = 1
        path.append(module)
        for target in sorted(graph.get(module, ())):
            if state.get(target) == 1:
                cycles.append(" -> ".join([*path[path.index(target) :], target]))
            elif target not in state:
                visit(target)
        path.pop()
        state[module] = 2

    for module in sorted(graph):
        if module not in state:
            visit(module)
    # A package's __init__ naming its own submodules is not a cycle of ideas.
    cycles = [c for c in cycles if not _package_init_only(c)]
    assert cycles == []


def _package_init_only(cycle: str) -> bool:
    modules = cycle.split(" -> ")
    return any(
        MODULES[m].name == "__init__.py" and all(other.startswith(f"{m}.") for other in modules)
        for m in modules
    )


def test_modules_and_functions_stay_small():
    too_long = []
    for path in source_files():
        lines = path.read_text().splitlines()
        if len(lines) > 550:
            too_long.append(f"{path.relative_to(ROOT)}: {len(lines)} lines")
        for node in ast.walk(ast.parse("\n".join(lines))):
            if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
                length = node.end_lineno - node.lineno + 1
                if length > 80:
                    too_long.append(
                        f"{path.relative_to(ROOT)}:{node.lineno} {node.name}: {length}"
                    )
    assert too_long == []
