"""Knowledge-graph construction: a pure function from extractions (and phrase vectors) to
nodes and weighted edges.

Node layout: passage nodes first (0..P-1), then phrase nodes (P..P+N-1).
Edge kinds:
- relation: phrase -- phrase for each triple, weight = how many times the pair was extracted;
- passage: passage -- phrase for each phrase a passage's triples or entities mention, weight 1;
- synonymy: phrase -- phrase whose embeddings have cosine >= threshold, weight = the cosine.
All edges are undirected. No I/O here; `store.py` writes the result and `index.py` drives it.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from typing import Sequence

import numpy as np

from .extraction.base import Extraction, Triple
from .text import normalize_phrase

RELATION, PASSAGE, SYNONYMY = 0, 1, 2
EDGE_KINDS = {RELATION: "relation", PASSAGE: "passage", SYNONYMY: "synonymy"}


@dataclass(frozen=True)
class GraphConfig:
    """How phrases are linked. Written into the manifest."""

    synonymy_threshold: float = 0.8  # cosine at or above which two phrases are linked
    entity_nodes: bool = True  # named entities become phrase nodes even when in no triple
    # A passage is mostly about its title: link each titled passage to its title's phrase node
    # with this weight (0 = no special link), so a walk reaching an entity flows to its article.
    title_edge_weight: float = 10.0


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


def collect(
    extractions: Sequence[Extraction], config: GraphConfig, titles: Sequence[str] = ()
) -> tuple[Phrases, Facts, dict[tuple[int, int], float]]:
    """Normalise phrases and facts; count relation pairs (phrase ids, unordered).

    `titles` (one per extraction) are linked to their passages when config.title_edge_weight > 0.
    """
    phrase_index: dict[str, int] = {}
    phrase_passages: list[dict[int, None]] = []
    fact_index: dict[Triple, int] = {}
    fact_passages: list[dict[int, None]] = []
    relation_counts: dict[tuple[int, int], float] = defaultdict(float)

    def phrase_id(text: str, passage: int) -> int | None:
        key = normalize_phrase(text)
        if not key:
            return None
        if key not in phrase_index:
            phrase_index[key] = len(phrase_index)
            phrase_passages.append({})
        pid = phrase_index[key]
        phrase_passages[pid][passage] = None
        return pid

    for passage, extraction in enumerate(extractions):
        for subject, relation, obj in extraction.triples:
            s, o = phrase_id(subject, passage), phrase_id(obj, passage)
            r = normalize_phrase(relation)
            if s is None or o is None or not r:
                continue
            triple = (normalize_phrase(subject), r, normalize_phrase(obj))
            if triple not in fact_index:
                fact_index[triple] = len(fact_index)
                fact_passages.append({})
            fact_passages[fact_index[triple]][passage] = None
            if s != o:
                relation_counts[(min(s, o), max(s, o))] += 1.0
        if config.entity_nodes:
            for entity in extraction.entities:
                phrase_id(entity, passage)

    title_phrase = [-1] * len(extractions)
    if config.title_edge_weight > 0:
        for passage, title in enumerate(titles):
            found = phrase_id(title, passage) if title else None
            title_phrase[passage] = -1 if found is None else found

    phrases = Phrases(list(phrase_index), [list(p) for p in phrase_passages], title_phrase)
    facts = Facts(list(fact_index), [list(p) for p in fact_passages])
    return phrases, facts, dict(relation_counts)


def synonym_pairs(vectors: np.ndarray, threshold: float, block: int = 2048) -> dict[tuple[int, int], float]:
    """Every pair (i < j) of L2-normalised rows whose cosine is at least `threshold`.

    Exact, blockwise (memory stays at block x N floats). Threshold-only, with no per-phrase cap,
    so adding phrases never changes the pairs among the old ones: incremental inserts can keep
    them and only look up the new phrases' neighbours.
    """
    pairs: dict[tuple[int, int], float] = {}
    n = len(vectors)
    for start in range(0, n, block):
        sims = vectors[start : start + block] @ vectors.T
        rows, cols = np.nonzero(sims >= threshold)
        for row, col in zip(rows.tolist(), cols.tolist()):
            i = row + start
            if i < col:
                pairs[(i, col)] = float(sims[row, col])
    return pairs


def build_edges(
    n_passages: int,
    phrases: Phrases,
    relation_counts: dict[tuple[int, int], float],
    synonyms: dict[tuple[int, int], float],
    title_edge_weight: float = 0.0,
) -> Edges:
    """Assemble all edges in node-index space (phrase p is node n_passages + p)."""
    src: list[int] = []
    dst: list[int] = []
    weight: list[float] = []
    kind: list[int] = []
    for (a, b), count in relation_counts.items():
        src.append(n_passages + a), dst.append(n_passages + b), weight.append(count), kind.append(RELATION)
    titles = set(enumerate(phrases.title_phrase)) if title_edge_weight > 0 else set()
    for phrase, passages in enumerate(phrases.passages):
        for passage in passages:
            w = title_edge_weight if (passage, phrase) in titles else 1.0
            src.append(passage), dst.append(n_passages + phrase), weight.append(w), kind.append(PASSAGE)
    for (a, b), score in synonyms.items():
        if (a, b) in relation_counts:
            continue  # already linked by a relation; keep one edge per pair
        src.append(n_passages + a), dst.append(n_passages + b), weight.append(score), kind.append(SYNONYMY)
    return Edges(
        src=np.array(src, dtype=np.int64),
        dst=np.array(dst, dtype=np.int64),
        weight=np.array(weight, dtype=np.float64),
        kind=np.array(kind, dtype=np.int8),
    )
