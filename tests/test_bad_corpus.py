"""The malformed-content corpus (tests/data/bad): each bad file gives its documented diagnostics, the rest builds.

A case is `NAME.expect` (YAML) and, unless the case is generated, the note file `NAME.md` or `NAME.txt` beside it:

    about: what is wrong with the file                       # one line
    write_as: CON.md            # optional: the file name in content/ (names a Windows checkout cannot hold)
    generate:                   # optional, instead of a committed file: made at test time (huge or binary files)
      head: "..."               #   text, then `repeat` `times` times ({i}: 0, 1, ...; {pad}: two spaces per i),
      repeat: "| S{i} | ... |"  #   then `tail`, encoded with `encoding` (default utf-8);
      times: 10000
      tail: "..."
      encoding: utf-16
      prefix_hex: "89504e47"    #   or bytes: these, then `random_bytes` seeded random bytes
      random_bytes: 65536
      seed: 9
    diagnostics:                # every diagnostic about this file (none when missing), in any order
      - {severity: warning, line: 3, contains: ["front matter date", "not a date"]}
    builds: true                # the note has a page (false: it is skipped, or its error stops the build)
    note_id: con-x              # optional: the id (and so the URL) the note gets
    signals: ["..."]            # optional: signals that must come through (their text in signals.json)
    signal_count: 10000         # optional
    forces: [climate-change]    # optional: the ids of the forces its signals are linked to
    closest: []                 # optional: the note ids its Closest list links to

A case with an error diagnostic stops the build (exit status 1, the previous site left as it was); every
other case builds together with the good notes. Adding a case means adding files.
"""

from __future__ import annotations

import random
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import yaml

from signalkb.core.slugs import is_windows_reserved

from .conftest import Project, Run, native_note, tree_digests

BAD = Path(__file__).parent / "data" / "bad"
CASES = sorted(p.stem for p in BAD.glob("*.expect"))
KEYS = {
    "about",
    "write_as",
    "generate",
    "diagnostics",
    "builds",
    "note_id",
    "signals",
    "signal_count",
    "forces",
    "closest",
}
GOOD = {
    "good_one.md": native_note(
        "A good note among bad ones",
        "20240210",
        rows=[
            ("Heat waves close schools", "Summer terms shrink", "School years move", "Climate change"),
            ("Cities plant shade trees", "Streets cool down", "Tree canopy doubles", "Climate change; Urban greening"),
        ],
        keywords=("heat",),
        themes=("climate",),
    ),
    "good_two.md": (
        "---\ntitle: Another good note\ndate: 2024-02-11\nsource: https://example.org/good-two\n---\n\n"
        "## Summary\n\nWritten by hand.\n\n## Signals\n\n| Signal | Change | 10y horizon | Driving force |\n"
        "|---|---|---|---|\n| Insurers leave flood zones | Homes uninsurable | Managed retreat | Climate change |\n"
    ),
}
GOOD_SIGNALS = {
    "Heat waves close schools",
    "Cities plant shade trees",
    "Insurers leave flood zones",
}
ID = re.compile(r"^[a-z0-9][a-z0-9_-]*$")
_LINE = re.compile(r"^(?:(?P<line>\d+): )?(?P<severity>error|warning): (?P<text>.*)$")


@dataclass(frozen=True)
class Case:
    """One corpus case: its expectations and the file it is written as."""

    name: str
    expect: dict[str, Any]

    @property
    def file_name(self) -> str:
        if "write_as" in self.expect:
            return str(self.expect["write_as"])
        committed = [p.name for p in BAD.glob(f"{self.name}.*") if p.suffix != ".expect"]
        assert len(committed) == 1, f"{self.name}: expected one note file beside the .expect, found {committed}"
        return committed[0]

    @property
    def display(self) -> str:
        """How messages name the file (control characters escaped, as Diagnostic.format does)."""
        name = f"content/{self.file_name}"
        return "".join(ch.encode("unicode_escape").decode() if ord(ch) < 32 else ch for ch in name)

    @property
    def blocks(self) -> bool:
        return any(d["severity"] == "error" for d in self.expect.get("diagnostics", []))

    def data(self) -> bytes:
        """The file's bytes: committed, or generated."""
        spec = self.expect.get("generate")
        if spec is None:
            source = [p for p in BAD.glob(f"{self.name}.*") if p.suffix != ".expect"]
            return source[0].read_bytes()
        text = spec.get("head", "")
        text += "".join(spec.get("repeat", "").format(i=i, pad="  " * i) for i in range(spec.get("times", 0)))
        text += spec.get("tail", "")
        data = text.encode(spec.get("encoding", "utf-8"))
        data += bytes.fromhex(spec.get("prefix_hex", ""))
        data += random.Random(spec.get("seed", 0)).randbytes(spec.get("random_bytes", 0))
        return data


def load(name: str) -> Case:
    expect = yaml.safe_load((BAD / f"{name}.expect").read_text(encoding="utf-8"))
    return Case(name, expect)


def test_every_case_is_complete() -> None:
    assert len(CASES) >= 40
    committed = sorted(p.stem for p in BAD.iterdir() if p.suffix != ".expect")
    assert sorted(set(committed) - set(CASES)) == [], "a note file without NAME.expect"
    written: set[str] = set()
    for name in CASES:
        case = load(name)
        assert set(case.expect) <= KEYS, f"{name}.expect: unknown keys {set(case.expect) - KEYS}"
        assert case.expect.get("about"), f"{name}.expect: say what the case is about"
        assert isinstance(case.expect.get("builds"), bool), f"{name}.expect: builds: true or false"
        assert ("generate" in case.expect) != (name in committed), f"{name}: a committed file or `generate`, not both"
        assert case.file_name not in written, f"{name}: two cases write {case.file_name}"
        written.add(case.file_name)
        if case.blocks:
            assert case.expect["builds"] is False, f"{name}: an error stops the build, so the note cannot build"
        for d in case.expect.get("diagnostics", []):
            assert set(d) == {"severity", "line", "contains"} and d["severity"] in ("error", "warning"), (name, d)


