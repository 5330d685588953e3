"""Related signals by meaning (analytics.related_index): order, the floor, other notes only, determinism, speed."""

from __future__ import annotations

import random
import re
import time
from pathlib import Path

import numpy as np
import pytest

from signalkb.core.model import KnowledgeBase, ParsedNote
from signalkb.forces import analytics
from signalkb.forces.analytics import RelatedSignals, nearest
from signalkb.forces.matching import ForceResolver, Taxonomy
from signalkb.forces.meaning import StandInModel
from signalkb.linking.knowledge_base import build_knowledge_base
from signalkb.notes import readers
from signalkb.notes.sources import SourceFile

from .conftest import REAL_NOTES, native_note, shared_path

MODEL = StandInModel(synonyms={"fertility": "birth", "births": "birth", "ageing": "elderly", "aging": "elderly"})


def parse(name: str, text: str) -> ParsedNote:
    note, _ = readers.read_note(SourceFile(Path(name), name, f"content/{name}", text, name))
    assert note is not None
    return note


NOTES = {
    "a.md": native_note(
        "A",
        "20240101",
        [
            ("Fertility falling", "fewer babies", "elderly societies", "Falling fertility"),
            ("Birth rate worry", "fewer births", "elderly societies", "Falling fertility"),
        ],
        keywords=("demography",),
    ),
    "b.md": native_note(
        "B", "20240102", [("Births decline", "fewer babies", "elderly societies", "Low birth rates")], keywords=("x",)
    ),
    "c.md": native_note(
        "C", "20240103", [("Robot lawyers", "courts automate", "legal bots", "Automation of law")], keywords=("y",)
    ),
    "d.md": native_note(
        "D", "20240104", [("Cheap flights", "more tourism", "crowded cities", "Falling fertility")], keywords=("z",)
    ),
    "e.md": native_note(
        "E", "20240105", [("Baby bust", "more elderly", "elderly societies", "Falling fertility")], keywords=("z",)
    ),
}


def kb_of(notes: dict[str, str], model: object = MODEL, order: list[str] | None = None) -> KnowledgeBase:
    parsed = [parse(name, notes[name]) for name in (order or sorted(notes))]
    kb, _ = build_knowledge_base(parsed, Taxonomy(), ForceResolver(Taxonomy(), model=model))  # type: ignore[arg-type]
    return kb


def by_text(kb: KnowledgeBase, text: str) -> str:
    return next(s.id for s in kb.signals if s.text == text)


def texts(kb: KnowledgeBase, sid: str) -> list[str]:
    return [kb.signals_by_id[other].text for other, _score, _reasons in kb.related[sid]]


def test_related_by_meaning_other_notes_only_with_reasons() -> None:
    kb = kb_of(NOTES)
    mine = by_text(kb, "Fertility falling")
    related = texts(kb, mine)
    assert "Birth rate worry" not in related  # same note
    # signals sharing a driving force first (the closer first), then by meaning alone
    assert related == ["Baby bust", "Cheap flights", "Births decline"]
    scores = {kb.signals_by_id[o].text: score for o, score, _r in kb.related[mine]}
    assert scores["Baby bust"] < scores["Births decline"]
    reasons = {kb.signals_by_id[o].text: r for o, _s, r in kb.related[mine]}
    assert reasons["Baby bust"][0] == "same driving force: Falling fertility"
    assert any(re.fullmatch(r"close in meaning \(0\.\d\d\)", r) for r in reasons["Births decline"])
    shown = RelatedSignals(kb, 1).of(mine)
    assert [r.id for r in shown] == [kb.related[mine][0][0]] and shown[0].reasons == reasons["Baby bust"]


def test_floor_keeps_weak_neighbours_out() -> None:
    kb = kb_of(NOTES)
    assert kb.related[by_text(kb, "Robot lawyers")] == ()
    # "Cheap flights" shares no force with "Robot lawyers" and means something else: not listed
    assert "Robot lawyers" not in texts(kb, by_text(kb, "Cheap flights"))
    for sid, found in kb.related.items():
        for other, score, reasons in found:
            assert kb.signals_by_id[other].note_id != kb.signals_by_id[sid].note_id
            if reasons[0].startswith("same driving force"):
                assert score >= analytics.SHARED_FLOOR
            elif reasons[0].startswith("same broader force"):
                assert score >= analytics.BROAD_FLOOR
            else:  # meaning alone: a keyword of both notes, or very close
                keyword = any(r.startswith("shared keyword") for r in reasons)
                assert score >= (analytics.RELATED_FLOOR if keyword else analytics.RELATED_SURE)


