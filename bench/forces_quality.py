"""How well driving forces link real notes: coverage, and precision judged by a person on a random sample.

    .venv/bin/python bench/forces_quality.py [--notes DIR] [--sample 50] [--seed 4] [--tier shared|related]

Reads the real notes in ../shared/examples/real-notes at run time (fails if they are missing; they are
never copied into the repository) and prints:

- coverage: the share of signals linked to a signal *of another note* through a shared force (and,
  separately, through a shared or related force);
- a random sample of links (two signals of different notes and the force wordings that link them),
  each with the verdict recorded in bench/forces_judgements.tsv, and the precision over the sample.

Judgements are keyed by a hash of the two signal ids and the two wordings, so the file holds no text of
the notes; phrases appear only in the printed output. A link without a verdict is listed as `?`: judge
it (does the pair really share that force?) and add `<key>\t1` (yes) or `<key>\t0` (no) to the file.
"""

from __future__ import annotations

import argparse
import random
import sys
import tempfile
from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from signalkb.core.config import load_config  # noqa: E402
from signalkb.core.model import KnowledgeBase  # noqa: E402
from signalkb.core.slugs import short_hash  # noqa: E402
from signalkb.engine.pipeline import BuildReport, load  # noqa: E402

REAL_NOTES = ROOT.parent / "shared" / "examples" / "real-notes"
JUDGEMENTS = ROOT / "bench" / "forces_judgements.tsv"


@dataclass(frozen=True)
class Link:
    """Two signals of different notes linked by a force (or a pair of related forces)."""

    a: str
    b: str
    wording_a: str
    wording_b: str
    force: str

    @property
    def key(self) -> str:
        """The judgement key: a hash of the signal ids and wordings (no text of the notes)."""
        return short_hash("\x1f".join((self.a, self.b, self.wording_a, self.wording_b)), 12)


def read_kb(notes: Path) -> KnowledgeBase:
    """The knowledge base of a folder of notes, read and linked (nothing is written)."""
    if not notes.is_dir():
        sys.exit(f"error: {notes} is missing; the bench reads the real notes from ../shared at run time")
    with tempfile.TemporaryDirectory() as out:
        config, _ = load_config(None, {"content_dir": str(notes), "out_dir": out})
        kb = load(config, BuildReport())
    if kb is None:
        sys.exit("error: the notes could not be read")
    return kb


def _wording(kb: KnowledgeBase, signal_id: str, force_id: str) -> str:
    for link in kb.signals_by_id[signal_id].forces:
        if link.force_id == force_id:
            return link.part or link.phrase
    return ""


def shared_links(kb: KnowledgeBase) -> list[Link]:
    """Every pair of signals of different notes that share a force, once per pair (the first force, by label)."""
    found: dict[tuple[str, str], Link] = {}
    for force in sorted(kb.forces, key=lambda f: f.label):
        sids = sorted(force.signal_ids)
        for i, a in enumerate(sids):
            for b in sids[i + 1 :]:
                if kb.signals_by_id[a].note_id != kb.signals_by_id[b].note_id and (a, b) not in found:
                    found[(a, b)] = Link(a, b, _wording(kb, a, force.id), _wording(kb, b, force.id), force.label)
    return [found[k] for k in sorted(found)]


def related_links(kb: KnowledgeBase) -> list[Link]:
    """Every pair of signals of different notes whose forces are related (worded alike, not merged)."""
    found: dict[tuple[str, str], Link] = {}
    for pair in kb.similar_forces:
        fa, fb = kb.forces_by_id[pair.a], kb.forces_by_id[pair.b]
        for x in fa.signal_ids:
            for y in fb.signal_ids:
                a, b = sorted((x, y))
                if kb.signals_by_id[a].note_id == kb.signals_by_id[b].note_id or (a, b) in found:
                    continue
                fa_, fb_ = (fa, fb) if a == x else (fb, fa)
                label = f"{fa_.label} ~ {fb_.label} ({pair.score:.2f})"
                found[(a, b)] = Link(a, b, _wording(kb, a, fa_.id), _wording(kb, b, fb_.id), label)
    return [found[k] for k in sorted(found)]


def coverage(kb: KnowledgeBase, links: list[Link]) -> float:
    """The share of signals that take part in at least one link."""
    linked = {x for link in links for x in (link.a, link.b)}
    return len(linked) / len(kb.signals) if kb.signals else 0.0


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
    parser.add_argument("--sample", type=int, default=50)
    parser.add_argument("--seed", type=int, default=4)
    parser.add_argument("--tier", choices=("shared", "related"), default="shared")
    args = parser.parse_args()
    kb = read_kb(args.notes)
    shared, related = shared_links(kb), related_links(kb)
    print(f"{len(kb.notes)} notes, {len(kb.signals)} signals, {len(kb.forces)} forces")
    multi = sum(1 for f in kb.forces if len(f.note_ids) > 1)
    print(f"forces shared by two or more notes: {multi}")
    print(f"coverage (linked to a signal of another note by a shared force): {coverage(kb, shared):.1%}")
    print(f"coverage (by a shared or a related force): {coverage(kb, shared + related):.1%}")
    print(f"links between notes: {len(shared)} shared, {len(related)} related")
    pool = shared if args.tier == "shared" else related
    sample = random.Random(args.seed).sample(pool, min(args.sample, len(pool)))
    verdicts = read_judgements(JUDGEMENTS)
    yes = judged = 0
    by_force: dict[str, int] = defaultdict(int)
    print(f"\nrandom sample of {len(sample)} {args.tier} links (seed {args.seed}):")
    for link in sample:
        verdict = verdicts.get(link.key)
        mark = "?" if verdict is None else ("yes" if verdict else "no")
        if verdict is not None:
            judged += 1
            yes += verdict
        by_force[link.force] += 1
        print(f"  {link.key}  {mark:3}  “{link.wording_a}”  ~  “{link.wording_b}”  [{link.force}]")
    if judged:
        print(f"\nprecision ({args.tier}): {yes}/{judged} = {yes / judged:.0%}")
    for tier, links in (("shared", shared), ("related", related)):
        known = [verdicts[link.key] for link in links if link.key in verdicts]
        if known:
            share = sum(known) / len(known)
            print(f"precision over all {len(known)} judged {tier} links: {sum(known)}/{len(known)} = {share:.0%}")
    missing = len(sample) - judged
    if missing:
        print(f"{missing} sampled links have no verdict in {JUDGEMENTS.relative_to(ROOT)}")
    return 1 if missing else 0


if __name__ == "__main__":
    sys.exit(main())
