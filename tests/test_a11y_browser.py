"""Accessibility in a real browser: axe-core on the bundled site in Debian's Chromium, light and dark, and the keyboard.

axe-core is pinned in tests/js/package-lock.json and installed by `make test` (`npm ci --prefix tests/js`). Each
page kind is served over HTTP as a static host would serve it, checked by axe (serious and critical violations
fail, contrast included), and watched for console errors; the skip link and focus outlines are tried with the
keyboard.
"""

from __future__ import annotations

import json
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from .browser import TIMEOUT_MS, serve_folder
from .conftest import ROOT, run_cli

pytestmark = pytest.mark.browser

AXE = ROOT / "tests" / "js" / "node_modules" / "axe-core" / "axe.min.js"
SCHEMES = ["light", "dark"]
SERIOUS = ("serious", "critical")


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The bundled knowledge base, built."""
    root = tmp_path_factory.mktemp("a11y")
    shutil.copytree(ROOT / "content", root / "content")
    run = run_cli("build", "--content", root / "content", "--out", root / "site")
    assert run.status == 0, run.err[-3000:]
    return root / "site"


@pytest.fixture(scope="module")
def served(site: Path) -> Iterator[str]:
    """The site over HTTP on 127.0.0.1, on a port of its own."""
    with serve_folder(site) as url:
        yield url


def _busiest(items: list[dict[str, Any]], key: str) -> str:
    """The URL of the item with the most `key` (ties: the first): the fullest page of its kind."""
    return str(max(items, key=lambda item: len(item[key]))["url"])


def _pages(site: Path) -> dict[str, str]:
    data = json.loads((site / "signals.json").read_text(encoding="utf-8"))
    signal_counts = dict.fromkeys(data["categories"], 0)
    for force in data["forces"]:
        if force.get("category") in signal_counts:
            signal_counts[force["category"]] += len(force["signals"])
    category = max(sorted(signal_counts), key=lambda c: signal_counts[c])
    notes_by_signals = {s["note"]: 0 for s in data["signals"]}
    for signal in data["signals"]:
        notes_by_signals[signal["note"]] += 1
    note = max(data["notes"], key=lambda n: notes_by_signals.get(n["id"], 0))["url"]
    return {
        "home": "",
        "note": note,
        "signal": _busiest(data["signals"], "change"),
        "force": _busiest(data["forces"], "signals"),
        "force index": "forces/",
        "category": f"categories/{category}/",
        "keyword": _busiest(data["keywords"], "notes"),
        "signal index": "signals/",
    }


PAGE_KINDS = ["home", "note", "signal", "force", "force index", "category", "keyword", "signal index"]


@pytest.fixture(scope="module")
def pages(site: Path) -> dict[str, str]:
    """A site-relative URL for each page kind checked."""
    found = _pages(site)
    for url in found.values():
        assert (site / url / "index.html").is_file(), url
    return found


@pytest.fixture(scope="module")
def axe_script() -> Path:
    if not AXE.is_file():
        pytest.fail(f"{AXE} is missing: run `make test`, or `npm ci --prefix tests/js` (axe-core, pinned)")
    return AXE


class Tab:
    """A page in a fresh browser context with a colour scheme, and the errors it logged."""

    def __init__(self, browser: Any, scheme: str) -> None:
        self.context = browser.new_context(color_scheme=scheme)
        self.page = self.context.new_page()
        self.page.set_default_timeout(TIMEOUT_MS)
        self.errors: list[str] = []
        self.page.on("console", lambda msg: self.errors.append(f"console: {msg.text}") if msg.type == "error" else None)
        self.page.on("pageerror", lambda exc: self.errors.append(f"page error: {exc}"))

    def open(self, url: str) -> None:
        response = self.page.goto(url, wait_until="load")
        assert response is not None and response.status == 200, url


@pytest.fixture(params=SCHEMES)
def tab(request: pytest.FixtureRequest, browser: Any) -> Iterator[Tab]:
    opened = Tab(browser, request.param)
    yield opened
    opened.context.close()


_RUN_AXE = """async () => {
  const results = await axe.run(document, {resultTypes: ["violations"]});
  return results.violations.map(v => ({
    id: v.id, impact: v.impact, help: v.help,
    nodes: v.nodes.map(n => ({target: n.target.join(" "), summary: n.failureSummary})),
  }));
}"""


def _describe(violations: list[dict[str, Any]]) -> str:
    lines = []
    for v in violations:
        lines.append(f"{v['id']} ({v['impact']}): {v['help']}")
        lines += [f"    {n['target']}: {' '.join((n['summary'] or '').split())[:300]}" for n in v["nodes"][:10]]
        if len(v["nodes"]) > 10:
            lines.append(f"    … and {len(v['nodes']) - 10} more")
    return "\n".join(lines)


@pytest.mark.parametrize("kind", PAGE_KINDS)
def test_axe_finds_no_serious_violations(
    kind: str, tab: Tab, served: str, pages: dict[str, str], axe_script: Path
) -> None:
    """axe-core's rules (WCAG 2 A and AA, contrast in the page's colour scheme) on one page of each kind."""
    tab.open(served + pages[kind])
    tab.page.add_script_tag(path=str(axe_script))
    violations = [v for v in tab.page.evaluate(_RUN_AXE) if v["impact"] in SERIOUS]
    assert violations == [], f"{pages[kind] or 'home'}:\n{_describe(violations)}"
    assert tab.errors == [], f"{pages[kind] or 'home'}: {tab.errors}"


def _focused(page: Any) -> dict[str, Any]:
    return page.evaluate(
        """() => {
      const el = document.activeElement;
      const box = el.getBoundingClientRect();
      const style = getComputedStyle(el);
      return {tag: el.localName, id: el.id, cls: el.className, text: el.textContent.trim().slice(0, 60),
              inMain: !!el.closest("main"), outline: style.outlineStyle, outlineWidth: style.outlineWidth,
              visible: box.width > 0 && box.height > 0 && box.right > 0 && box.bottom > 0
                && box.left < innerWidth && box.top < innerHeight && style.visibility !== "hidden"};
    }"""
    )


def test_tab_reaches_the_skip_link_first_and_it_moves_focus_to_main(tab: Tab, served: str) -> None:
    tab.open(served)
    tab.page.keyboard.press("Tab")
    first = _focused(tab.page)
    assert first["cls"] == "skip" and first["tag"] == "a", f"Tab focused {first} first, not the skip link"
    assert first["visible"], f"the focused skip link is not visible: {first}"
    assert first["outline"] != "none", first
    tab.page.keyboard.press("Enter")
    tab.page.wait_for_function("location.hash === '#main'")
    landed = _focused(tab.page)
    assert landed["tag"] == "main", f"following the skip link focused {landed}, not <main>"
    tab.page.keyboard.press("Tab")
    assert _focused(tab.page)["inMain"], "Tab after the skip link left <main>"
    assert tab.errors == []


def test_links_show_a_focus_outline(tab: Tab, served: str, pages: dict[str, str]) -> None:
    """Tabbing through the header and into a note page's content: every focused link has a visible outline."""
    tab.open(served + pages["note"])
    seen = []
    for _ in range(25):
        tab.page.keyboard.press("Tab")
        focused = _focused(tab.page)
        if focused["tag"] == "a":
            seen.append(focused)
            assert focused["outline"] not in ("none", "") and focused["outlineWidth"] != "0px", focused
    assert len(seen) > 5 and any(f["inMain"] for f in seen), seen
    assert tab.errors == []


