"""How well driving forces link real notes: coverage, and precision judged by a person on a random sample.

    .venv/bin/python bench/forces_quality.py [--notes DIR] [--sample 60] [--seed 4]

Reads the real notes in ../shared/examples/real-notes at run time (fails if they are missing; they are
never copied into the repository) and prints:

- coverage: the share of signals with a sibling *in another note* (a signal sharing a fine force, or a
  broad force), and through fine forces only; the widest fine and broad forces;
- a random sample: random signals, each with a random sibling of another note and the force its page
  shows for it (fine first, else broad), with the verdict recorded in bench/forces_judgements.tsv, and
  the precision over the sample.

Judgements are keyed by a hash of the two signal ids and the force id, so the file holds no text of
the notes; phrases appear only in the printed output. A link without a verdict is listed as `?`: judge
it (does the pair really share that force?) and add `<key>\t1` (yes) or `<key>\t0` (no) to the file.
"""

from __future__ import annotations

import argparse
import random
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from signalkb.core.config import load_config  # noqa: E402
from signalkb.core.model import KnowledgeBase  # noqa: E402
from signalkb.core.slugs import name_key, short_hash  # noqa: E402
from signalkb.engine.pipeline import BuildReport, load  # noqa: E402

REAL_NOTES = ROOT.parent / "shared" / "examples" / "real-notes"
JUDGEMENTS = ROOT / "bench" / "forces_judgements.tsv"
RELATED_JUDGEMENTS = ROOT / "bench" / "related_judgements.tsv"
PLACEMENT_GOLD = ROOT / "bench" / "placement_gold.tsv"
RELATED_SHOWN = 5
"""Related signals judged per sampled signal (the first ones a signal page shows)."""


@dataclass(frozen=True)
class Link:
    """A signal and a sibling of another note: they share a fine force, or else a broad force."""

    a: str
    b: str
    force_id: str
    level: str
    """`fine` or `broad`."""

    @property
    def key(self) -> str:
        """The judgement key: a hash of the signal ids and the shared force (no text of the notes)."""
        return short_hash("\x1f".join((self.a, self.b, self.force_id)), 12)


def read_kb(notes: Path) -> KnowledgeBase:
    """The knowledge base of a folder of notes, read and linked (nothing is written)."""
    if not notes.is_dir():
        sys.exit(f"error: {notes} is missing; the bench reads the real notes from ../shared at run time")
    with tempfile.TemporaryDirectory() as out:
        config, _ = load_config(None, {"content_dir": str(notes), "out_dir": out})
        report = BuildReport()
        kb = load(config, report)
    if kb is None:
        sys.exit("error: the notes could not be read: " + "; ".join(d.format() for d in report.diagnostics[:3]))
    return kb


def _wording(kb: KnowledgeBase, signal_id: str, force_id: str) -> str:
    force = kb.forces_by_id[force_id]
    for link in kb.signals_by_id[signal_id].forces:
        if link.force_id == force_id or (force.broad and link.force_id in force.children):
            return link.part or link.phrase
    return ""


def siblings(kb: KnowledgeBase, signal_id: str) -> dict[str, Link]:
    """The signals of other notes that share a force with this one, each with the force it shows first."""
    signal = kb.signals_by_id[signal_id]
    out: dict[str, Link] = {}
    fine = [kb.forces_by_id[link.force_id] for link in signal.forces]
    broad = [kb.forces_by_id[b] for f in fine for b in f.broader]
    for force in [*fine, *broad]:
        for other in force.signal_ids:
            if kb.signals_by_id[other].note_id != signal.note_id and other not in out:
                out[other] = Link(signal_id, other, force.id, force.level)
    return out


def coverage(kb: KnowledgeBase, level: str | None = None) -> float:
    """The share of signals with a sibling in another note (through a force of `level`, or any)."""
    linked = sum(1 for s in kb.signals if any(level in (None, x.level) for x in siblings(kb, s.id).values()))
    return linked / len(kb.signals) if kb.signals else 0.0


def sample_links(kb: KnowledgeBase, size: int, seed: int) -> list[Link]:
    """Random signals that have siblings in other notes, each with one of them drawn at random."""
    rng = random.Random(seed)
    pool = [s.id for s in kb.signals if siblings(kb, s.id)]
    sample: list[Link] = []
    for sid in rng.sample(pool, min(size, len(pool))):
        found = siblings(kb, sid)
        sample.append(found[rng.choice(sorted(found))])
    return sample


def read_judgements(path: Path) -> dict[str, bool]:
    """Verdicts by link key."""
    out: dict[str, bool] = {}
    if path.exists():
        for line in path.read_text(encoding="utf-8").splitlines():
            if line.strip() and not line.startswith("#"):
                key, verdict = line.split("\t")[:2]
                out[key] = verdict.strip() == "1"
    return out


