"""Hostile notes: nothing in them runs in a browser or as a spreadsheet formula, or is written outside site/.

The knowledge base below puts script, event-handler, `javascript:` and `data:` payloads in every field a note
has (and in file names, forces.yaml, extra columns and the error overlay of the preview). Every payload that
ran would set `window.__pwned` or open a dialog; Debian's Chromium loads every page of the built site over
HTTP and both are watched. tests/test_escaping.py checks the same kind of payloads statically.
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from signalkb.core.config import load_config
from signalkb.preview.serve import Preview, PreviewOptions

from .browser import TIMEOUT_MS, serve_folder
from .conftest import ROOT, Project, native_note

RUN = "window.__pwned=1"
PAYLOADS = [
    f"<script>{RUN}</script>",
    f"<img src=x onerror={RUN}>",
    f'"><svg onload={RUN}>',
    f"'><body onload={RUN}>",
    f"</text><script>{RUN}</script>",  # closes an SVG <text> the label might be written into
    f"</title><script>{RUN}</script>",
    "<iframe srcdoc='<script>parent.__pwned=1</script>'></iframe>",
    f"<a href=javascript:{RUN}>link</a>",
    f"<math><mtext><table><mglyph><style><img src=x onerror={RUN}>",
    f"<script xmlns='http://www.w3.org/1999/xhtml'>{RUN}</script>",  # runs if a feed or sitemap is not escaped
]
ALL = " ".join(PAYLOADS)
LINKS = [
    f"javascript:{RUN}",
    f"JaVaScRiPt:{RUN}",
    f" javascript:{RUN}",
    f"data:text/html,<script>{RUN}</script>",
    "data:text/html;base64,PHNjcmlwdD53aW5kb3cuX19wd25lZD0xPC9zY3JpcHQ+",
    f"vbscript:{RUN}",
    "//evil.example.org/x",
]
CSV_PAYLOADS = [
    '=HYPERLINK("http://evil.example.org","x")',
    "+1+cmd|' /C calc'!A0",
    "-2+3",
    "@SUM(1+1)",
    "=cmd|' /C calc'!A0",
]

OPEN = "Open-source collaboration"
CSV_CELLS = [payload.replace("|", "\\|") for payload in CSV_PAYLOADS]  # a literal pipe in a table
NATIVE = f"""\
# __Title {ALL}__, from ([20240105](javascript:{RUN}).)

__[External link]({LINKS[0]})__

## Summary

Summary {ALL}

{" ".join(f"[link {i}]({url})" for i, url in enumerate(LINKS))} <{LINKS[0]}> ![img]({LINKS[3]})

<div onclick="{RUN}"><script>{RUN}</script></div>

<style>body {{ background: url("javascript:{RUN}") }}</style>

## Keywords

* keyword {PAYLOADS[0]}
* {PAYLOADS[1]}

## Themes

* theme {PAYLOADS[2]}

## Signals

| Signal | Change | 10y horizon | Driving force | Extra {PAYLOADS[1]} |
|---|---|---|---|---|
| signal {ALL} | change {ALL} | horizon {ALL} | force {PAYLOADS[4]}; force {PAYLOADS[2]}; {OPEN} | extra {ALL} |
| [click]({LINKS[0]}) | ![x]({LINKS[4]}) | `{PAYLOADS[0]}` | *{PAYLOADS[1]}* | [data]({LINKS[3]}) |
| {CSV_CELLS[0]} | {CSV_CELLS[1]} | {CSV_CELLS[2]} | {CSV_CELLS[3]} | {CSV_CELLS[4]} |

## Concerns {PAYLOADS[0]}

<div onmouseover="{RUN}">{PAYLOADS[1]}</div>

## Other

* Reviewer {PAYLOADS[0]}: value {PAYLOADS[1]}

## Closest

