"""Two builds of the same knowledge base give byte-identical sites, whatever the order files were created in."""

from __future__ import annotations

import shutil
from pathlib import Path

from .conftest import ROOT, Project, tree_bytes


def test_two_builds_are_byte_identical(tmp_path: Path) -> None:
    sites = []
    for name, order in (("a", sorted), ("b", lambda xs: sorted(xs, reverse=True))):
        root = tmp_path / name
        (root / "content").mkdir(parents=True)
        for path in order(list((ROOT / "content").iterdir())):
            shutil.copy2(path, root / "content" / path.name)
        project = Project(root)
        run = project.build()
        assert run.status == 0, run.err
        sites.append(tree_bytes(project.site))
    assert sites[0].keys() == sites[1].keys()
    assert [k for k in sites[0] if sites[0][k] != sites[1][k]] == []


def test_rebuild_in_place_gives_the_same_site(tmp_path: Path) -> None:
    shutil.copytree(ROOT / "content", tmp_path / "content")
    project = Project(tmp_path)
    assert project.build().status == 0
    first = tree_bytes(project.site)
    assert project.build().status == 0
    assert tree_bytes(project.site) == first
