"""Live reload in a real browser: Debian's headless Chromium driven by Playwright against a preview on port 0."""

from __future__ import annotations

import io
from collections.abc import Iterator
from typing import Any

import pytest

from signalkb.core.config import load_config
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
    page.goto(f"{preview.url}notes/a1/")
    page.wait_for_timeout(200)  # let the first long poll start
    set_hidden = """hidden => {
        Object.defineProperty(document, "hidden", {value: hidden, configurable: true});
        document.dispatchEvent(new Event("visibilitychange"));
    }"""
    page.evaluate(set_hidden, True)
    _mark(page)
    before = preview.state.snapshot().epoch
    project.write({"a1.md": native_note("Written while hidden")})
    deadline_ms = TIMEOUT_MS
    while preview.state.snapshot().epoch == before and deadline_ms > 0:
        page.wait_for_timeout(50)
        deadline_ms -= 50
    assert preview.state.snapshot().epoch != before, "the edit was not rebuilt"
    page.wait_for_timeout(700)
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
        note.goto(f"{preview.url}notes/a1/")
        home.goto(preview.url)
        home.wait_for_timeout(300)  # both tabs are waiting for news
        _mark(note)
        _mark(home)
        text = (project.content / "a1.md").read_text(encoding="utf-8")
        project.write({"a1.md": text.replace("## Summary\n\n", "## Summary\n\nA sentence only this note shows. ")})
        note.wait_for_function("document.body.textContent.includes('only this note shows')")
        assert _reloaded(note)
        assert preview.loop.wait_idle(TIMEOUT_MS / 1000)
        home.wait_for_timeout(700)
        assert not _reloaded(home), "the home page does not show the summary, so it was not reloaded"
    finally:
        context.close()
