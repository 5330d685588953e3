"""Recovering the cells of a table row whose column separators were lost (plain-text exports, FORMAT.md §3).

A flattened row is its cells joined by single spaces. Every way of cutting it into one piece per column at
a word that could start a cell (a capital, a digit, an opening quote; never inside quotes or brackets) is a
candidate split. A split's score adds up evidence for each cut (the word after it looks like a cell start,
the word before it can end a phrase, names seen in the note are not cut) and for each cell (its length and
first word fit its column, it repeats a cell of that column). The best split wins; when the runner-up is
close the row is marked ambiguous so the reader can warn. Pure functions, no I/O.
"""

from __future__ import annotations

import itertools
import math
import re
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field

AMBIGUOUS_MARGIN = 3.0
"""A best split that beats the next best by less than this is reported as ambiguous."""

_EXPLICIT_SEPARATOR = re.compile(r"\t+|\s*\|\s*| {2,}")
_OPEN_QUOTES = {"“": "”", '"': '"', "‘": "’", "«": "»", "„": "“"}
_BRACKETS = {"(": ")", "[": "]", "{": "}"}
_TRAILING = "\"'”’»)]}.,;:!?…"
_POSSESSIVES = frozenset({"'s", "’s", "s'", "s’"})
_PURE_NUMBER = re.compile(r"^[$€£]?\d[\d,.]*%?$")
_ABBREVIATION = re.compile(r"^(?:[A-Za-z]\.)+$|^(?:vs|etc|Inc|Ltd|Co|Corp|Dr|Mr|Mrs|Ms|St|No)\.$")
_PROPER_ADJECTIVE = re.compile(r"(?:ern|ian|ean|ese|ish|ican)$")
_SENTENCE_END = re.compile(r"[.!?:]['\"”’)]*$")


def _words(text: str) -> frozenset[str]:
    return frozenset(text.split())


# Words a cell cannot end on (the phrase must go on), by how sure that is.
_HARD_END = _words(
    "a an the of and or nor to for with by from between than as via vs versus its their our your his her my which "
    "whose who whom is are was were be been will would can could may might should must shall such per among amid "
    "amongst towards toward into onto across through throughout against without within despite including some "
    "each every both either neither if because whether while whereas unlike alongside beside besides beneath "
    "except regarding concerning"
)
_MID_END = _words(
    "in on at over under about upon this these those that not but all any many like after before around beyond "
    "behind during near since until using leveraging another other"
)
_SOFT_END = _words("up out off down more most very new also how what when where has have had do does did")
_DASHES = frozenset({"-", "–", "—", "&", "+", "/", "=", "→"})

# How strongly a word of each kind is believed to start a cell, before any other evidence.
_BASE = {"cap": 2.5, "digit": 0.5, "quote-cap": 2.0, "quote-low": 0.0, "bracket": -2.0, "other": 0.0, "lower": -9.0}

# Column shapes known before any note is read: typical words per cell (geometric mean and log-spread).
_PRIOR_SHAPES: dict[str, tuple[float, float]] = {
    "signal": (5.5, 0.5),
    "change": (4.5, 0.55),
    "horizon": (7.0, 0.5),
    "driving_force": (5.5, 0.55),
    "description": (14.0, 0.6),
    "relevancy": (3.0, 0.7),
}
_DEFAULT_SHAPE = (5.0, 0.7)
_MAX_STARTS = 24
"""At most this many candidate cuts are weighed (the likeliest), so a long line cannot take long."""
_PRIOR_WEIGHT = 4.0
"""How many observed cells the prior shape of a column is worth."""


def tokens_of(text: str) -> list[str]:
    """The words of a text, split on white space."""
    return text.split()


def core(token: str) -> str:
    """A word without surrounding quotes, brackets, punctuation or a possessive ending, case kept."""
    if token.isalpha():
        return token
    word = token.lstrip("\"'“‘«„([{").rstrip(_TRAILING)
    if len(word) > 3 and word[-2:] in _POSSESSIVES:
        word = word[:-2] if word[-1] in "sS" else word[:-1]
    return word


def key_of(token: str) -> str:
    """The case-folded core of a word: how evidence about it is looked up."""
    return core(token).casefold()


