"""Live reload in a real browser: Debian's headless Chromium driven by Playwright against a preview on port 0."""

from __future__ import annotations

import io
from collections.abc import Iterator
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest

from signalkb.core.config import load_config
from signalkb.preview.livereload import RELOAD_PATH
from signalkb.preview.serve import Preview, PreviewOptions
from tests.browser import TIMEOUT_MS
from tests.conftest import Project, native_note

pytestmark = pytest.mark.browser


@pytest.fixture
def preview(project: Project) -> Iterator[Preview]:
    project.write({"a1.md": native_note("Title before the edit")})
    config, problems = load_config(None, {"content_dir": str(project.content), "out_dir": str(project.site)})
    assert problems == []
    options = PreviewOptions(port=0, debounce=0.05, poll_timeout=5.0)
    with Preview(config, options, out=io.StringIO(), err=io.StringIO()) as running:
        yield running


@pytest.fixture
def page(browser: Any) -> Iterator[Any]:
    context = browser.new_context()
    opened = context.new_page()
    opened.set_default_timeout(TIMEOUT_MS)
    yield opened
    context.close()


def _mark(page: Any) -> None:
    """Leave a mark in the page's JavaScript state; a reload wipes it."""
    page.evaluate("window.__notReloaded = true")


def _reloaded(page: Any) -> bool:
    return not page.evaluate("window.__notReloaded === true")


def _is_poll(request: Any) -> bool:
    """A long-poll request of the live-reload script."""
    return bool(urlsplit(request.url).path == RELOAD_PATH)


def _open(page: Any, url: str) -> None:
    """Open `url` and return once its live-reload script is waiting for news (its first long poll was sent)."""
    with page.expect_request(_is_poll):
        page.goto(url)


def test_edit_on_disk_reloads_the_open_page(project: Project, preview: Preview, page: Any) -> None:
    page.goto(f"{preview.url}notes/a1/")
    assert "Title before the edit" in page.text_content("h1")
    _mark(page)
    project.write({"a1.md": native_note("Title after the edit")})
    page.wait_for_function("document.querySelector('h1') && document.querySelector('h1').textContent.includes('after')")
    assert _reloaded(page)
    assert page.locator("#signalkb-overlay").count() == 0


def test_failed_build_shows_the_overlay_until_the_next_good_build(
    project: Project, preview: Preview, page: Any
) -> None:
    page.goto(f"{preview.url}notes/a1/")
    project.write({"a1.md": native_note("Broken <em>note</em>", header="| Signal | Change | 10y horizon |")})
    overlay = page.locator("#signalkb-overlay")
    overlay.wait_for(state="visible")
    text = overlay.text_content()
    assert "content/a1.md:" in text and "error" in text
    assert overlay.locator("em").count() == 0
    assert "Title before the edit" in page.text_content("h1")  # the last good page stays readable
    project.write({"a1.md": native_note("Title after the fix")})
    overlay.wait_for(state="detached")
    assert "Title after the fix" in page.text_content("h1")


def test_hidden_tab_stops_polling_and_catches_up_when_shown(project: Project, preview: Preview, page: Any) -> None:
    _open(page, f"{preview.url}notes/a1/")
    set_hidden = """hidden => {
        Object.defineProperty(document, "hidden", {value: hidden, configurable: true});
        document.dispatchEvent(new Event("visibilitychange"));
    }"""
    with page.expect_event("requestfailed", _is_poll):  # hidden: its long poll is given up at once ...
        page.evaluate(set_hidden, True)
    polls: list[str] = []
    page.on("request", lambda request: polls.append(request.url) if _is_poll(request) else None)  # ... no new one
    _mark(page)
    witness = page.context.new_page()  # a visible tab on the same page
    witness.set_default_timeout(TIMEOUT_MS)
    _open(witness, f"{preview.url}notes/a1/")
    _mark(witness)
    project.write({"a1.md": native_note("Written while hidden")})
    witness.wait_for_function("document.querySelector('h1').textContent.includes('while hidden')")
    # the build was published and reached the tabs that poll; the hidden one had no poll out to hear it
    assert _reloaded(witness)
    assert polls == [], "a hidden tab kept polling"
    assert not _reloaded(page), "a hidden tab reloaded"
    page.evaluate(set_hidden, False)
    page.wait_for_function("document.querySelector('h1').textContent.includes('while hidden')")
    assert _reloaded(page)


def test_a_prose_edit_reloads_the_pages_it_changed_and_no_other(
    project: Project, preview: Preview, browser: Any
) -> None:
    context = browser.new_context()
    try:
        note, home = context.new_page(), context.new_page()
        for tab in (note, home):
            tab.set_default_timeout(TIMEOUT_MS)
        shown: list[str] = []
        """The epoch of every home page the home tab showed, as its long polls tell the server."""
        home.on("request", lambda r: shown.extend(parse_qs(urlsplit(r.url).query)["epoch"]) if _is_poll(r) else None)
        _open(note, f"{preview.url}notes/a1/")
        _open(home, preview.url)
        _mark(note)
        _mark(home)
        text = (project.content / "a1.md").read_text(encoding="utf-8")
        project.write({"a1.md": text.replace("## Summary\n\n", "## Summary\n\nA sentence only this note shows. ")})
        note.wait_for_function("document.body.textContent.includes('only this note shows')")
        assert _reloaded(note)
        assert preview.loop.wait_idle(TIMEOUT_MS / 1000)
        prose = preview.state.snapshot().epoch
        assert not _reloaded(home), "the home page does not show the summary, so it was not reloaded"
        # then a change the home page does show: the home tab reloads for it, and must have skipped the prose edit
        project.write({"a1.md": native_note("Title of the second edit")})
        with home.expect_request(_is_poll):  # the reloaded page's first poll, recorded in `shown`
            home.wait_for_function("document.body.textContent.includes('Title of the second edit')")
        assert _reloaded(home)
        assert shown[0] != shown[-1], shown
        assert prose not in shown, "the home tab reloaded for the prose edit"
    finally:
        context.close()
