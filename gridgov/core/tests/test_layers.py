"""The apps' dependency order (docs/architecture.md, "Layers"): a module may import its own app and the apps
below it, never one above — so no two apps import each other. Cross-domain links go through provider slots
(gridgov.core.providers). Tests and migrations are not bound; the project's glue (settings, urls, the API
root, the test support) sits above every app."""

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]  # gridgov/

# lowest first
LAYERS = ["core", "worktime", "accounts", "regions", "cases", "web", "registry", "events", "laws", "disputes",
          "petitions", "stats", "assessments", "warnings", "analysis", "open311",
          "interop", "points", "command", "demo"]
GLUE = {"api", "urls", "settings", "asgi", "wsgi", "conftest", "testing", "e2e"}


def _imports(path: Path):
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            yield node.lineno, node.module
        elif isinstance(node, ast.Import):
            for alias in node.names:
                yield node.lineno, alias.name


def violations(root: Path = ROOT) -> list[str]:
    found = []
    for path in sorted(root.rglob("*.py")):
        parts = path.relative_to(root).parts
        if "tests" in parts or "migrations" in parts:
            continue
        app = parts[0].removesuffix(".py")
        if app in GLUE or app == "__init__":
            continue
        assert app in LAYERS, f"{app}: a new app must be given its place in LAYERS (and in docs/architecture.md)"
        for line, module in _imports(path):
            bits = module.split(".")
            if bits[0] != "gridgov" or len(bits) < 2 or bits[1] == app:
                continue
            target = bits[1]
            if target in GLUE or LAYERS.index(target) > LAYERS.index(app):
                found.append(f"{'/'.join(parts)}:{line} imports {module} ({app} is below {target})")
    return found


def test_no_app_imports_an_app_above_it():
    assert violations() == []


def test_the_check_catches_an_upward_import(tmp_path):
    """The rule can fail: a registry module importing disputes is reported."""
    (tmp_path / "registry").mkdir()
    (tmp_path / "registry" / "bad.py").write_text("from gridgov.disputes.models import Dispute\n")
    (tmp_path / "disputes").mkdir()
    (tmp_path / "disputes" / "fine.py").write_text("from gridgov.registry import models\n")
    assert violations(tmp_path) == [
        "registry/bad.py:1 imports gridgov.disputes.models (registry is below disputes)"]


@pytest.mark.parametrize("module", ["web"])
def test_the_shell_holds_nothing_domain_specific(module):
    """web/ is the shared shell: it imports no domain app at all (only the layers below it)."""
    domain = set(LAYERS[LAYERS.index(module) + 1:])
    for path in (ROOT / module).rglob("*.py"):
        if "tests" in path.parts:
            continue
        for _line, imported in _imports(path):
            bits = imported.split(".")
            assert not (bits[0] == "gridgov" and len(bits) > 1 and bits[1] in domain), (path, imported)


MAX_LINES = 600


def test_no_module_is_over_600_lines():
    """A module past ~600 lines holds more than one concern: split it by concern (tests and migrations aside)."""
    long = {str(p.relative_to(ROOT)): n for p in ROOT.rglob("*.py")
            if "tests" not in p.parts and "migrations" not in p.parts
            and (n := len(p.read_text(encoding="utf-8").splitlines())) > MAX_LINES}
    assert long == {}


def template_violations(root: Path = ROOT) -> list[str]:
    """The same order for templates: an app's templates include or extend only its own, the shell's
    (web/, the base layout) and those of the apps below it — a higher app's partial comes through a slot."""
    import re

    pattern = re.compile(r"""{%\s*(?:include|extends)\s+["']([a-z_]+)/""")
    found = []
    for path in sorted(root.glob("*/templates/**/*.html")):
        app = path.relative_to(root).parts[0]
        if app not in LAYERS:
            continue
        for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
            for target in pattern.findall(line):
                if target in LAYERS and LAYERS.index(target) > LAYERS.index(app):
                    found.append(f"{path.relative_to(root)}:{n} uses {target}/ ({app} is below {target})")
    return found


def test_no_template_uses_a_template_of_an_app_above_it():
    assert template_violations() == []