def is_name_shaped(word: str) -> bool:
    """True for acronyms and words with inner capitals or digits (`NATO`, `EVs`, `OpenAI`, `GPT-4`, `DeepMind`)."""
    letters = [c for c in word if c.isalpha()]
    if len(letters) >= 2 and sum(c.isupper() for c in letters) >= 2:
        return True
    return bool(letters) and any(c.isdigit() for c in word) and word[0].isalpha()


def start_class(token: str) -> str:
    """How a word begins: `cap`, `digit`, `quote-cap`, `quote-low`, `bracket`, `lower` or `other`."""
    first = token[0]
    if first in _OPEN_QUOTES:
        inner = token.lstrip("\"'“‘«„")
        return "quote-cap" if inner[:1].isupper() or inner[:1].isdigit() else "quote-low"
    if first in _BRACKETS:
        return "bracket"
    if first.isupper():
        return "cap"
    if first.isdigit() or (first in "$€£" and token[1:2].isdigit()):
        return "digit"
    if first.islower():
        return "lower"
    return "other"


def cut_points(tokens: Sequence[str]) -> list[int]:
    """Indices of words that may start a cell: every word except the first and those inside quotes or brackets."""
    allowed: list[int] = []
    i, n = 0, len(tokens)
    while i < n:
        if i > 0:
            allowed.append(i)
        i = _span_end(tokens, i) + 1
    return allowed


def _span_end(tokens: Sequence[str], i: int) -> int:
    """The index of the last word of the quotation or bracket that opens at word `i` (`i` itself if none)."""
    token = tokens[i]
    opener = token[0]
    if opener in _BRACKETS:
        depth = 0
        for j in range(i, len(tokens)):
            depth += sum(tokens[j].count(o) for o in _BRACKETS) - sum(tokens[j].count(c) for c in _BRACKETS.values())
            if depth <= 0:
                return j
        return i
    if opener in _OPEN_QUOTES:
        closer = _OPEN_QUOTES[opener]
        first = token[1:].rstrip(".,;:!?")
        if first.endswith(closer) and len(first) > 0:
            return i
        for j in range(i + 1, len(tokens)):
            if tokens[j].rstrip(".,;:!?)]").endswith(closer):
                return j
    return i


# ---------------------------------------------------------------------------------------------- evidence


@dataclass
class Evidence:
    """What is known about words: seen capitalised mid-sentence (names), seen in lower case, name pairs."""

    names: Counter[str] = field(default_factory=Counter)
    lower: Counter[str] = field(default_factory=Counter)
    pairs: Counter[tuple[str, str]] = field(default_factory=Counter)

    def add(self, other: Evidence, weight: int = 1) -> None:
        """Add another body of evidence, each observation counted `weight` times."""
        for mine, theirs in ((self.names, other.names), (self.lower, other.lower)):
            for key, count in theirs.items():
                mine[key] += count * weight
        for pair, count in other.pairs.items():
            self.pairs[pair] += count * weight

    def name_belief(self, key: str) -> float:
        """+1 when the word is only seen as a name, -1 when only in lower case, 0 when unknown or mixed."""
        names, lower = self.names.get(key, 0), self.lower.get(key, 0)
        if names + lower == 0:
            return 0.0
        share = names / (names + lower)
        return 1.0 if share >= 0.8 else -1.0 if share <= 0.2 else 0.0


def prose_evidence(paragraphs: Iterable[str], evidence: Evidence | None = None) -> Evidence:
    """Evidence from running text (summaries, sentence-case titles): capitals that do not start a sentence are names."""
    ev = evidence if evidence is not None else Evidence()
    for paragraph in paragraphs:
        words = tokens_of(paragraph)
        quoted_until = -1
        prev_cap = False
        for i, word in enumerate(words):
            if i > quoted_until and word[0] in _OPEN_QUOTES:
                quoted_until = _span_end(words, i) if _span_end(words, i) > i else -1
            key = key_of(word)
            if not key or not key[0].isalpha():
                prev_cap = False
                continue
            sentence_start = i == 0 or bool(_SENTENCE_END.search(words[i - 1]))
            if core(word)[:1].isupper():
                if i <= quoted_until:
                    prev_cap = False
                    continue
                if not sentence_start:
                    ev.names[key] += 1
                    if prev_cap:
                        ev.pairs[(key_of(words[i - 1]), key)] += 1
                prev_cap = not word.endswith((",", ";", ":", "."))
            else:
                ev.lower[key] += 1
                prev_cap = False
    return ev


