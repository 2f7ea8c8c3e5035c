"""The code's structure: arrows run one way and no room grows too big.

Walks the imports of the packages as written (module level and inside functions): an import
cycle, a package importing one above it (the base, lobbies, voting, then the site's
composition), a service or entity module importing views, forms or presentation code, a
package importing another's views, a module over 400 lines, a folder of more than 16 modules
or two modules whose names differ only by a suffix fails here.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

pytestmark = pytest.mark.no_dynamodb

ROOT = Path(__file__).resolve().parents[2]
# From the bottom up: each package may import those before it, never one after it.
PACKAGES = ("letshangout", "lobbies", "voting", "hangout")
MAX_LINES = 400
MAX_MODULES_PER_FOLDER = 16
# Presentation beside the views: what services and entities never import.
PRESENTATION = ("views", "forms", "presenters", "labels", "marks", "page")


def modules() -> dict[str, Path]:
    found = {}
    for package in PACKAGES:
        for path in sorted((ROOT / package).rglob("*.py")):
            if "migrations" in path.parts:
                continue
            name = ".".join(path.relative_to(ROOT).with_suffix("").parts)
            found[name.removesuffix(".__init__")] = path
    return found


def imports_of(path: Path, known: set[str]) -> set[str]:
    found = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.add(node.module)
            found.update(f"{node.module}.{alias.name}" for alias in node.names)
        elif isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
    return found & known


@pytest.fixture(scope="module")
def graph() -> dict[str, set[str]]:
    paths = modules()
    names = set(paths)
    return {name: imports_of(path, names) - {name} for name, path in paths.items()}


def test_no_import_cycles(graph):
    cycles, state, stack = [], {}, []

    def visit(name: str) -> None:
        state[name] = "open"
        stack.append(name)
        for dep in sorted(graph[name]):
            if state.get(dep) == "open":
                cycles.append(" -> ".join([*stack[stack.index(dep) :], dep]))
            elif dep not in state:
                visit(dep)
        stack.pop()
        state[name] = "done"

    for name in sorted(graph):
        if name not in state:
            visit(name)
    assert cycles == []


def test_services_and_entities_import_no_presentation(graph):
    backward = [
        f"{name} imports {dep}"
        for name, deps in graph.items()
        if name.rsplit(".", 1)[-1] in {"services", "entities", "store", "saving", "settling"}
        for dep in deps
        if set(dep.split(".")[1:]) & set(PRESENTATION)
    ]
    assert backward == []


def test_no_package_imports_another_packages_views(graph):
    crossing = [
        f"{name} imports {dep}"
        for name, deps in graph.items()
        for dep in deps
        if dep.split(".")[-1].endswith("views") and dep.split(".")[0] != name.split(".")[0]
    ]
    assert crossing == []


def test_no_module_over_400_lines():
    large = {
        str(path.relative_to(ROOT)): lines
        for path in modules().values()
        if (lines := len(path.read_text(encoding="utf-8").splitlines())) > MAX_LINES
    }
    assert large == {}


def wrong_way_arrows(graph: dict[str, set[str]]) -> list[str]:
    rank = {package: level for level, package in enumerate(PACKAGES)}
    return sorted(
        f"{name} imports {dep}"
        for name, deps in graph.items()
        for dep in deps
        if rank[dep.split(".")[0]] > rank[name.split(".")[0]]
    )


def test_packages_depend_one_way(graph):
    assert wrong_way_arrows(graph) == []


def test_a_wrong_way_arrow_is_caught(graph):
    # lobbies reaching up into voting, as lobbies/lobby_page.py once did.
    planted = {**graph, "lobbies.services": graph["lobbies.services"] | {"voting.presenters"}}
    assert wrong_way_arrows(planted) == ["lobbies.services imports voting.presenters"]


def folders() -> dict[Path, list[str]]:
    found: dict[Path, list[str]] = {}
    for path in modules().values():
        if path.name != "__init__.py":
            found.setdefault(path.parent, []).append(path.stem)
    return found


def test_no_folder_holds_too_many_modules():
    crowded = {
        str(folder.relative_to(ROOT)): len(names)
        for folder, names in folders().items()
        if len(names) > MAX_MODULES_PER_FOLDER
    }
    assert crowded == {}


def test_no_two_module_names_differ_only_by_a_suffix():
    twins = [
        f"{folder.relative_to(ROOT)}: {short} / {long}"
        for folder, names in folders().items()
        for short in names
        for long in names
        if long != short and long.startswith(short)
    ]
    assert twins == []
