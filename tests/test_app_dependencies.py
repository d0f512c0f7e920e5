"""The apps depend one way (STYLE.md): accounts <- deadlines <- applications <- approvals <- supervision,
and the portal on top. An import anywhere in an app's code, at any depth, counts."""

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
LAYERS = ["accounts", "deadlines", "applications", "approvals", "supervision", "portal"]


def imported_apps(app: str) -> dict[str, list[str]]:
    """The other apps ``app``'s code imports, each with where (``file:line``); migrations excluded."""
    found: dict[str, list[str]] = {}
    for path in (ROOT / app).rglob("*.py"):
        if "migrations" in path.parts:
            continue
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
                names = [node.module]
            elif isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            else:
                continue
            for name in names:
                top = name.split(".")[0]
                if top in LAYERS and top != app:
                    found.setdefault(top, []).append(f"{path.relative_to(ROOT)}:{node.lineno}")
    return found


@pytest.mark.parametrize("app", LAYERS)
def test_an_app_imports_only_the_apps_below_it(app):
    below = set(LAYERS[: LAYERS.index(app)])
    upward = {other: where for other, where in imported_apps(app).items() if other not in below}
    assert upward == {}, f"{app} imports apps above it: {upward}"


def test_no_two_apps_import_each_other():
    deps = {app: set(imported_apps(app)) for app in LAYERS}
    cycles = [(a, b) for a in LAYERS for b in deps[a] if a < b and a in deps.get(b, set())]
    assert cycles == []


def test_the_layers_are_every_app():
    apps = {p.parent.name for p in ROOT.glob("*/apps.py")}
    assert apps == set(LAYERS)
