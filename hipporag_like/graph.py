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
from dataclasses import dataclass
from typing import Sequence

import numpy as np

from .extraction.base import Extraction, Triple
from .text import fact_text, normalize_phrase

RELATION, PASSAGE, SYNONYMY = 0, 1, 2
EDGE_KINDS = {RELATION: "relation", PASSAGE: "passage", SYNONYMY: "synonymy"}


@dataclass(frozen=True)
class GraphConfig:
    """How phrases are linked. Written into the manifest."""

    synonymy_threshold: float = 0.8
    synonymy_top_k: int = 20
    entity_nodes: bool = True  # named entities become phrase nodes even when in no triple


@dataclass
class Facts:
    """Normalised unique triples and which passages support each."""

    triples: list[Triple]
    passages: list[list[int]]

    @property
    def texts(self) -> list[str]:
        return [fact_text(*t) for t in self.triples]


@dataclass
class Phrases:
    """Normalised unique phrases and which passages mention each."""

    keys: list[str]
    passages: list[list[int]]

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

    def count_by_kind(self) -> dict[str, int]:
        return {name: int(np.sum(self.kind == code)) for code, name in EDGE_KINDS.items()}


def collect(extractions: Sequence[Extraction], config: GraphConfig) -> tuple[Phrases, Facts, dict[tuple[int, int], float]]:
    """Normalise phrases and facts; count relation pairs (phrase ids, unordered)."""
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

    phrases = Phrases(list(phrase_index), [list(p) for p in phrase_passages])
    facts = Facts(list(fact_index), [list(p) for p in fact_passages])
    return phrases, facts, dict(relation_counts)


def synonym_pairs(vectors: np.ndarray, threshold: float, top_k: int, block: int = 2048) -> dict[tuple[int, int], float]:
    """Pairs (i < j) of rows whose cosine >= threshold, each row keeping its top_k neighbours.

    Exact blockwise search over L2-normalised rows; memory stays at block x N floats.
    """
    n = len(vectors)
    pairs: dict[tuple[int, int], float] = {}
    if n < 2 or top_k <= 0:
        return pairs
    k = min(top_k, n - 1)
    for start in range(0, n, block):
        sims = vectors[start : start + block] @ vectors.T
        rows = np.arange(sims.shape[0])
        sims[rows, rows + start] = -1.0  # not its own neighbour
        best = np.argpartition(-sims, k - 1, axis=1)[:, :k]
        for row, cols in enumerate(best):
            i = row + start
            for j in cols:
                score = float(sims[row, j])
                if score >= threshold:
                    pairs[(min(i, int(j)), max(i, int(j)))] = score
    return pairs


def build_edges(
    n_passages: int,
    phrases: Phrases,
    relation_counts: dict[tuple[int, int], float],
    synonyms: dict[tuple[int, int], float],
) -> Edges:
    """Assemble all edges in node-index space (phrase p is node n_passages + p)."""
    src: list[int] = []
    dst: list[int] = []
    weight: list[float] = []
    kind: list[int] = []
    for (a, b), count in relation_counts.items():
        src.append(n_passages + a), dst.append(n_passages + b), weight.append(count), kind.append(RELATION)
    for phrase, passages in enumerate(phrases.passages):
        for passage in passages:
            src.append(passage), dst.append(n_passages + phrase), weight.append(1.0), kind.append(PASSAGE)
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
