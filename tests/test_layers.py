"""The packages are stages and imports go one way: `lint-imports` (run by `make check`) keeps it so.

Each test copies the package into a temporary folder, so a broken contract can be shown without touching the tree.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
LINT_IMPORTS = Path(sys.executable).with_name("lint-imports")


def _lint(tmp_path: Path, edit: tuple[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    """Run lint-imports with the project's contracts over a copy of the package, with one line added to a module."""
    shutil.copytree(ROOT / "signalkb", tmp_path / "signalkb", ignore=shutil.ignore_patterns("__pycache__"))
    shutil.copy(ROOT / "pyproject.toml", tmp_path / "pyproject.toml")
    if edit is not None:
        module, line = edit
        path = tmp_path / module
        path.write_text(path.read_text(encoding="utf-8") + f"\n{line}\n", encoding="utf-8")
    env = {**os.environ, "PYTHONPATH": str(tmp_path)}
    return subprocess.run(
        [str(LINT_IMPORTS), "--no-cache", "--no-logo", str(tmp_path / "pyproject.toml")],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_the_packages_as_they_are_keep_the_contract(tmp_path: Path) -> None:
    run = _lint(tmp_path)
    assert run.returncode == 0, run.stdout + run.stderr
    assert "0 broken" in run.stdout, run.stdout


@pytest.mark.parametrize(
    ("module", "line", "importer", "imported"),
    [
        # the data model reaching up into the build engine
        ("signalkb/core/model.py", "from signalkb.engine import pipeline", "signalkb.core.model", "signalkb.engine"),
        # a reader reaching into driving forces, a later stage
        (
            "signalkb/notes/table.py",
            "from signalkb.forces.matching import ForceResolver",
            "signalkb.notes.table",
            "signalkb.forces.matching",
        ),
        # pages reaching into the preview
        ("signalkb/pages/views.py", "import signalkb.preview.serve", "signalkb.pages.views", "signalkb.preview.serve"),
    ],
)
def test_an_import_that_runs_the_wrong_way_breaks_the_contract(
    tmp_path: Path, module: str, line: str, importer: str, imported: str
) -> None:
    run = _lint(tmp_path, (module, line))
    assert run.returncode != 0
    assert "BROKEN" in run.stdout
    assert importer in run.stdout and imported in run.stdout, run.stdout


@pytest.mark.parametrize(
    ("module", "line", "imported"),
    [
        # the engine reaching past pages/plan.py into a module of the pages package's own
        ("signalkb/engine/pipeline.py", "from signalkb.pages.svg import NO_CATEGORY", "signalkb.pages.svg"),
        # the command line reaching into the preview's watcher instead of preview/serve.py
        ("signalkb/cli.py", "import signalkb.preview.watch", "signalkb.preview.watch"),
    ],
)
def test_an_import_of_another_package_s_own_module_breaks_its_contract(
    tmp_path: Path, module: str, line: str, imported: str
) -> None:
    run = _lint(tmp_path, (module, line))
    assert run.returncode != 0
    assert "BROKEN" in run.stdout and imported in run.stdout, run.stdout
    assert "Stages import only earlier stages KEPT" in run.stdout  # the direction is right; only the privacy broke