def cell_evidence(cells: Iterable[str], evidence: Evidence | None = None, *, whole: bool = True) -> Evidence:
    """Evidence from table text: lower-case words, and capitals after a word that cannot end a cell are names.

    `whole` says the texts are single cells, so a capital after a name continues it (a name pair); in a
    flattened row it may start the next cell.
    """
    ev = evidence if evidence is not None else Evidence()
    for text in cells:
        words = tokens_of(text)
        for i, word in enumerate(words):
            key = key_of(word)
            if not key or not key[0].isalpha():
                continue
            if core(word)[:1].islower():
                ev.lower[key] += 1
            elif i > 0 and _end_penalty(words[i - 1]) <= -4:
                ev.names[key] += 1
                if whole and i + 1 < len(words) and core(words[i + 1])[:1].isupper():
                    ev.pairs[(key, key_of(words[i + 1]))] += 1
    return ev


# ---------------------------------------------------------------------------------------------- columns


@dataclass(frozen=True)
class CellSet:
    """A set of case-folded cells kept in layers (the knowledge base's, then a table's own): a model learned on
    top of another shares the other's sets instead of copying them, which would cost time growing with the
    size of the knowledge base for every row of every export."""

    layers: tuple[frozenset[str], ...] = ()

    def __contains__(self, text: object) -> bool:
        return any(text in layer for layer in self.layers)

    def __bool__(self) -> bool:
        return any(self.layers)

    def with_layer(self, cells: Iterable[str]) -> CellSet:
        """This set and `cells`."""
        layer = frozenset(cells)
        return CellSet((layer, *self.layers)) if layer else self


@dataclass(frozen=True)
class ColumnModel:
    """What the cells of one column look like: words per cell (log scale), first words, and whole cells seen."""

    mean: float
    """Mean of log(words per cell)."""
    spread: float
    first_words: tuple[Mapping[str, float], ...] = ()
    """Share of this column among the cells that start with a word (0..1), for words seen often enough; the
    first layer that knows a word is right (a note's own table before the knowledge base)."""
    cells: CellSet = CellSet()
    """Case-folded cells seen in this column."""

    def first_share(self, word: str) -> float | None:
        """The share of this column among cells starting with `word`, if known."""
        for layer in self.first_words:
            if word in layer:
                return layer[word]
        return None


def prior_column(name: str) -> ColumnModel:
    """The built-in model of a column (`signal`, `change`, `horizon`, `driving_force`, or an extra column's name)."""
    words, spread = _PRIOR_SHAPES.get(name, _DEFAULT_SHAPE)
    return ColumnModel(math.log(words), spread)


def learn_columns(
    names: Sequence[str], tables: Iterable[Sequence[str]], base: Sequence[ColumnModel] | None = None
) -> list[ColumnModel]:
    """Column models from rows of known cells (each row one cell per name), on top of `base` (default: the prior)."""
    models = list(base) if base is not None else [prior_column(n) for n in names]
    logs: list[list[float]] = [[] for _ in names]
    firsts: list[Counter[str]] = [Counter() for _ in names]
    seen: list[set[str]] = [set() for _ in models]
    for row in tables:
        for i, text in enumerate(row[: len(names)]):
            words = tokens_of(text)
            if not words:
                continue
            logs[i].append(math.log(len(words)))
            firsts[i][key_of(words[0])] += 1
            seen[i].add(" ".join(words).casefold())
    totals: Counter[str] = Counter()
    for counter in firsts:
        totals.update(counter)
    out: list[ColumnModel] = []
    for i, model in enumerate(models):
        n = len(logs[i])
        mean = (model.mean * _PRIOR_WEIGHT + sum(logs[i])) / (_PRIOR_WEIGHT + n)
        var = (model.spread**2 * _PRIOR_WEIGHT + sum((x - mean) ** 2 for x in logs[i])) / (_PRIOR_WEIGHT + n)
        learned: dict[str, float] = {}
        for word, total in totals.items():
            if total >= 2:
                share = (firsts[i][word] + 0.5) / (total + 0.5 * len(names))
                known = model.first_share(word)
                learned[word] = share if known is None else (known + share) / 2
        layers = (learned, *model.first_words) if learned else model.first_words
        out.append(ColumnModel(mean, max(math.sqrt(var), 0.3), layers, model.cells.with_layer(seen[i])))
    return out


