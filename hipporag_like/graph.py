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

from .extraction.base import Extraction, Triple

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
