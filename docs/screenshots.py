#!/usr/bin/env python3
"""The README's pictures (`make screenshots`): the bundled site in Debian's Chromium, light and dark.

Builds content/ into a temporary folder, serves it on 127.0.0.1 and saves, under docs/screenshots/, the
home page, the signal page of the most shared force's newest signal, that force's page and the search page
with results, each as <page>-light.png and <page>-dark.png; and docs/force-index.png (light). The pages are
chosen from signals.json, so the pictures follow the content.
"""

from __future__ import annotations

import json
import re
import sys
import tempfile
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from signalkb.cli import main as build_main  # noqa: E402 - the project root is put on the path first
from tests.browser import chromium, serve_folder  # noqa: E402

OUT = ROOT / "docs" / "screenshots"
VIEWPORT = {"width": 1280, "height": 900}


def pages(site: Path) -> dict[str, str]:
    """Site-relative URLs of the pages to show."""
    data = json.loads((site / "signals.json").read_text(encoding="utf-8"))
    force = max(data["forces"], key=lambda f: (len(f["signals"]), f["label"]))
    signal = force["signals"][0]
    words = Counter(w for s in data["signals"] for w in re.findall(r"[a-z]{6,}", s["signal"].lower()))
    return {
        "home": "",
        "signal": f"signals/{signal}/",
        "force": force["url"],
        "search": f"search/?q={words.most_common(1)[0][0]}",
    }


def main() -> int:
    with tempfile.TemporaryDirectory(prefix="signalkb-shots-") as tmp:
        site = Path(tmp) / "site"
        status = build_main(["build", "--content", str(ROOT / "content"), "--out", str(site), "-q"])
        if status != 0:
            return status
        OUT.mkdir(parents=True, exist_ok=True)
        with serve_folder(site) as url, chromium() as browser:
            for scheme in ("light", "dark"):
                context = browser.new_context(viewport=VIEWPORT, color_scheme=scheme, device_scale_factor=1)
                page = context.new_page()
                for name, rel in pages(site).items():
                    page.goto(url + rel)
                    if name == "search":
                        page.wait_for_selector(".search-result")
                    page.screenshot(path=str(OUT / f"{name}-{scheme}.png"))
                    print(f"docs/screenshots/{name}-{scheme}.png")
                if scheme == "light":
                    page.goto(url + "forces/")
                    page.screenshot(path=str(ROOT / "docs" / "force-index.png"), full_page=True)
                    print("docs/force-index.png")
                context.close()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
