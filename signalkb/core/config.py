"""Site configuration: `site.yaml` → a frozen SiteConfig with documented defaults."""

from __future__ import annotations

from dataclasses import dataclass, fields, replace
from pathlib import Path
from typing import Any

import yaml

from signalkb.core import yamlsafe
from signalkb.core.diagnostics import Diagnostic, SourceLocation, error, warning

PACKAGE_ROOT = Path(__file__).resolve().parents[2]
"""The folder that holds `signalkb/`, `templates/` and `build.py`."""


@dataclass(frozen=True)
class SiteConfig:
    """Everything a build needs to know besides the notes. Paths are absolute once loaded."""

    title: str = "Signals knowledge base"
    """Site title, shown in every page header and `<title>`."""
    description: str = "Signals of change, where they may lead in ten years, and the forces that drive them."
    """One sentence about the knowledge base, shown on the home page and in page descriptions."""
    language: str = "en"
    """The `lang` of every page."""
    base_url: str | None = None
    """The published address (`https://user.github.io/repo/`), ending with `/`; needed for canonical links,
    sitemap.xml, feeds and absolute links in 404.html. Links between pages stay relative either way."""
    cname: str | None = None
    """The custom domain written to `CNAME`; unset: base_url's host when it is not `*.github.io` and the site is
    at the root of its domain; empty: no CNAME file."""
    content_dir: Path = Path("content")
    """The knowledge base: notes, `forces.yaml`."""
    out_dir: Path = Path("site")
    """Where the site is written; the build replaces it as a whole."""
    templates_dir: Path = PACKAGE_ROOT / "templates"
    """Jinja templates and `assets/` (stylesheet); edit them to change the design."""
    home_notes: int = 10
    """How many of the newest notes the home page lists."""
    home_forces: int = 12
    """How many of the most shared forces the home page lists."""
    shared_limit: int = 20
    """How many other signals a signal page lists under each of its forces (the force page lists all)."""
    search: bool = True
    """Full-text search (a Pagefind index made after the pages, and a search box on every page)."""


_INT_KEYS = {"home_notes", "home_forces", "shared_limit"}
_BOOL_KEYS = {"search"}
_PATH_KEYS = {"content_dir", "out_dir", "templates_dir"}
KEYS = tuple(f.name for f in fields(SiteConfig))


def load_config(path: Path | None, overrides: dict[str, Any] | None = None) -> tuple[SiteConfig, list[Diagnostic]]:
    """Read site.yaml (if `path` exists), apply command-line overrides, make paths absolute."""
    diagnostics: list[Diagnostic] = []
    values: dict[str, Any] = {}
    base = Path.cwd()
    if path is not None and path.exists():
        base = path.resolve().parent
        display = str(path)
        try:
            data = yamlsafe.load(path.read_text(encoding="utf-8-sig"))
        except (yaml.YAMLError, yamlsafe.TooLarge, UnicodeDecodeError, OSError) as exc:
            mark = getattr(exc, "problem_mark", None)
            line = mark.line + 1 if mark is not None else None
            return SiteConfig(), [
                error(f"cannot read configuration: {exc}".splitlines()[0], SourceLocation(display, line))
            ]
        if data is None:
            data = {}
        if not isinstance(data, dict):
            return SiteConfig(), [error("site.yaml must be a mapping of settings", SourceLocation(display, 1))]
        lines = path.read_text(encoding="utf-8-sig").split("\n")
        for key, value in data.items():
            line = next((i + 1 for i, text in enumerate(lines) if text.startswith(f"{key}:")), None)
            where = SourceLocation(display, line)
            if key not in KEYS:
                diagnostics.append(
                    warning(f"unknown setting `{key}` is ignored", where, f"known settings: {', '.join(KEYS)}")
                )
                continue
            if value is None:
                continue  # `title:` with no value keeps the default, never the text "None"
            if key in _INT_KEYS:
                if not isinstance(value, int) or isinstance(value, bool) or value < 0:
                    diagnostics.append(error(f"`{key}` must be a whole number ≥ 0", where))
                    continue
            elif key in _BOOL_KEYS:
                if not isinstance(value, bool):
                    diagnostics.append(error(f"`{key}` must be true or false", where))
                    continue
            elif value is not None and not isinstance(value, str):
                diagnostics.append(error(f"`{key}` must be text", where))
                continue
            values[key] = (base / value) if key in _PATH_KEYS and value is not None else value
    for key, value in (overrides or {}).items():
        if value is not None:
            values[key] = (Path.cwd() / value) if key in _PATH_KEYS else value
    problem = _base_url_problem(values.get("base_url"))
    if problem:
        diagnostics.append(error(problem, None, "set base_url in site.yaml or pass --base-url"))
        values.pop("base_url")
    config = replace(SiteConfig(), **values)
    config = replace(
        config,
        content_dir=(base / config.content_dir).resolve()
        if not config.content_dir.is_absolute()
        else config.content_dir,
        out_dir=(base / config.out_dir).resolve() if not config.out_dir.is_absolute() else config.out_dir,
        base_url=_normal_base_url(config.base_url),
    )
    return config, diagnostics


def _base_url_problem(url: object) -> str | None:
    if not url or not isinstance(url, str):
        return None
    scheme, _, rest = url.partition("://")
    host = rest.split("/", 1)[0]
    if scheme not in ("http", "https") or not host or any(c in url for c in ' \t\n"<>?#'):
        return f"base_url {url!r} is not an absolute http(s) address such as https://user.github.io/repo/"
    return None


def _normal_base_url(url: str | None) -> str | None:
    if not url:
        return None
    return url if url.endswith("/") else url + "/"


def overlap_problem(config: SiteConfig) -> str | None:
    """Why the output folder cannot be used (it would overwrite or contain the inputs), or None."""
    out = config.out_dir.resolve()
    for name, folder in (("content", config.content_dir), ("templates", config.templates_dir)):
        other = folder.resolve()
        if out == other or out in other.parents or other in out.parents:
            return f"the output folder {out} overlaps the {name} folder {other}; choose another --out"
    if out == Path(out.anchor) or out == Path.home():
        return f"refusing to use {out} as the output folder; choose a folder of its own"
    return None
