"""Note text is shown, never run: script and event-handler payloads in every field stay text on every page."""

from __future__ import annotations

from html.parser import HTMLParser
from pathlib import Path

from .conftest import Project

SCRIPT = "<script>alert(1)</script>"
IMG = "<img src=x onerror=alert(1)>"
ATTR = '" onmouseover="alert(1)'
ALL = f"{SCRIPT} {IMG} {ATTR}"

NATIVE = f"""\
# __Title {ALL}__, from ([20240105](https://news.example.org/issue).)

__[External link](javascript:alert(1))__

## Summary

Summary {ALL}

And [a link](javascript:alert(1)) and [data](data:text/html;base64,PHNjcmlwdD4=) and <javascript:alert(1)>.

## Keywords

* keyword {SCRIPT}
* {IMG}

## Themes

theme {ATTR}, {IMG}

## Signals

| Signal | Change | 10y horizon | Driving force | Extra {IMG} |
|---|---|---|---|---|
| signal {ALL} | change {ALL} | horizon {ALL} | force {SCRIPT}; force {IMG}; force {ATTR} | extra {ALL} |
| [click](javascript:alert(1)) | ![x](javascript:alert(1)) | `{SCRIPT}` | *{IMG}* | plain |

## Concerns {SCRIPT}

<div onclick="alert(1)">{IMG}</div>

```html
{SCRIPT}
```

## Other

* Reviewer {SCRIPT}: value {IMG}

## Closest

* [closest {SCRIPT} {ATTR}](missing-note)
* title {IMG}
* [Front note {ATTR}](front)
"""

FRONT = f"""\
---
title: 'Front {SCRIPT} {ATTR}'
date: 2023-03-03
source: "javascript:alert(1)"
keywords: ["{SCRIPT}", "{IMG}"]
themes: ['{ATTR}']
note {SCRIPT}: '{IMG} {ATTR}'
---

## Signals

| Signal | Change | 10y horizon | Driving force |
|---|---|---|---|
| front {ALL} | c {SCRIPT} | h {IMG} | force {SCRIPT} |
"""


class _Page(HTMLParser):
    """Collects every element, its attributes, and the page's visible text."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.tags: list[tuple[str, list[tuple[str, str | None]]]] = []
        self.text: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, attrs))

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, attrs))

    def handle_data(self, data: str) -> None:
        self.text.append(data)


def parse(path: Path) -> _Page:
    page = _Page()
    page.feed(path.read_text(encoding="utf-8"))
    page.close()
    return page


def built(project: Project) -> list[Path]:
    project.write({"evil.md": NATIVE, "front.md": FRONT})
    run = project.build()
    assert run.status == 0, run.err
    assert "Traceback" not in run.err
    pages = sorted(project.pages())
    assert len(pages) > 6
    return pages


def test_no_page_runs_note_text(project: Project) -> None:
    for path in built(project):
        page = parse(path)
        where = path.relative_to(project.site).as_posix()
        own_scripts = 0
        for tag, attrs in page.tags:
            if tag == "script":  # only signalkb's own scripts (copy buttons, search, sortable tables), never a note's
                src = dict(attrs).get("src") or ""
                assert src.endswith(("assets/cite.js", "assets/search.js", "assets/table.js")), f"{where}: <script>"
                own_scripts += 1
            assert tag != "img" or dict(attrs).get("src") != "x", f"{where}: <img src=x>"
            for name, value in attrs:
                assert not name.startswith("on"), f"{where}: <{tag} {name}=...>"
                if name in ("href", "src", "action", "formaction"):
                    scheme = (value or "").strip().lower()
                    assert not scheme.startswith(("javascript:", "data:", "vbscript:")), f"{where}: {name}={value}"
        raw = path.read_text(encoding="utf-8")
        assert raw.lower().count("<script") == own_scripts
        assert "<img src=x" not in raw


def test_escaped_text_is_visible(project: Project) -> None:
    built(project)
    data = project.data()
    notes = {n["title"]: n for n in data["notes"]}
    evil = next(n for title, n in notes.items() if title.startswith("Title"))
    assert evil["title"] == f"Title {ALL}"
    assert evil["source"] is None
    assert evil["keywords"] == [f"keyword {SCRIPT}", IMG]

    text = "".join(parse(project.site / "notes" / evil["id"] / "index.html").text)
    for visible in (
        f"Title {ALL}",
        f"Summary {ALL}",
        f"keyword {SCRIPT}",
        f"theme {ATTR}",
        f"signal {ALL}",
        f"change {ALL}",
        f"horizon {ALL}",
        f"force {SCRIPT}",
        f"force {IMG}",
        f"extra {ALL}",
        f"Extra {IMG}",
        f"Concerns {SCRIPT}",
        f'<div onclick="alert(1)">{IMG}</div>',
        f"closest {SCRIPT}",
        f"title {IMG}",
        f"Reviewer {SCRIPT}",
        f"value {IMG}",
        "click",
    ):
        assert visible in text, visible

    front = next(n for title, n in notes.items() if title.startswith("Front"))
    front_text = "".join(parse(project.site / "notes" / front["id"] / "index.html").text)
    assert f"Front {SCRIPT} {ATTR}" in front_text
    assert f"note {SCRIPT}" in front_text
    assert f"{IMG} {ATTR}" in front_text
    assert front["source"] is None


def test_payloads_in_attributes_stay_inside_their_value(project: Project) -> None:
    """A quote in a title or force name must not end the attribute it is written into."""
    built(project)
    for path in project.pages():
        for _tag, attrs in parse(path).tags:
            names = [name for name, _ in attrs]
            assert "onmouseover" not in names
            assert all(name.isascii() and name == name.strip() for name in names)
            values = " ".join(v or "" for _, v in attrs)
            if "alert(1)" in values:
                assert all(name in ("content", "title", "id", "href") for name, v in attrs if "alert(1)" in (v or ""))
