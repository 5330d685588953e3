"""Search and browsing in a real browser: the bundled site served over HTTP under a sub-path, as on GitHub Pages.

Debian's Chromium driven by Playwright (never a downloaded browser). Words and forces are picked from the
built site's signals.json at run time, so the tests follow the content.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.browser import TIMEOUT_MS, serve_folder
from tests.conftest import ROOT, run_cli

pytestmark = pytest.mark.browser

SUB_PATH = "kb"
WORD = re.compile(r"[a-z]{6,}")


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, Path]]:
    """The bundled knowledge base built into www/kb/ and served from www/ on a free port: (site URL, site folder)."""
    www = tmp_path_factory.mktemp("www")
    out = www / SUB_PATH
    run = run_cli(
        "build", "--content", ROOT / "content", "--out", out, "--base-url", f"https://example.org/{SUB_PATH}/"
    )
    assert run.status == 0, run.err
    assert (out / "pagefind" / "pagefind.js").is_file(), run.err
    with serve_folder(www) as root:
        yield f"{root}{SUB_PATH}/", out


@pytest.fixture
def page(browser: Any) -> Iterator[Any]:
    """A fresh page; any console error or uncaught exception on any page it visits fails the test."""
    context = browser.new_context()
    opened = context.new_page()
    opened.set_default_timeout(TIMEOUT_MS)
    errors: list[str] = []
    opened.on("console", lambda m: errors.append(f"{opened.url}: {m.text}") if m.type == "error" else None)
    opened.on("pageerror", lambda e: errors.append(f"{opened.url}: {e}"))
    yield opened
    context.close()
    assert errors == [], "console errors: " + "; ".join(errors)


def _data(out: Path) -> dict[str, Any]:
    import json

    return json.loads((out / "signals.json").read_text(encoding="utf-8"))  # type: ignore[no-any-return]


def _unique_word(out: Path) -> tuple[str, dict[str, Any]]:
    """A word that only one signal says, once, in its own note's source and nowhere else (prefix-checked, as search
    stems words): not in a title, keyword or theme, which every signal page of the note shows."""
    data = _data(out)
    sources = {n["id"]: (ROOT / "content" / n["path"]).read_text(encoding="utf-8").lower() for n in data["notes"]}
    everything = "\n".join(
        " ".join(str(s[k]) for k in ("signal", "change", "horizon", "driving_force")) for s in data["signals"]
    ).lower()
    for signal in data["signals"]:
        for word in sorted(set(WORD.findall(signal["signal"].lower()))):
            stem = word[:6]
            notes = [nid for nid, text in sources.items() if stem in text]
            if notes == [signal["note"]] and sources[signal["note"]].count(stem) == everything.count(stem) == 1:
                return word, signal
    raise AssertionError("the bundled content has no word that only one signal uses")


def _result_urls(page: Any) -> list[str]:
    page.wait_for_selector(".search-result")
    return [a.get_attribute("href") for a in page.locator(".search-result a").all()]


def test_slash_then_a_word_from_one_signal_finds_that_signal(site: tuple[str, Path], page: Any) -> None:
    url, out = site
    word, signal = _unique_word(out)
    note = next(n for n in _data(out)["notes"] if n["id"] == signal["note"])
    page.goto(url)
    page.keyboard.press("/")
    assert page.evaluate("document.activeElement.id") == "site-search"
    page.keyboard.type(word)
    page.keyboard.press("Enter")
    page.wait_for_url(re.compile(r"/search/\?q="))
    found = _result_urls(page)
    base = f"/{SUB_PATH}/"
    assert base + signal["url"] in found, f"{word!r} should find {signal['url']}, got {found}"
    assert set(found) <= {base + signal["url"], base + note["url"]}, "only that signal and its own note say it"
    assert found[0] == base + signal["url"], "the signal itself comes first"
    page.locator(".search-result a").first.click()
    page.wait_for_url(f"**{signal['url']}")
    assert page.text_content("h1").strip() == signal["signal"]


def test_force_filter_keeps_only_results_with_that_force(site: tuple[str, Path], page: Any) -> None:
    url, out = site
    data = _data(out)
    labels = {f["id"]: f["label"] for f in data["forces"]}
    words = Counter(w for s in data["signals"] for w in set(WORD.findall(s["signal"].lower())))
    term = words.most_common(1)[0][0]
    page.goto(f"{url}search/?q={term}")
    _result_urls(page)
    unfiltered = page.text_content("[data-search-status]")
    box = page.locator("fieldset.facet", has=page.locator("legend", has_text="Driving force")).locator("input").first
    force = box.get_attribute("value")
    box.check()
    page.wait_for_function("s => document.querySelector('[data-search-status]').textContent !== s", arg=unfiltered)
    assert "force=" in page.url, "the filter is kept in the address"
    signal_forces = {f"/{SUB_PATH}/" + s["url"]: {labels[f] for f in s["forces"]} for s in data["signals"]}
    note_forces: dict[str, set[str]] = {}
    for s in data["signals"]:
        note_url = f"/{SUB_PATH}/" + next(n["url"] for n in data["notes"] if n["id"] == s["note"])
        note_forces.setdefault(note_url, set()).update(labels[f] for f in s["forces"])
    found = _result_urls(page)
    assert found
    for result in found:
        forces = signal_forces.get(result, note_forces.get(result, set()))
        assert force in forces, f"{result} is listed under the force {force!r} but has {forces}"


def test_search_page_restores_a_shared_query(site: tuple[str, Path], page: Any) -> None:
    url, out = site
    word, signal = _unique_word(out)
    page.goto(f"{url}search/?q={word}")
    assert f"/{SUB_PATH}/" + signal["url"] in _result_urls(page)
    assert page.input_value("#search-q") == word


def test_signal_index_sorts_by_date_and_filters(site: tuple[str, Path], page: Any) -> None:
    url, out = site
    data = _data(out)
    page.goto(f"{url}signals/")
    heading = page.locator("th", has_text="Date")
    heading.locator("button").click()
    assert heading.get_attribute("aria-sort") == "ascending"
    dates = page.eval_on_selector_all("table.signal-index tbody tr td:last-child", "tds => tds.map(t => t.textContent)")
    assert dates == sorted(dates)
    heading.locator("button").click()
    assert heading.get_attribute("aria-sort") == "descending"
    dates = page.eval_on_selector_all("table.signal-index tbody tr td:last-child", "tds => tds.map(t => t.textContent)")
    assert dates == sorted(dates, reverse=True)
    word, _ = _unique_word(out)
    expected = sum(1 for s in data["signals"] if word in s["signal"].lower())
    page.fill("#filter-signals", word)
    page.wait_for_function("() => document.querySelector('.table-filter [role=status]').textContent !== ''")
    visible = page.locator("table.signal-index tbody tr:not([hidden])").count()
    assert visible == expected == 1
    assert page.text_content(".table-filter [role=status]").startswith(f"1 of {len(data['signals'])}")