def main() -> int:
    """Print coverage and the judged sample; exit 1 when a sampled link has no verdict."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--notes", type=Path, default=REAL_NOTES)
    parser.add_argument("--sample", type=int, default=60)
    parser.add_argument("--seed", type=int, default=4)
    parser.add_argument("--related", type=int, default=0, metavar="N", help="judge the related signals of N signals")
    parser.add_argument("--placements", action="store_true", help="score placements against a reader's choices")
    args = parser.parse_args()
    kb = read_kb(args.notes)
    fine = [f for f in kb.forces if not f.broad]
    broad = [f for f in kb.forces if f.broad]
    print(f"{len(kb.notes)} notes, {len(kb.signals)} signals, {len(fine)} fine forces, {len(broad)} broad forces")
    print(f"fine forces shared by two or more notes: {sum(1 for f in fine if len(f.note_ids) > 1)}")
    print(f"coverage (a sibling in another note through a fine force): {coverage(kb, 'fine'):.1%}")
    print(f"coverage (through a fine or a broad force): {coverage(kb):.1%}")
    n = len(kb.signals) or 1
    widest_fine = max(fine, key=lambda f: len(f.signal_ids), default=None)
    widest_broad = max(broad, key=lambda f: len(f.signal_ids), default=None)
    if widest_fine:
        print(f"widest fine force: {widest_fine.label} ({len(widest_fine.signal_ids) / n:.1%} of signals)")
    if widest_broad:
        print(f"widest broad force: {widest_broad.label} ({len(widest_broad.signal_ids) / n:.1%} of signals)")
    one_word = [f.label for f in fine if len(f.note_ids) > 1 and len(f.label.split()) == 1]
    print(f"shared fine forces labelled by one word: {len(one_word)} {one_word[:12]}")
    sample = sample_links(kb, args.sample, args.seed)
    verdicts = read_judgements(JUDGEMENTS)
    yes = judged = 0
    print(f"\nrandom sample of {len(sample)} signals, each with a random sibling of another note (seed {args.seed}):")
    for link in sample:
        verdict = verdicts.get(link.key)
        mark = "?" if verdict is None else ("yes" if verdict else "no")
        if verdict is not None:
            judged += 1
            yes += verdict
        force = kb.forces_by_id[link.force_id]
        a, b = kb.signals_by_id[link.a], kb.signals_by_id[link.b]
        print(f"  {link.key}  {mark:3}  [{link.level}: {force.label}]")
        print(f"      “{a.text}” ({_wording(kb, link.a, link.force_id)})")
        print(f"      “{b.text}” ({_wording(kb, link.b, link.force_id)})")
    if judged:
        print(f"\nprecision: {yes}/{judged} = {yes / judged:.0%}")
    missing = len(sample) - judged
    if missing:
        print(f"{missing} sampled links have no verdict in {JUDGEMENTS.relative_to(ROOT)}")
    if args.related:
        missing += related_sample(kb, args.related, args.seed)
    if args.placements:
        print_placements(placement_score(kb))
    return 1 if missing else 0


@dataclass(frozen=True)
class PlacementScore:
    """Fine forces a reader placed (bench/placement_gold.tsv), as the build placed them."""

    gold: int
    homes: int
    """Of `gold`, those the reader gave a broad force."""
    found: int
    """Of `gold`, those the build made (by label)."""
    placed: int
    right: int
    """Placed under a broad force the reader chose (the first of the build's)."""


def placement_score(kb: KnowledgeBase) -> PlacementScore:
    """How the fine forces a reader placed are placed by the build."""
    gold: dict[str, set[str]] = {}
    for line in PLACEMENT_GOLD.read_text(encoding="utf-8").splitlines():
        if line.strip() and not line.startswith("#"):
            key, ids = line.split("\t")
            gold[key] = set() if ids.strip() == "-" else set(ids.split())
    found = placed = right = 0
    for force in kb.forces:
        key = short_hash(name_key(force.label), 12)
        if force.broad or key not in gold:
            continue
        found += 1
        if force.broader:
            placed += 1
            right += force.broader[0].removeprefix("broad/") in gold[key]
    return PlacementScore(len(gold), sum(1 for ids in gold.values() if ids), found, placed, right)


def print_placements(score: PlacementScore) -> None:
    print(f"\nplacements: {score.found} of the reader's {score.gold} forces found ({score.homes} with a broad home)")
    print(f"  placed {score.placed}, under a broad force the reader chose: {score.right}")
    print(f"  precision {score.right / max(score.placed, 1):.0%}, recall {score.right / max(score.homes, 1):.0%}")


def related_key(a: str, b: str) -> str:
    """The judgement key of a related pair: a hash of the two signal ids (no text of the notes)."""
    return short_hash(f"{a}\x1f{b}", 12)


def related_sample(kb: KnowledgeBase, size: int, seed: int) -> int:
    """Print random signals with their first related signals and verdicts; return how many have none."""
    rng = random.Random(seed)
    pool = [s.id for s in kb.signals if kb.related.get(s.id)]
    verdicts = read_judgements(RELATED_JUDGEMENTS)
    good = missing = short = four = pairs = right = 0
    print(f"\nrelated signals: {size} random signals, the first {RELATED_SHOWN} related of each (seed {seed}):")
    for sid in rng.sample(pool, min(size, len(pool))):
        signal = kb.signals_by_id[sid]
        print(f"  “{signal.text}” ({signal.cells['driving_force'].text if 'driving_force' in signal.cells else ''})")
        yes = 0
        for other, score, reasons in kb.related[sid][:RELATED_SHOWN]:
            key = related_key(sid, other)
            verdict = verdicts.get(key)
            missing += verdict is None
            yes += bool(verdict)
            mark = "?" if verdict is None else ("yes" if verdict else "no")
            print(f"    {key}  {mark:3}  {score:.2f}  “{kb.signals_by_id[other].text}” ({'; '.join(reasons)})")
        shown = len(kb.related[sid][:RELATED_SHOWN])
        short += shown < RELATED_SHOWN
        good += shown - yes <= 1
        four += yes >= RELATED_SHOWN - 1
        pairs += shown
        right += yes
    print(f"related pairs judged related: {right}/{pairs}")
    print(f"signals with at least {RELATED_SHOWN - 1} of their first {RELATED_SHOWN} related judged related: {four}")
    print(f"signals whose related (the first {RELATED_SHOWN}, or fewer) hold at most one unrelated: {good}")
    print(f"signals showing fewer than {RELATED_SHOWN} related: {short}")
    if missing:
        print(f"{missing} related pairs have no verdict in {RELATED_JUDGEMENTS.relative_to(ROOT)}")
    return missing


if __name__ == "__main__":
    sys.exit(main())
