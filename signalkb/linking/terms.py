"""Keywords and themes as terms: one term per name (case and punctuation aside), with its notes."""

from __future__ import annotations

from collections.abc import Callable, Sequence

from signalkb.core.model import Note, Term
from signalkb.core.slugs import SlugAllocator, name_key, slugify


def build_terms(notes: Sequence[Note], names_of: Callable[[Note], Sequence[str]]) -> tuple[list[Term], dict[str, str]]:
    """Terms named by `notes` (newest first), most used first, and a map from each name's key to its term id.

    Ids are slugs of the most used spelling; two names whose slugs collide get distinct ids (`-2`).
    """
    spellings: dict[str, dict[str, int]] = {}
    members: dict[str, list[str]] = {}
    for note in notes:
        for name in names_of(note):
            key = name_key(name)
            if not key:
                continue
            text = " ".join(name.split())
            counts = spellings.setdefault(key, {})
            counts[text] = counts.get(text, 0) + 1
            ids = members.setdefault(key, [])
            if not ids or ids[-1] != note.id:
                ids.append(note.id)
    allocator = SlugAllocator()
    ids_by_key: dict[str, str] = {}
    terms: list[Term] = []
    for key in sorted(spellings):
        label = sorted(spellings[key].items(), key=lambda kv: (-kv[1], kv[0]))[0][0]
        term_id = allocator.claim(slugify(label))
        ids_by_key[key] = term_id
        note_ids = tuple(dict.fromkeys(members[key]))
        terms.append(Term(term_id, label, note_ids, tuple(sorted(spellings[key]))))
    terms.sort(key=lambda t: (-len(t.note_ids), t.label.casefold(), t.id))
    return terms, ids_by_key


def term_ids(names: Sequence[str], ids_by_key: dict[str, str]) -> tuple[str, ...]:
    """The term ids of a note's names, in order, without repeats."""
    return tuple(dict.fromkeys(ids_by_key[k] for k in (name_key(n) for n in names) if k in ids_by_key))
