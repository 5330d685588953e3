"""How long matching driving forces by meaning takes on a large generated knowledge base.

    .venv/bin/python bench/forces_speed.py [--notes 10000] [--phrases 60000] [--runs 3]

First, matching alone on `--phrases` distinct made-up force phrases (2 to 6 words drawn from the shipped
broad forces' examples: generated notes repeat few wordings, real ones hardly ever). Then it generates
`--notes` notes with ../shared/bench/gen_corpus.py (native Markdown) into a temporary folder, reads and
links them as a build does, and prints the medians of: matching every force phrase (stages, placement
under broad forces, merges by meaning: `ForceResolver.resolve_all`), related signals by meaning
(`related_index`), and the whole linking stage. The model is loaded once per process, as the preview does.
"""

from __future__ import annotations

import argparse
import gc
import pickle
import random
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from signalkb.core.config import load_config  # noqa: E402
from signalkb.engine import cache  # noqa: E402
from signalkb.engine.pipeline import BuildReport, load  # noqa: E402
from signalkb.forces import matching  # noqa: E402
from signalkb.forces.broad import default_broad, with_default_broad  # noqa: E402
from signalkb.forces.meaning import CachedEmbedder, Embedder, load_model  # noqa: E402
from signalkb.linking import knowledge_base  # noqa: E402

GENERATOR = ROOT.parent / "shared" / "bench" / "gen_corpus.py"


def timed(record: dict[str, float], name: str, function: Callable[..., Any]) -> Callable[..., Any]:
    """`function`, adding the seconds each call takes to `record[name]`."""

    def wrapper(*args: Any, **kwargs: Any) -> Any:
        start = time.perf_counter()
        try:
            return function(*args, **kwargs)
        finally:
            record[name] = record.get(name, 0.0) + time.perf_counter() - start

    return wrapper


def made_up_phrases(count: int, seed: int = 1) -> list[str]:
    """`count` distinct phrases of 2 to 6 words drawn from the words of the broad forces' examples."""
    words = sorted({w for f in default_broad().broad for e in f.examples for w in e.split() if w.isalpha()})
    rng = random.Random(seed)
    out: set[str] = set()
    while len(out) < count:
        out.add(" ".join(rng.choice(words) for _ in range(rng.randint(2, 6))).capitalize())
    return sorted(out)


def match_alone(count: int, runs: int) -> None:
    """Print the median time to match `count` distinct phrases with a fresh resolver each run, as a build does
    (the cycle collector off): in a cold build (nothing kept), in a build after one phrase was reworded (the last
    build's `ForceMemo` read from its pickle, reading included), and in the preview after the same edit (the
    memo and the model's vectors kept in memory)."""
    phrases = made_up_phrases(count + 1)
    uses = dict.fromkeys(phrases[:count], 1)
    edited = {**dict.fromkeys(phrases[1:count], 1), phrases[count]: 1}
    taxonomy = with_default_broad(matching.Taxonomy())
    model = load_model()
    last = matching.ForceResolver(taxonomy, model=model)
    last.resolve_all(uses)
    stored = pickle.dumps(last.memo, protocol=pickle.HIGHEST_PROTOCOL)
    cases: list[tuple[str, dict[str, int], Callable[[], tuple[Embedder, matching.ForceMemo | None]]]] = [
        ("a cold build", uses, lambda: (CachedEmbedder(model._embed_many, model.dims, model.name), None)),
        (
            "a build after one edit",
            edited,
            lambda: (CachedEmbedder(model._embed_many, model.dims, model.name), pickle.loads(stored)),
        ),
        ("the preview after one edit", edited, lambda: (model, last.memo)),
    ]
    for what, phrases_now, setup in cases:
        seconds = []
        for _ in range(runs):
            gc.collect()
            start = time.perf_counter()
            with cache.no_cycle_collection():
                embedder, memo = setup()
                matching.ForceResolver(taxonomy, model=embedder, memo=memo).resolve_all(phrases_now)
            seconds.append(time.perf_counter() - start)
        print(f"matching {count} distinct phrases, {what}: {statistics.median(seconds):.2f} s (median of {runs})")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--notes", type=int, default=10000)
    parser.add_argument("--phrases", type=int, default=60000)
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    if not GENERATOR.exists():
        sys.exit(f"error: {GENERATOR} is missing; the bench generates its notes with it")
    start = time.perf_counter()
    load_model()
    print(f"model loaded in {time.perf_counter() - start:.2f} s (once per process)")
    if args.phrases:
        match_alone(args.phrases, args.runs)
    if not args.notes:
        return 0
    with tempfile.TemporaryDirectory() as tmp:
        notes, out = Path(tmp) / "content", Path(tmp) / "site"
        command = [sys.executable, str(GENERATOR), "--notes", str(args.notes), "--out", str(notes)]
        subprocess.run([*command, "--flavor", "native"], check=True, capture_output=True)
        config, _ = load_config(None, {"content_dir": str(notes), "out_dir": str(out)})
        runs: list[dict[str, float]] = []
        phrases = signals = 0
        for _ in range(args.runs):
            record: dict[str, float] = {}
            resolve_all = matching.ForceResolver.resolve_all
            related = knowledge_base.related_index
            matching.ForceResolver.resolve_all = timed(record, "match", resolve_all)  # type: ignore[method-assign]
            knowledge_base.related_index = timed(record, "related", related)  # type: ignore[assignment]
            try:
                report = BuildReport()
                kb = load(config, report)
            finally:
                matching.ForceResolver.resolve_all = resolve_all  # type: ignore[method-assign]
                knowledge_base.related_index = related
            if kb is None:
                sys.exit("error: the generated notes could not be read")
            record["link"] = report.timings.get("link", 0.0)
            runs.append(record)
            phrases = sum(len(f.phrases) for f in kb.forces if not f.broad)
            signals = len(kb.signals)
    print(f"{args.notes} notes, {signals} signals, {phrases} distinct force wordings; medians of {args.runs} runs:")
    for name, what in (
        ("match", "matching every force phrase"),
        ("related", "related signals"),
        ("link", "linking stage"),
    ):
        print(f"  {what:30} {statistics.median(r.get(name, 0.0) for r in runs):6.2f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
