"""The Jinja environment (autoescape, StrictUndefined) and rendering of a page; template errors become diagnostics."""

from __future__ import annotations

import traceback
from pathlib import Path
from typing import Any

import jinja2
from markupsafe import Markup

from signalkb.core.diagnostics import Diagnostic, SourceLocation, error
from signalkb.notes.markup import printable_utf8
from signalkb.pages.plan import PageSpec

_SCALARS = (str, int, bool, type(None))


class _ViewEnvironment(jinja2.Environment):
    """Jinja with `x.name` on a view dict looked up as a key first (views are dicts; no view key names a method).

    Jinja's own order (attribute, then item) raises and catches an AttributeError for every `s.href` on a
    dict, which was a tenth of the render time; dict methods (`c.get("href")`) still work, as the fallback.
    """

    def getattr(self, obj: Any, attribute: str) -> Any:
        if obj.__class__ is dict:
            try:
                return obj[attribute]
            except KeyError:
                pass
        return super().getattr(obj, attribute)


def make_environment(templates_dir: Path) -> jinja2.Environment:
    """Templates from `templates_dir`, HTML escaped by default, undefined names an error.

    Templates get one global, `fragment(template, key, **context)`: the template rendered with
    `context`, once per `key` and build, for pieces repeated on many pages (a signal in a list).
    The key must determine the context: `s.href` does, since it names the signal and the page depth.
    """
    env = _ViewEnvironment(
        loader=jinja2.FileSystemLoader(str(templates_dir)),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
        auto_reload=False,
    )
    cache: dict[tuple[str, str, tuple[object, ...]], Markup] = {}

    def fragment(name: str, key: str, **context: Any) -> Markup:
        options = tuple(v for v in context.values() if v.__class__ in _SCALARS)
        found = cache.get((name, key, options))
        if found is None:
            found = cache[(name, key, options)] = Markup(env.get_template(name).render(context).strip())  # noqa: S704
        return found

    env.globals["fragment"] = fragment
    return env


class TemplateFailure(Exception):
    """A template could not be loaded or rendered; carries the diagnostic."""

    def __init__(self, diagnostic: Diagnostic) -> None:
        super().__init__(diagnostic.format())
        self.diagnostic = diagnostic


def _template_location(exc: BaseException, templates_dir: Path, fallback: str) -> SourceLocation:
    if isinstance(exc, jinja2.TemplateSyntaxError) and exc.filename:
        return SourceLocation(exc.filename, exc.lineno)
    root = str(templates_dir)
    for frame in reversed(traceback.extract_tb(exc.__traceback__)):
        if frame.filename.startswith(root):
            return SourceLocation(frame.filename, frame.lineno)
    return SourceLocation(str(templates_dir / fallback))


def render_page(env: jinja2.Environment, spec: PageSpec, templates_dir: Path) -> bytes:
    """The page's HTML as UTF-8 bytes; raises TemplateFailure naming the template file and line."""
    try:
        return printable_utf8(env.get_template(spec.template).render(spec.view))
    except jinja2.TemplateNotFound as exc:
        raise TemplateFailure(
            error(
                f"template {exc.name!r} not found",
                SourceLocation(str(templates_dir)),
                "restore it in the templates folder",
            )
        ) from exc
    except jinja2.TemplateError as exc:
        where = _template_location(exc, templates_dir, spec.template)
        raise TemplateFailure(
            error(f"template error while rendering {spec.url or 'the home page'}: {exc.message or exc}", where)
        ) from exc
    except (TypeError, ValueError, AttributeError, KeyError, IndexError) as exc:
        where = _template_location(exc, templates_dir, spec.template)
        raise TemplateFailure(
            error(f"template error while rendering {spec.url or 'the home page'}: {exc}", where)
        ) from exc