def _mixed_case(words: Sequence[str], evidence: Evidence) -> int:
    """Capitalised ordinary words inside a cell written in sentence case (0 for a Title Case cell)."""
    capitals = lowers = 0
    for i in range(1, len(words)):
        word = core(words[i])
        if not word[:1].isalpha():
            continue
        if word[0].islower():
            lowers += word.casefold() not in _HARD_END and word.casefold() not in _MID_END
        elif evidence.name_belief(word.casefold()) < 0 and not is_name_shaped(word):
            capitals += evidence.pairs.get((key_of(words[i - 1]), word.casefold()), 0) == 0
    return capitals if lowers else 0


def _cell_score(words: Sequence[str], column: ColumnModel, n_columns: int, evidence: Evidence) -> float:
    z = (math.log(len(words)) - column.mean) / column.spread
    score = -2.5 * math.log1p(z * z / 4.0) - math.log(column.spread / 0.5) - 1.5 * _mixed_case(words, evidence)
    share = column.first_share(key_of(words[0]))
    if share is not None:
        score += math.log(share * n_columns)
    if column.cells and " ".join(words).casefold() in column.cells:
        score += 2.0
    return score


# ---------------------------------------------------------------------------------------------- cuts


def _end_penalty(word: str) -> float:
    """How unlikely a cell is to end on `word`: 0 for an ordinary word, down to -7 for `of`, `the`, a comma."""
    if word in _DASHES or word[-1] in ",;:" or word[-1] in _DASHES:
        return -6.0
    key = word.casefold()
    if key in _HARD_END:
        return -7.0
    if key in _MID_END:
        return -4.0
    if key in _SOFT_END:
        return -1.5
    if word.endswith(".") and not _ABBREVIATION.match(word):
        return 1.0
    return 0.0


def cut_score(tokens: Sequence[str], i: int, evidence: Evidence) -> float:
    """Evidence that a new cell starts at word `i` (log-odds scale)."""
    word, prev = tokens[i], tokens[i - 1]
    kind = start_class(word)
    score = _BASE[kind] + _end_penalty(prev)
    if kind in ("cap", "quote-cap"):
        key, prev_key = key_of(word), key_of(prev)
        if prev_key == key:
            return score + 1.0
        head = key.split("-")[0]
        belief = evidence.name_belief(key) or evidence.name_belief(head)
        if core(prev)[:1].isupper() and (
            (i >= 2 and tokens[i - 2].casefold() in ("the", "a", "an")) or _PROPER_ADJECTIVE.search(core(prev))
        ):
            score -= 2.0  # `the Nobel Prize`, `Eastern Europe`: a name that goes on
        if evidence.pairs.get((prev_key, key), 0) > 0 and core(prev)[:1].isupper():
            score -= 5.0
        elif belief > 0:
            score -= 2.0
        elif belief < 0:
            score += 1.0
        elif is_name_shaped(core(word)):
            score -= 1.5
    elif kind == "digit" and start_class(prev) == "lower":
        score -= 1.5 if _PURE_NUMBER.match(word) else 0.5
    return score


# ---------------------------------------------------------------------------------------------- splitting


@dataclass(frozen=True)
class Recovery:
    """The cells recovered from one row and how sure that is."""

    cells: tuple[str, ...]
    how: str
    """`separators` (tabs, `|` or 2+ spaces survived), `words` (chosen among splits), `few-starts` (fewer
    capitalised words than cuts needed), `short` (fewer words than columns: some cells are left empty)."""
    score: float = 0.0
    runner_up: tuple[str, ...] | None = None
    margin: float = math.inf
    """How much better the best split scored than the runner-up."""

    @property
    def doubtful(self) -> bool:
        """True when the split is a guess a person should check."""
        return self.how in ("few-starts", "short") or (self.how == "words" and self.margin < AMBIGUOUS_MARGIN)