@pytest.mark.parametrize(("keyword", "listed"), [("housing", True), ("tourism", False)])
def test_meaning_alone_needs_a_keyword_of_both_notes_unless_very_close(keyword: str, listed: bool) -> None:
    """Two signals of no shared force, fairly close in meaning (between RELATED_FLOOR and RELATED_SURE): listed
    only when their notes share a keyword too (the second piece of evidence)."""
    notes = {
        "f.md": native_note(
            "F",
            "20240101",
            [("Rents rise", "tenants pay more", "rent caps everywhere", "Housing costs")],
            keywords=("housing",),
        ),
        "g.md": native_note(
            "G", "20240102", [("Rents rise", "landlords sell", "fewer flats", "Landlord exits")], keywords=(keyword,)
        ),
    }
    kb = kb_of(notes)
    vectors = analytics.signal_vectors(kb.signals, MODEL)
    assert analytics.RELATED_FLOOR <= float(vectors[0] @ vectors[1]) < analytics.RELATED_SURE
    assert (texts(kb, kb.signals[0].id) == ["Rents rise"]) is listed


def test_related_does_not_depend_on_input_order() -> None:
    first = kb_of(NOTES)
    names = sorted(NOTES)
    random.Random(3).shuffle(names)
    second = kb_of(NOTES, order=names)
    assert dict(first.related) == dict(second.related)
    assert any(first.related.values())


def test_without_a_model_related_falls_back_to_forces_and_terms() -> None:
    parsed = [parse(name, NOTES[name]) for name in sorted(NOTES)]
    kb, _ = build_knowledge_base(parsed, Taxonomy())
    mine = by_text(kb, "Fertility falling")
    assert set(texts(kb, mine)[:2]) == {"Cheap flights", "Baby bust"}
    assert kb.related[mine][0][2][0] == "same driving force: Falling fertility"


def test_nearest_excludes_own_group_and_is_ordered() -> None:
    rng = np.random.default_rng(1)
    vectors = rng.standard_normal((50, 8)).astype(np.float32)
    vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
    groups = np.repeat(np.arange(10), 5)
    index, sims = nearest(vectors, groups, 4, block=7)
    full = vectors @ vectors.T
    for i in range(50):
        others = [j for j in range(50) if groups[j] != groups[i]]
        best = sorted(others, key=lambda j: -full[i, j])[:4]
        assert list(index[i]) == best
        assert np.allclose(sims[i], full[i, best], atol=1e-5)
    few, few_sims = nearest(vectors[:6], np.array([0, 0, 0, 1, 1, 1]), 5)
    assert list(few[0][3:]) == [-1, -1] and np.isneginf(few_sims[0][3:]).all()


def test_nearest_at_sixty_thousand_signals_takes_seconds() -> None:
    rng = np.random.default_rng(0)
    vectors = rng.standard_normal((60_000, 256)).astype(np.float32)
    vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
    groups = np.repeat(np.arange(10_000), 6)
    start = time.perf_counter()
    index, _ = nearest(vectors, groups, analytics.CANDIDATES)
    seconds = time.perf_counter() - start
    assert index.shape == (60_000, analytics.CANDIDATES)
    assert seconds < 20, f"{seconds:.1f} s"  # ~4 s on 2 cores; a loose bound for slow CI machines


def test_real_notes_birth_rates_relate_to_demography_of_other_notes() -> None:
    """A signal about declining birth rates or fertility lists signals of other notes on births, ageing, demography."""
    from signalkb.forces.meaning import load_model

    folder = shared_path(REAL_NOTES)
    parsed = [n for path in sorted(folder.glob("*.md")) if (n := parse(path.name, path.read_text("utf-8")))]
    parsed, _ = readers.finish(parsed)
    from signalkb.forces.broad import with_default_broad

    taxonomy = with_default_broad(Taxonomy())
    kb, _ = build_knowledge_base(parsed, taxonomy, ForceResolver(taxonomy, model=load_model()))

    def whole(sid: str) -> str:
        s = kb.signals_by_id[sid]
        return " ".join(s.cells[c].text for c in analytics.MEANING_COLUMNS)

    births = [s.id for s in kb.signals if re.search(r"birth rate|fertility", whole(s.id), re.I)]
    demography = re.compile(r"birth|fertility|ageing|aging|elderly|demograph|population", re.I)
    assert births, "no signal of the real notes is about birth rates or fertility: the test has nothing to check"
    notes = {kb.signals_by_id[s].note_id for s in births}
    others = [s.id for s in kb.signals if s.note_id not in notes and demography.search(whole(s.id))]
    assert others, "no signal of another note is about births, ageing or demography: the test has nothing to check"
    found = {
        sid: [other for other, _s, _r in kb.related[sid] if kb.signals_by_id[other].note_id not in notes]
        for sid in births
    }
    assert any(demography.search(whole(o)) for related in found.values() for o in related), (
        "no signal about birth rates lists a signal of another note on births, ageing or demography: "
        + "; ".join(f"{kb.signals_by_id[s].text!r} → {[kb.signals_by_id[o].text for o in r]}" for s, r in found.items())
    )