* [closest {PAYLOADS[0]}]({LINKS[0]})
* {PAYLOADS[1]}
* [Front]({LINKS[3]})
"""

FRONT = f"""\
---
title: '=1+1 Front {PAYLOADS[0]}'
date: 2023-03-03
source: "{LINKS[3]}"
keywords: ["{PAYLOADS[0]}"]
themes: ['{PAYLOADS[2]}']
id: ../../../../tmp/escaped
note {PAYLOADS[0]}: '{PAYLOADS[1]}'
---

## Signals

| Signal | Change | 10y horizon | Driving force |
|---|---|---|---|
| front {ALL} | c {PAYLOADS[0]} | h {PAYLOADS[1]} | Open-source collaboration; force {PAYLOADS[4]} |
"""

FORCES_YAML = json.dumps(  # JSON is YAML: every payload quoted safely
    {
        "categories": [f"cat {PAYLOADS[4]}", "technological"],
        "forces": [
            {
                "label": "Open-source collaboration",
                "category": f"cat {PAYLOADS[4]}",
                "description": f"Description {PAYLOADS[0]} {PAYLOADS[1]}",
                "aliases": [f"alias {PAYLOADS[2]}"],
            },
            {"label": f"Label {PAYLOADS[4]}", "category": "technological", "description": f"[link]({LINKS[0]})"},
        ],
    },
    indent=1,
)

FILES = {
    "evil.md": NATIVE,
    "front.md": FRONT,
    f"{PAYLOADS[1]}.md": native_note(f"File name {PAYLOADS[2]}", rows=[("s1", "c", "h", "Open-source collaboration")]),
    "CON.md": native_note("CON", rows=[("../../etc/passwd", "c", "h", "../../../escape")]),
    "passwd.md": native_note("../../etc/passwd", rows=[("CON", "c", "h", "nul")], keywords=("..", "../../x")),
    "forces.yaml": FORCES_YAML,
}


def build_hostile(project: Project) -> None:
    project.write(FILES)
    run = project.build("--base-url", "https://example.org/kb/")
    assert "Traceback" not in run.err
    assert run.status == 0, run.err[-2000:]


# --- nothing is written outside the output folder ---------------------------------------------------------------


def _snapshot(folder: Path) -> dict[str, str]:
    out: dict[str, str] = {}
    for path in sorted(folder.rglob("*")):
        rel = path.relative_to(folder).as_posix()
        if path.is_symlink():
            out[rel] = "link:" + str(path.readlink())
        elif path.is_file():
            out[rel] = hashlib.blake2b(path.read_bytes(), digest_size=16).hexdigest()
        else:
            out[rel] = "dir"
    return out


def test_nothing_is_written_outside_the_output_folder(tmp_path: Path) -> None:
    world = tmp_path / "world"
    (world / "outside").mkdir(parents=True)
    (world / "outside" / "keep.txt").write_text("mine", encoding="utf-8")
    (world / "etc").mkdir()
    project = Project(world / "kb")
    project.content.mkdir(parents=True)
    project.write(FILES)
    before = _snapshot(world)
    build_hostile(project)
    build_hostile(project)  # and an incremental build after it
    after = _snapshot(world)

    allowed = ("kb/site/", "kb/.signalkb-cache/")
    ledger = "kb/content/permalinks.json"  # the one file a build records beside the notes (README: URL permanence)
    changed = {p for p in set(before) | set(after) if before.get(p) != after.get(p)}
    outside = sorted(
        p for p in changed if not p.startswith(allowed) and p not in (ledger, "kb/site", "kb/.signalkb-cache")
    )
    assert outside == [], f"written outside the output folder: {outside}"
    assert not (tmp_path / "tmp").exists() and not Path("/tmp/escaped").exists()
    site = project.site.resolve()
    for path in project.site.rglob("*"):
        assert path.resolve().is_relative_to(site) and not path.is_symlink(), path
        assert re.fullmatch(r"[A-Za-z0-9._-]+", path.name), f"unsafe output name {path.relative_to(site)}"


# --- spreadsheets --------------------------------------------------------------------------------------------------


def test_signals_csv_never_starts_a_cell_with_a_formula(project: Project) -> None:
    """The contract of site/signals.csv: a cell starting with = + - @ (or tab, CR) is prefixed with `'`."""
    build_hostile(project)
    path = project.site / "signals.csv"
    assert path.is_file(), "site/signals.csv is missing"
    text = path.read_text(encoding="utf-8-sig")
    rows = list(csv.reader(io.StringIO(text)))
    assert len(rows) > 3
    cells = [cell for row in rows for cell in row]
    starts = [cell for cell in cells if cell.startswith(("=", "+", "-", "@", "\t", "\r"))]
    assert starts == [], f"cells a spreadsheet would run: {starts[:5]}"
    for payload in CSV_PAYLOADS:
        assert "'" + payload in cells, f"{payload!r} is not in signals.csv as text"
    assert "'=1+1 Front " + PAYLOADS[0] in cells  # the note title column too


# --- YAML ----------------------------------------------------------------------------------------------------------


def test_yaml_is_only_ever_loaded_with_the_safe_loader() -> None:
    unsafe = re.compile(
        r"yaml\.(unsafe_load|full_load|load_all)\b|FullLoader|UnsafeLoader|yaml\.Loader\b|Loader=yaml\.Loader"
    )
    load_call = re.compile(r"yaml\.load\(")
    files = [*(ROOT / "signalkb").rglob("*.py"), ROOT / "build.py", *(ROOT / "bench").glob("*.py")]
    assert len(files) > 20
    for path in files:
        for number, line in enumerate(path.read_text(encoding="utf-8").split("\n"), 1):
            where = f"{path.relative_to(ROOT)}:{number}"
            assert not unsafe.search(line), f"{where}: unsafe YAML loading: {line.strip()}"
            if load_call.search(line):
                assert re.search(r"Loader=(yaml\.)?SafeLoader\b", line), f"{where}: yaml.load without SafeLoader"
    from signalkb.core import yamlsafe

    assert issubclass(yamlsafe.SafeLoader, __import__("yaml").SafeLoader)


# --- in a browser ----------------------------------------------------------------------------------------------------


@pytest.fixture
def served(project: Project) -> Iterator[str]:
    """The built hostile site, served over HTTP on 127.0.0.1 (a port of its own) as any static host would."""
    build_hostile(project)
    with serve_folder(project.site) as url:
        yield url


_DOM_CHECK = r"""() => {
  const bad = [];
  for (const el of document.querySelectorAll("*")) {
    for (const attr of el.attributes) {
      const value = attr.value.trim().toLowerCase();
      if (attr.name.startsWith("on")) bad.push(`<${el.localName} ${attr.name}>`);
      if (["href", "src", "action", "formaction", "xlink:href", "srcdoc"].includes(attr.name)
          && (value.startsWith("javascript:") || value.startsWith("data:text") || value.startsWith("vbscript:")
              || attr.name === "srcdoc"))
        bad.push(`<${el.localName} ${attr.name}=${value.slice(0, 40)}>`);
    }
    const ownScript = el.localName === "script" && !el.textContent.trim()  // the site's own (404.html: absolute)
      && /^((\.\.\/)*(\.\/)?|\/([a-z0-9._-]+\/)*)assets\/[a-z0-9-]+\.js$/.test(el.getAttribute("src") || "");
    const ownForm = el.localName === "form" && el.getAttribute("role") === "search"  // the site's search box
      && /^((\.\.\/)*(\.\/)?|\/([a-z0-9._-]+\/)*)search\/$|^$/.test(el.getAttribute("action") || "");
    if (["script", "iframe", "object", "embed", "base", "form"].includes(el.localName) && !ownScript && !ownForm)
      bad.push(`<${el.localName} ${(el.outerHTML || "").slice(0, 60)}>`);
    if (el.localName === "meta" && (el.getAttribute("http-equiv") || "").toLowerCase() === "refresh"
        && /url\s*=\s*(javascript|data):/i.test(el.getAttribute("content") || "")) bad.push("<meta refresh>");
  }
  return bad;
}"""


def _watch(page: Any) -> list[str]:
    """What a payload that ran would leave: dialogs, script errors, console errors, requests to other hosts.

    Requests leave the machine never (they are aborted); a missing file on the test server is not an event.
    """
    events: list[str] = []

    def route(route: Any) -> None:
        url = route.request.url
        if url.startswith("http://127.0.0.1:"):
            route.continue_()
            return
        if "evil" in url or not url.startswith("https://example.org/kb/"):  # the site's own base_url is fine
            events.append(f"request to {url}")
        route.abort()

    def console(msg: Any) -> None:
        if msg.type == "error" and "Failed to load resource" not in msg.text:
            events.append(f"console {msg.type}: {msg.text}")

    page.route("**/*", route)
    page.on("dialog", lambda dialog: (events.append(f"dialog: {dialog.message}"), dialog.dismiss()))
    page.on("pageerror", lambda exc: events.append(f"page error: {exc}"))
    page.on("console", console)
    return events


@pytest.mark.browser
def test_no_page_runs_note_content_in_chromium(project: Project, served: str, browser: Any) -> None:
    pages = sorted(
        p.relative_to(project.site).as_posix()
        for p in project.site.rglob("*")
        if p.suffix in (".html", ".xml", ".svg") and p.is_file()
    )
    assert len(pages) > 20 and "forces/index.html" in pages
    context = browser.new_context(java_script_enabled=True)
    context.add_init_script("window.__pwned = 0;")
    page = context.new_page()
    page.set_default_timeout(TIMEOUT_MS)
    events = _watch(page)
    try:
        for rel in pages:
            response = page.goto(served + rel, wait_until="load")
            assert response is not None and response.status == 200, rel
            page.wait_for_timeout(20)  # let timers and onload handlers of any injected markup fire
            if rel.endswith(".html"):
                assert page.evaluate(_DOM_CHECK) == [], rel
                for link in page.locator("main a").all()[:8]:  # hover and focus links: handlers would fire
                    if link.is_visible():
                        link.hover(timeout=2000)
                        link.focus()
            assert page.evaluate("window.__pwned") == 0, f"{rel}: a payload ran"
            assert events == [], f"{rel}: {events}"
        page.goto(served + "notes/evil/")
        body = page.text_content("body") or ""
        assert PAYLOADS[0] in body and "onclick" in body, "the payloads are shown as text"
    finally:
        context.close()


@pytest.mark.browser
def test_preview_error_overlay_shows_hostile_errors_as_text(project: Project, browser: Any) -> None:
    project.write({"a.md": native_note("Fine note")})
    config, _ = load_config(None, {"content_dir": str(project.content), "out_dir": str(project.site)})
    options = PreviewOptions(port=0, debounce=0.05, poll_timeout=5.0)
    context = browser.new_context()
    context.add_init_script("window.__pwned = 0;")
    page = context.new_page()
    page.set_default_timeout(TIMEOUT_MS)
    events = _watch(page)
    try:
        with Preview(config, options, out=io.StringIO(), err=io.StringIO()) as preview:
            page.goto(f"{preview.url}notes/a/")
            broken = native_note("Broken", header=f"| Signal {PAYLOADS[0]} | Change {PAYLOADS[1]} | 10y horizon |")
            project.write({"a.md": broken})
            overlay = page.locator("#signalkb-overlay")
            overlay.wait_for(state="visible")
            assert PAYLOADS[0] in (overlay.text_content() or "")
            page.wait_for_timeout(100)
            assert page.evaluate("window.__pwned") == 0
            assert events == []
            page.goto(f"{preview.url}{PAYLOADS[1]}/")  # a 404 page carries the overlay too
            assert page.evaluate("window.__pwned") == 0
    finally:
        context.close()