def explicit_pieces(line: str) -> list[str]:
    """The pieces of a row between surviving separators (tab, `|`, two or more spaces)."""
    text = line.strip().strip("|").strip()
    return [p for p in _EXPLICIT_SEPARATOR.split(text) if p.strip()] if text else []


def recover(line: str, columns: Sequence[ColumnModel], evidence: Evidence | None = None) -> Recovery:
    """Split one row into `len(columns)` cells, using surviving separators first and word evidence otherwise."""
    width = len(columns)
    ev = evidence if evidence is not None else Evidence()
    pieces = explicit_pieces(line)
    if len(pieces) >= width:
        return Recovery(tuple(" ".join(p.split()) for p in pieces), "separators")
    tokens: list[str] = []
    forced: list[int] = []
    for piece in pieces:
        if tokens:
            forced.append(len(tokens))
        tokens.extend(tokens_of(piece))
    if len(cut_points(tokens)) < width - 1:
        return Recovery(_short_split(tokens, width), "short")
    allowed = cut_points(tokens)
    scores = {i: cut_score(tokens, i, ev) for i in allowed}
    starts = [i for i in allowed if start_class(tokens[i]) != "lower" and i not in forced]
    starts = sorted(sorted(starts, key=lambda i: -scores[i])[:_MAX_STARTS])
    how = "words"
    if len(starts) < width - 1 - len(forced):
        starts = sorted(sorted((i for i in allowed if i not in forced), key=lambda i: -scores[i])[:_MAX_STARTS])
        how = "few-starts"
    ranked = _rank(tokens, columns, scores, starts, forced, ev)
    best_score, best = ranked[0]
    cells = tuple(" ".join(tokens[a:b]) for a, b in itertools.pairwise([0, *best, len(tokens)]))
    if len(ranked) == 1:
        return Recovery(cells, how, best_score)
    second_score, second = ranked[1]
    runner = tuple(" ".join(tokens[a:b]) for a, b in itertools.pairwise([0, *second, len(tokens)]))
    return Recovery(cells, how, best_score, runner, best_score - second_score)


def split_score(cells: Sequence[str], columns: Sequence[ColumnModel], evidence: Evidence) -> float:
    """The score `recover` gives to one particular split of a row (one cell per column)."""
    tokens: list[str] = []
    cuts: list[int] = []
    for text in cells:
        if tokens:
            cuts.append(len(tokens))
        tokens.extend(tokens_of(text))
    total = sum(cut_score(tokens, i, evidence) for i in cuts)
    bounds = (0, *cuts, len(tokens))
    return total + sum(
        _cell_score(tokens[bounds[k] : bounds[k + 1]], columns[k], len(columns), evidence) for k in range(len(columns))
    )


def _rank(
    tokens: Sequence[str],
    columns: Sequence[ColumnModel],
    scores: Mapping[int, float],
    starts: Sequence[int],
    forced: Sequence[int],
    evidence: Evidence,
) -> list[tuple[float, tuple[int, ...]]]:
    """The two best sets of cut points (score, cuts), best first."""
    width = len(columns)
    cell_cache: dict[tuple[int, int, int], float] = {}

    def cell(a: int, b: int, col: int) -> float:
        key = (a, b, col)
        if key not in cell_cache:
            cell_cache[key] = _cell_score(tokens[a:b], columns[col], width, evidence)
        return cell_cache[key]

    top: list[tuple[float, tuple[int, ...]]] = []
    for chosen in itertools.combinations(starts, width - 1 - len(forced)):
        cuts = tuple(sorted((*chosen, *forced)))
        total = sum(scores[c] for c in cuts)
        bounds = (0, *cuts, len(tokens))
        total += sum(cell(bounds[k], bounds[k + 1], k) for k in range(width))
        top.append((total, cuts))
        if len(top) > 8:
            top.sort(key=lambda t: (-t[0], t[1]))
            del top[2:]
    top.sort(key=lambda t: (-t[0], t[1]))
    return top[:2]


def _short_split(tokens: Sequence[str], width: int) -> tuple[str, ...]:
    """Too few words for every column: one cell per quote-safe word group, the rest left for make_row to pad."""
    cuts = cut_points(tokens)[: width - 1]
    bounds = [0, *cuts, len(tokens)]
    return tuple(" ".join(tokens[a:b]) for a, b in itertools.pairwise(bounds) if a < b)
