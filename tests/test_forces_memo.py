"""The force step's memo (matching.ForceMemo): a build after an edit redoes only the changed phrases' and
forces' work, and still matches every phrase exactly as a cold build does."""

from __future__ import annotations

import pickle
import shutil
import textwrap
from pathlib import Path
from typing import Any
from unittest import mock

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from signalkb.engine import cache
from signalkb.forces.broad import with_default_broad
from signalkb.forces.matching import ForceMemo, ForceResolver, Taxonomy, parse_taxonomy
from signalkb.forces.meaning import load_model

from .conftest import ROOT, Project, tree_bytes

# Our own wordings: some mean the same, some are compounds, some are generic, some have no broad home.
PHRASES = [
    "Falling birth rates",
    "Declining fertility rates",
    "Low birth rates and an ageing workforce",
    "Ageing population",
    "Rising rents",
    "Housing shortage in cities",
    "Rents rising in big cities",
    "Advances in AI",
    "AI capabilities",
    "Better AI models",
    "Research",
    "Efficiency",
    "Climate change and extreme weather",
    "Heatwaves",
    "Open-source collaboration",
    "Collaboration in open source",
    "Remote work",
    "Working from home",
    "Cost of living pressures",
    "Slug anatomy",
    "Moth wing patterns",
    "Stricter rules for tech platforms",
    "Changing age structure",  # vague: placed only when its signals speak of older people
]
OLDER = ["More care homes for older people", "Pensions paid to many more retirees"]
SIGNAL_TEXTS = [
    "Pension funds run short of contributors",
    "Councils build homes on car parks",
    "Chatbots answer tax questions",
    "Farmers switch to drought-proof crops",
    "Museums lend insect collections",
    *OLDER,
]
TAXONOMY = """\
forces:
  - label: Open-source collaboration
    aliases: [Shared code communities]
    broader: [Advances in AI]
  - label: Ageing population
"""


def taxonomy(text: str = TAXONOMY) -> Taxonomy:
    parsed, problems = parse_taxonomy(textwrap.dedent(text), "content/forces.yaml")
    assert problems == []
    return with_default_broad(parsed)


def resolved(tax: Taxonomy, uses: dict[str, int], contexts: dict[str, list[str]], memo: ForceMemo | None) -> Any:
    """Everything a resolver tells the knowledge base after `resolve_all`, and the resolver."""
    resolver = ForceResolver(tax, model=load_model(), memo=memo)
    matches = resolver.resolve_all(uses, contexts)
    seen = (
        matches,
        resolver.placements,
        resolver.merges,
        resolver.concepts,
        resolver.general,
        resolver.used_keys,
        resolver.unused_aliases(),
    )
    return seen, resolver


uses_of = st.dictionaries(st.sampled_from(PHRASES), st.integers(1, 3), min_size=1)
contexts_of = st.dictionaries(st.sampled_from(PHRASES), st.lists(st.sampled_from(SIGNAL_TEXTS), max_size=3))


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(before=uses_of, after=uses_of, contexts_before=contexts_of, contexts_after=contexts_of)
@example(  # the same force, placed by its signals' context before the edit and not after
    before={"Changing age structure": 1},
    after={"Changing age structure": 1},
    contexts_before={"Changing age structure": OLDER},
    contexts_after={"Changing age structure": SIGNAL_TEXTS[:2]},
)
def test_a_build_given_the_last_builds_memo_matches_every_phrase_as_a_cold_build(
    before: dict[str, int],
    after: dict[str, int],
    contexts_before: dict[str, list[str]],
    contexts_after: dict[str, list[str]],
) -> None:
    tax = taxonomy()
    _, last = resolved(tax, before, contexts_before, None)
    memo = pickle.loads(pickle.dumps(last.memo))  # as the build cache keeps it
    warm, resolver = resolved(tax, after, contexts_after, memo)
    cold, _ = resolved(tax, after, contexts_after, None)
    assert warm == cold
    assert set(resolver.memo.words) == set(after), "the memo keeps what this build used, nothing more"


