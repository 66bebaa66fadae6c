"""The graph as Python objects, for interchange: the shape `export.py` writes as GraphML and tests
compare. The index itself keeps the graph as numpy arrays (`tables.py`); `Index.data` turns a
version into this shape on request.

Node layout: passage nodes first (0..P-1), then phrase nodes (P..P+N-1). Edge kinds (codes
below): relation (subject -- object, weight = times extracted), passage (passage -- phrase it
mentions), synonymy (phrase -- phrase with cosine >= threshold). All edges are undirected.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from typing import TYPE_CHECKING

from .corpus import Passage
from .extraction.base import Extraction, Triple
from .tables import relation_pairs

if TYPE_CHECKING:
    from .store import Version

RELATION, PASSAGE, SYNONYMY = 0, 1, 2
EDGE_KINDS = {RELATION: "relation", PASSAGE: "passage", SYNONYMY: "synonymy"}


@dataclass
class Facts:
    """Normalised unique triples and which passages support each."""

    triples: list[Triple]
    passages: list[list[int]]


@dataclass
class Phrases:
    """Normalised unique phrases and which passages mention each."""

    keys: list[str]
    passages: list[list[int]]
    # Per passage, the phrase index of its title (-1: none); only needed to build edges.
    title_phrase: list[int] = field(default_factory=list)

    def specificity(self) -> np.ndarray:
        """1 / number of passages holding the phrase: rare phrases are stronger seeds."""
        counts = np.array([max(len(p), 1) for p in self.passages], dtype=np.float64)
        return 1.0 / counts


@dataclass
class Edges:
    src: np.ndarray
    dst: np.ndarray
    weight: np.ndarray
    kind: np.ndarray

    @classmethod
    def empty(cls) -> "Edges":
        return cls(np.zeros(0, np.int64), np.zeros(0, np.int64), np.zeros(0, np.float64), np.zeros(0, np.int8))

    def count_by_kind(self) -> dict[str, int]:
        return {name: int(np.sum(self.kind == code)) for code, name in EDGE_KINDS.items()}


@dataclass
class IndexData:
    """A whole version as Python objects, live rows only and numbered densely: for export,
    interchange and tests. Queries never build this (see `tables.py`)."""

    passages: list  # list[Passage]
    extractions: list[Extraction]
    phrases: Phrases
    facts: Facts
    edges: Edges


def materialize(version: Version, title_edge_weight: float) -> IndexData:
    """Live rows renumbered densely, edges with their kinds, as the export format wants."""
    t = version.tables
    live_p = np.flatnonzero(t.passage_live)
    live_n = np.flatnonzero(t.phrase_live())
    live_f = np.flatnonzero(t.fact_live())
    new_p = {int(r): i for i, r in enumerate(live_p)}
    new_n = {int(r): i for i, r in enumerate(live_n)}
    passages, extractions = [], []
    for r in live_p:
        row, ext = version.line("passages", int(r)), version.line("extractions", int(r))
        passages.append(Passage.from_row(row))
        extractions.append(Extraction(row["id"], tuple(ext["entities"]), tuple(tuple(x) for x in ext["triples"]), ext.get("dropped_triples", 0)))
    held: dict[int, list[int]] = {int(n): [] for n in live_n}
    for p, n in zip(t.mention_passage.tolist(), t.mention_phrase.tolist()):
        held[n].append(new_p[p])
    fact_passages = [sorted({new_p[int(p)] for p in version.derived.fact_passages[version.derived.fact_indptr[f]:version.derived.fact_indptr[f + 1]]}) for f in live_f]
    p_count = len(live_p)
    src, dst, weight, kind = [], [], [], []
    for p, n, title in zip(t.mention_passage.tolist(), t.mention_phrase.tolist(), t.mention_title.tolist()):
        src.append(new_p[p]), dst.append(p_count + new_n[n]), weight.append(title_edge_weight if title and title_edge_weight > 0 else 1.0), kind.append(PASSAGE)
    rel_a, rel_b, rel_w = relation_pairs(t)
    related = set(zip(rel_a.tolist(), rel_b.tolist()))
    for a, b, w in zip(rel_a.tolist(), rel_b.tolist(), rel_w.tolist()):
        src.append(p_count + new_n[a]), dst.append(p_count + new_n[b]), weight.append(w), kind.append(RELATION)
    for a, b, w in zip(t.syn_a.tolist(), t.syn_b.tolist(), t.syn_score.tolist()):
        if (a, b) not in related:
            src.append(p_count + new_n[a]), dst.append(p_count + new_n[b]), weight.append(w), kind.append(SYNONYMY)
    return IndexData(
        passages=passages,
        extractions=extractions,
        phrases=Phrases([version.line("phrases", int(n)) for n in live_n], [sorted(held[int(n)]) for n in live_n]),
        facts=Facts([tuple(version.line("facts", int(f))) for f in live_f], fact_passages),  # type: ignore[misc]
        edges=Edges(np.array(src, np.int64), np.array(dst, np.int64), np.array(weight, np.float64), np.array(kind, np.int8)),
    )
