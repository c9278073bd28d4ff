"""docs/architecture.md and the other guides stay true to the code: paths, names and layers."""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
ARCHITECTURE = ROOT / "docs" / "architecture.md"
GUIDES = [*sorted((ROOT / "docs").glob("*.md")), ROOT / "README.md"]
PATH = re.compile(r"`((?:app|workers|tests|docs|deploy|bench|examples|openapi)/[^`\s]*)`")
# `name` followed by its file: `with_run_subscribers` in `app/resources.py`, `Runner` (`app/...`)
NAMED = re.compile(
    r"`([A-Za-z_][\w.]*)(?:\(\))?`(?:, | in | of | \()`((?:app|workers)/[\w/]+\.py)`"
)


def missing_paths(text: str) -> list[str]:
    """The backticked repository paths of a text that name nothing (a `*` may match several)."""
    return [path for path in PATH.findall(text) if not any(ROOT.glob(path.rstrip("/")))]


def undefined_names(text: str) -> list[str]:
    """The `name` (`file`) pairs of a text whose file does not define the name."""
    wrong = []
    for name, path in NAMED.findall(text):
        source = (ROOT / path).read_text() if (ROOT / path).is_file() else ""
        for part in name.split("."):
            defined = rf"^\s*(?:async def|def|class) {part}\b|^\s*{part}\s*[:=]"
            if not re.search(defined, source, re.MULTILINE):
                wrong.append(f"{name} in {path}")
    return wrong


def test_every_path_the_architecture_names_exists() -> None:
    paths = PATH.findall(ARCHITECTURE.read_text())
    assert len(paths) > 100, "the pattern no longer finds the paths"
    assert missing_paths(ARCHITECTURE.read_text()) == []


def test_every_path_the_guides_name_exists() -> None:
    assert {str(doc.relative_to(ROOT)): missing_paths(doc.read_text()) for doc in GUIDES} == {
        str(doc.relative_to(ROOT)): [] for doc in GUIDES
    }


def test_every_name_given_with_its_file_is_defined_there() -> None:
    assert len(NAMED.findall(ARCHITECTURE.read_text())) > 15, "the pattern finds no names"
    assert {str(doc.relative_to(ROOT)): undefined_names(doc.read_text()) for doc in GUIDES} == {
        str(doc.relative_to(ROOT)): [] for doc in GUIDES
    }


def test_a_stale_path_or_name_is_found() -> None:
    stale = "`app/jobs/runner.py`, `app/api/schemas_runs.py`, `deploy/base/rbac-*.yaml`"
    assert missing_paths(stale) == ["app/jobs/runner.py", "app/api/schemas_runs.py"]
    moved = "subscribe it in `with_run_subscribers` in `app/main.py`; `Runner` (`app/kube.py`)"
    assert undefined_names(moved) == [
        "with_run_subscribers in app/main.py",
        "Runner in app/kube.py",
    ]
    assert undefined_names("`with_run_subscribers` in `app/resources.py`") == []


def test_every_package_and_module_of_app_has_its_place() -> None:
    text = ARCHITECTURE.read_text()
    places = [
        path.relative_to(ROOT).as_posix() + ("/" if path.is_dir() else "")
        for path in sorted((ROOT / "app").iterdir())
        if path.name not in ("__init__.py", "__pycache__")
    ]
    assert [place for place in places if f"`{place}`" not in text] == []
    nested = {path.parent.name for path in (ROOT / "app").glob("*/*/__init__.py")}
    assert sorted(name for name in nested if f"`{name}/`" not in text) == []


def _layers_in_pyproject() -> list[set[str]]:
    contracts = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["importlinter"]
    layers = next(c for c in contracts["contracts"] if c["type"] == "layers")["layers"]
    return [{name.strip(" ()") for name in layer.split("|")} for layer in layers]


def test_the_layers_drawn_are_the_layers_import_linter_holds() -> None:
    text = ARCHITECTURE.read_text()
    drawing = text[text.index("```\napp.cli") + 4 :]
    drawing = drawing[: drawing.index("```")]
    drawn = [{name.strip() for name in line.split("|")} for line in drawing.splitlines()]
    assert drawn == _layers_in_pyproject()