def test_a_vague_force_is_placed_by_its_signals_context() -> None:
    """The example above is worth its place: context does place this force (and the memo must know it)."""
    tax = taxonomy()
    with_older, _ = resolved(tax, {"Changing age structure": 1}, {"Changing age structure": OLDER}, None)
    without, _ = resolved(tax, {"Changing age structure": 1}, {}, None)
    assert [p.how for ps in with_older[1].values() for p in ps] == ["meaning and context"]
    assert not any(without[1].values())


def test_the_memo_says_when_it_changed() -> None:
    tax = taxonomy()
    uses = dict.fromkeys(PHRASES, 1)
    _, first = resolved(tax, uses, {}, None)
    assert first.memo_changed
    _, again = resolved(tax, uses, {}, first.memo)
    assert not again.memo_changed, "nothing new to remember: the build cache is not written again"
    _, edited = resolved(tax, {**uses, "Sea level rise": 1}, {}, again.memo)
    assert edited.memo_changed
    assert "Sea level rise" in edited.memo.words


def test_a_memo_made_with_another_taxonomy_is_not_used() -> None:
    uses = dict.fromkeys([*PHRASES, "Shared code communities", "Greying societies"], 1)
    _, old = resolved(taxonomy(), uses, {}, None)
    other = taxonomy(TAXONOMY + "    aliases: [Greying societies]\n")
    warm, _ = resolved(other, uses, {}, old.memo)
    cold, _ = resolved(other, uses, {}, None)
    assert warm == cold
    assert warm[0]["Greying societies"][0].how == "alias", "the new alias is used, not the memo's old match"


def site(project: Project) -> dict[str, bytes]:
    """Every file of a project's site but its marker (each build's own id)."""
    return {rel: data for rel, data in tree_bytes(project.site).items() if rel != ".signalkb"}


def _reworded(project: Project) -> Path:
    """A note of `project` whose first signal's Driving force cell now holds other wordings."""
    for note in sorted(project.content.glob("*.md")):
        lines = note.read_text(encoding="utf-8").splitlines()
        rows = [i for i, line in enumerate(lines) if line.startswith("|") and not set(line) <= set("|:- ")]
        if len(rows) >= 2:  # the header and a signal
            cells = lines[rows[1]].split("|")
            cells[-2] = " Falling birth rates; Rents rising in big cities "
            lines[rows[1]] = "|".join(cells)
            note.write_text("\n".join(lines) + "\n", encoding="utf-8")
            return note
    raise AssertionError("no note with a signal table in the bundled content")


def test_a_build_after_a_force_phrase_edit_keeps_the_memo_and_equals_a_cold_build(tmp_path: Path) -> None:
    project = Project(tmp_path / "kb")
    shutil.copytree(ROOT / "content", project.content)
    assert project.build("--clean").status == 0
    memo_file = cache.cache_dir_for(project.site, project.content) / cache.FORCES_FILE
    assert memo_file.is_file(), "the force step's work is kept for the next build"
    note = _reworded(project)
    run = project.build()
    assert run.status == 0, run.err
    assert "Falling birth rates" in project.page(f"notes/{note.stem}")
    cold = Project(tmp_path / "cold")
    shutil.copytree(project.content, cold.content)
    assert cold.build("--clean").status == 0
    assert site(project) == site(cold)


@pytest.mark.parametrize("kind", ["half a pickle", "another shape"])
def test_an_unreadable_memo_is_ignored(tmp_path: Path, kind: str) -> None:
    project = Project(tmp_path / "kb")
    shutil.copytree(ROOT / "content", project.content)
    assert project.build("--clean").status == 0
    memo_file = cache.cache_dir_for(project.site, project.content) / cache.FORCES_FILE
    if kind == "half a pickle":
        memo_file.write_bytes(b"\x80half a pickle")
    else:  # a memo pickled by other code: its state lacks what this code reads
        with mock.patch.object(ForceMemo, "__getstate__", lambda self: {"key": self.key}):
            memo_file.write_bytes(pickle.dumps((cache.code_version(), ForceMemo("old"))))
    _reworded(project)
    run = project.build()
    assert run.status == 0, run.err
    assert "Traceback" not in run.err
    cold = Project(tmp_path / "cold")
    shutil.copytree(project.content, cold.content)
    assert cold.build("--clean").status == 0
    assert site(project) == site(cold)