# --- the corpus built together ---------------------------------------------------------------------------------


@dataclass
class Built:
    """The corpus built twice: without the cases that stop a build (site written), then with all of them."""

    project: Project
    cases: list[Case]
    good: Run
    """The build of the good notes and every case that does not stop a build."""
    bad: Run
    """The build with every case: it stops, and the site is left as the good build made it."""
    before: dict[str, str]
    after: dict[str, str]
    data: dict[str, Any]


def _messages(run: Run, display: str) -> list[tuple[str, int | None, str]]:
    """(severity, line, text) of every stderr line about the file `display`."""
    found = []
    for line in run.messages:
        if line.startswith(display + ":"):
            m = _LINE.match(line[len(display) + 1 :].lstrip())
            assert m is not None, line
            found.append((m["severity"], int(m["line"]) if m["line"] else None, m["text"]))
    return found


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> Built:
    root = tmp_path_factory.mktemp("corpus")
    project = Project(root)
    project.content.mkdir()
    cases = [load(name) for name in CASES]
    project.write(GOOD)
    project.write({case.file_name: case.data() for case in cases if not case.blocks})
    good = project.build()
    before = tree_digests(project.site)
    data = project.data() if project.site.is_dir() else {}
    project.write({case.file_name: case.data() for case in cases if case.blocks})
    bad = project.build()
    after = tree_digests(project.site)
    return Built(project, cases, good, bad, before, after, data)


def test_the_good_notes_and_every_case_that_does_not_stop_the_build_build(built: Built) -> None:
    assert "Traceback" not in built.good.err
    assert built.good.status == 0, built.good.err[-3000:]
    signals = {s["signal"] for s in built.data["signals"]}
    assert signals >= GOOD_SIGNALS
    titles = {n["title"]: n for n in built.data["notes"]}
    for title in ("A good note among bad ones", "Another good note"):
        page = built.project.page(f"notes/{titles[title]['id']}")
        assert title in page and page.rstrip().endswith("</html>")
    home = (built.project.site / "index.html").read_text(encoding="utf-8")
    assert "A good note among bad ones" in home
    climate = next(f for f in built.data["forces"] if f["label"] == "Climate change")
    assert len(climate["signals"]) >= 3


def test_cases_that_stop_the_build_leave_the_site_as_it_was(built: Built) -> None:
    assert "Traceback" not in built.bad.err
    assert built.bad.status == 1
    assert built.after == built.before, "a failed build changed the published site"
    assert built.bad.messages[-1].startswith("build failed:")
    leftovers = [p.name for p in built.project.root.iterdir() if p.name.startswith(".site.")]
    assert leftovers == [], leftovers
    assert not any(p.name == "pwned-by-yaml" for p in built.project.root.rglob("*")), "YAML ran a command"


@pytest.mark.parametrize("name", CASES)
def test_case(built: Built, name: str) -> None:
    case = next(c for c in built.cases if c.name == name)
    run = built.bad if case.blocks else built.good
    got = _messages(run, case.display)
    remaining = list(got)
    for want in case.expect.get("diagnostics", []):
        match = [
            m
            for m in remaining
            if m[0] == want["severity"] and m[1] == want["line"] and all(p in m[2] for p in want["contains"])
        ]
        assert match, f"{name}: expected {want} among {got}"
        remaining.remove(match[0])
    assert remaining == [], f"{name}: diagnostics not in {name}.expect: {remaining}"

    notes = {n["path"]: n for n in built.data["notes"]}
    note = notes.get(case.file_name)
    assert (note is not None) == case.expect["builds"], f"{name}: builds is {note is not None}"
    if note is None:
        return
    assert (built.project.site / "notes" / note["id"] / "index.html").is_file()
    if "note_id" in case.expect:
        assert note["id"] == case.expect["note_id"]
    mine = [s for s in built.data["signals"] if s["note"] == note["id"]]
    texts = {s["signal"] for s in mine}
    missing = set(case.expect.get("signals", [])) - texts
    assert not missing, f"{name}: signals lost: {missing}"
    if "signal_count" in case.expect:
        assert len(mine) == case.expect["signal_count"]
    if "forces" in case.expect:
        assert sorted({f for s in mine for f in s["forces"]}) == sorted(case.expect["forces"])
    if "closest" in case.expect:
        assert note["closest"] == case.expect["closest"]
    for signal in mine:
        assert (built.project.site / "signals" / signal["id"] / "index.html").is_file()


def test_every_id_is_unique_url_safe_and_short(built: Built) -> None:
    for kind in ("notes", "signals", "forces", "keywords", "themes"):
        ids = [x["id"] for x in built.data[kind]]
        assert len(ids) == len(set(ids)), kind
        for x in built.data[kind]:  # broad forces are one folder down, forces/broad/<slug>/
            i = x["id"].removeprefix("broad/") if x.get("level") == "broad" else x["id"]
            assert ID.match(i) and len(i) <= 100 and not is_windows_reserved(i), (kind, i)
    site = built.project.site
    for path in site.rglob("*"):
        assert path.resolve().is_relative_to(site.resolve()), path