# axe leaves the contrast of SVG text "incomplete" (it cannot tell what is behind text in an image), so the
# charts' labels are measured here: the text's fill (with its opacities) over the colour behind the chart,
# against WCAG AA (4.5:1; 3:1 for text drawn at 24px, or bold at 18.66px, after the chart is scaled).
_SVG_TEXT_CONTRAST = r"""() => {
  const rgba = (c) => { const m = c.match(/rgba?\(([^)]+)\)/); if (!m) return null;
    const p = m[1].split(/[ ,\/]+/).filter(Boolean).map(Number); return [p[0], p[1], p[2], p.length > 3 ? p[3] : 1]; };
  const over = (fg, bg) => [0, 1, 2].map(i => fg[i] * fg[3] + bg[i] * (1 - fg[3]));
  const luminance = (rgb) => { const [r, g, b] = rgb.map(v => { v /= 255;
    return v <= 0.03928 ? v / 12.92 : ((v + 0.055) / 1.055) ** 2.4; }); return 0.2126 * r + 0.7152 * g + 0.0722 * b; };
  const behind = (svg) => { const layers = [];
    for (let n = svg.parentElement; n; n = n.parentElement) {
      const c = rgba(getComputedStyle(n).backgroundColor);
      if (c && c[3] > 0) { layers.push(c); if (c[3] >= 1) break; } }
    return layers.reverse().reduce((bg, c) => over(c, bg), [255, 255, 255]); };
  const checked = [], failing = [];
  for (const el of document.querySelectorAll("svg text")) {
    if (!el.textContent.trim() || !el.getBoundingClientRect().width) continue;
    const style = getComputedStyle(el), fill = rgba(style.fill), svg = el.closest("svg");
    const label = `${el.getAttribute("class") || "text"} "${el.textContent.trim().slice(0, 40)}"`;
    if (!fill) { failing.push(`${label}: fill ${style.fill} is not a colour`); continue; }
    let alpha = fill[3] * Number(style.fillOpacity);
    for (let n = el; n && n !== document.documentElement; n = n.parentElement) {
      alpha *= Number(getComputedStyle(n).opacity);
    }
    const bg = behind(svg), fg = over([...fill.slice(0, 3), alpha], bg);
    const [a, b] = [luminance(fg), luminance(bg)], ratio = (Math.max(a, b) + 0.05) / (Math.min(a, b) + 0.05);
    const px = parseFloat(style.fontSize) * svg.getScreenCTM().a;
    const need = px >= 24 || (Number(style.fontWeight) >= 700 && px >= 18.66) ? 3 : 4.5;
    checked.push(label);
    if (ratio < need) {
      const on = `rgb(${bg.map(Math.round)})`;
      failing.push(`${label}: ${ratio.toFixed(2)}:1 < ${need}:1 (${style.fill} on ${on}, ${px.toFixed(1)}px)`);
    }
  }
  return {checked: checked.length, failing};
}"""


@pytest.mark.parametrize("kind", ["home", "force", "force index", "category"])
def test_chart_labels_meet_contrast_aa(kind: str, tab: Tab, served: str, pages: dict[str, str]) -> None:
    """The SVG charts' text (styled in style.css) is readable in the light and the dark scheme."""
    tab.open(served + pages[kind])
    found = tab.page.evaluate(_SVG_TEXT_CONTRAST)
    assert found["checked"] > 0, f"{pages[kind] or 'home'}: no chart text found"
    assert found["failing"] == [], f"{pages[kind] or 'home'}:\n" + "\n".join(found["failing"])
