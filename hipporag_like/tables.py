"""The graph of one index version as numpy arrays: a pure core with no I/O.

Rows are numbered in segment order (the rows of the first segment, then the second's...).
A deleted passage keeps its row, marked dead; phrases and facts are alive while a live
passage mentions them. Every array is rebuilt per write by linear numpy passes (masks,
concatenation, sorting), never by a Python loop over the index; only the added passages'
extractions are walked in Python (`batch_rows`). A write that only appends passages
derives its graph from the base's instead (derive_append.py), with the same result.

Node layout of the walk graph: passage rows first (0..P-1), then phrase rows (P..P+N-1).
Edge kinds, all undirected:
- passage: passage -- each phrase its extraction mentions, weight 1 (title_edge_weight for the
  passage's own title phrase: a passage is mostly about its title);
- relation: subject -- object of every extracted triple, weight = times extracted;
- synonymy: phrase -- phrase with cosine >= threshold, weight = cosine (none where a relation
  edge already links the pair).
"""

from __future__ import annotations

from dataclasses import dataclass, fields, replace
from typing import Callable, Sequence

import numpy as np

from .extraction.base import Extraction, Triple
from .config import GraphConfig
from .text import normalize_phrase

EDGE_KINDS = ("relation", "passage", "synonymy")
_I = np.int64


@dataclass(frozen=True)
class BatchRows:
    """The added passages' extractions, normalised, in batch-local numbering."""

    phrase_keys: list[str]
    fact_triples: list[Triple]
    fact_subject: np.ndarray
    fact_object: np.ndarray
    mention_passage: np.ndarray
    mention_phrase: np.ndarray
    mention_title: np.ndarray
    occ_passage: np.ndarray
    occ_fact: np.ndarray


def batch_rows(extractions: Sequence[Extraction], titles: Sequence[str], config: GraphConfig) -> BatchRows:
    """Normalise phrases and facts of a batch: which passage mentions which phrase, and every
    triple occurrence (a triple extracted twice from a passage counts twice, as a relation weight)."""
    phrase_index: dict[str, int] = {}
    fact_index: dict[Triple, int] = {}
    fact_ends: list[tuple[int, int]] = []
    mentions: dict[tuple[int, int], bool] = {}
    occurrences: list[tuple[int, int]] = []

    def phrase(text: str, passage: int, title: bool = False) -> int | None:
        key = normalize_phrase(text)
        if not key:
            return None
        row = phrase_index.setdefault(key, len(phrase_index))
        mentions[(passage, row)] = mentions.get((passage, row), False) or title
        return row

    for passage, extraction in enumerate(extractions):
        for subject, relation, obj in extraction.triples:
            s, o, r = phrase(subject, passage), phrase(obj, passage), normalize_phrase(relation)
            if s is None or o is None or not r:
                continue
            triple = (normalize_phrase(subject), r, normalize_phrase(obj))
            if triple not in fact_index:
                fact_index[triple] = len(fact_index)
                fact_ends.append((s, o))
            occurrences.append((passage, fact_index[triple]))
        if config.entity_nodes:
            for entity in extraction.entities:
                phrase(entity, passage)
    if config.title_edge_weight > 0:
        for passage, title in enumerate(titles):
            if title:
                phrase(title, passage, title=True)

    pairs = np.array(list(mentions), dtype=_I).reshape(-1, 2)
    occ = np.array(occurrences, dtype=_I).reshape(-1, 2)
    ends = np.array(fact_ends, dtype=_I).reshape(-1, 2)
    return BatchRows(
        phrase_keys=list(phrase_index),
        fact_triples=list(fact_index),
        fact_subject=ends[:, 0],
        fact_object=ends[:, 1],
        mention_passage=pairs[:, 0],
        mention_phrase=pairs[:, 1],
        mention_title=np.fromiter(mentions.values(), dtype=bool, count=len(mentions)),
        occ_passage=occ[:, 0],
        occ_fact=occ[:, 1],
    )


@dataclass(frozen=True)
class Tables:
    """Per-version arrays. Mentions and occurrences hold live passages' rows only."""

    passage_live: np.ndarray  # bool [P]
    phrase_point: np.ndarray  # int64 [N] vector point id of each phrase key
    fact_point: np.ndarray  # int64 [F]
    fact_subject: np.ndarray  # int64 [F] phrase row
    fact_object: np.ndarray  # int64 [F]
    mention_passage: np.ndarray  # int64 [M]
    mention_phrase: np.ndarray  # int64 [M]
    mention_title: np.ndarray  # bool [M]
    occ_passage: np.ndarray  # int64 [O]
    occ_fact: np.ndarray  # int64 [O]
    syn_a: np.ndarray  # int64 [S] phrase rows, a < b
    syn_b: np.ndarray  # int64 [S]
    syn_score: np.ndarray  # float64 [S]

    @classmethod
    def empty(cls) -> "Tables":
        ints = np.zeros(0, dtype=_I)
        return cls(np.zeros(0, bool), ints, ints, ints, ints, ints, ints, np.zeros(0, bool), ints, ints, ints, ints, np.zeros(0))

    @classmethod
    def names(cls) -> list[str]:
        return [f.name for f in fields(cls)]

    @property
    def n_passages(self) -> int:
        return len(self.passage_live)

    @property
    def n_phrases(self) -> int:
        return len(self.phrase_point)

    def phrase_mentions(self) -> np.ndarray:
        """Per phrase, how many live passages mention it."""
        return np.bincount(self.mention_phrase, minlength=self.n_phrases)

    def phrase_live(self) -> np.ndarray:
        return self.phrase_mentions() > 0

    def fact_live(self) -> np.ndarray:
        return np.bincount(self.occ_fact, minlength=len(self.fact_point)) > 0

    def specificity(self) -> np.ndarray:
        """1 / number of passages holding the phrase: rare phrases are stronger seeds."""
        return 1.0 / np.maximum(self.phrase_mentions(), 1).astype(np.float64)


def lookup(points: np.ndarray, wanted: np.ndarray) -> np.ndarray:
    """Row of each wanted point id in `points` (unique ids), -1 where absent.

    Why not sort `points`: a write looks up a few thousand ids among every phrase and fact the
    index holds (300,000 at 20,000 passages: a 25 ms argsort per insert). The ids are hashes, so
    their low bits are uniform: a bitmap of the wanted ids' low bits keeps the few candidate rows
    in one linear pass, and only those are sorted. O(n + m log m)."""
    if len(points) == 0 or len(wanted) == 0:
        return np.full(len(wanted), -1, dtype=_I)
    mask = (1 << max(16, (8 * len(wanted)).bit_length())) - 1  # about 1 in 8 bits set, at most
    bitmap = np.zeros(mask + 1, dtype=bool)
    bitmap[wanted & mask] = True
    candidates = np.flatnonzero(bitmap[points & mask])
    if len(candidates) == 0:
        return np.full(len(wanted), -1, dtype=_I)
    order = np.argsort(points[candidates], kind="stable")
    sorted_points = points[candidates[order]]
    at = np.minimum(np.searchsorted(sorted_points, wanted), len(sorted_points) - 1)
    found = sorted_points[at] == wanted
    return np.where(found, candidates[order[at]], -1).astype(_I)


@dataclass(frozen=True)
class Merge:
    """The result of `merge`: the new tables and which rows the batch created or revived."""

    tables: Tables
    new_phrases: np.ndarray  # batch phrases that got new rows, in row order (their vectors go in the segment)
    new_facts: np.ndarray  # batch facts that got new rows, in row order
    woken_phrases: np.ndarray  # phrase rows alive now and not before (need synonym look-ups)
    gone_phrases: int  # phrases no live passage mentions any more

    def with_phrase_order(self, order: np.ndarray) -> "Merge":
        """The same merge with the phrases it created in the order `order` (`reorder_phrases`)."""
        first = self.tables.n_phrases - len(order)
        moved = phrase_row_mover(first, order)
        return Merge(reorder_phrases(self.tables, first, order), self.new_phrases[np.asarray(order, dtype=_I)], self.new_facts,
                     np.sort(moved(self.woken_phrases)), self.gone_phrases)


def merge(tables: Tables, batch: BatchRows, n_added: int, phrase_points: np.ndarray, fact_points: np.ndarray, removed: np.ndarray) -> Merge:
    """Remove passage rows `removed`, append the batch's passages after the last row, and map its
    phrases and facts onto existing rows by point id (appending the unknown ones)."""
    was_live = tables.phrase_live()
    live = tables.passage_live.copy()
    live[removed] = False
    keep_m = live[tables.mention_passage]
    keep_o = live[tables.occ_passage]
    base = tables.n_passages
    n_new = n_added

    phrase_rows = lookup(tables.phrase_point, phrase_points)
    unknown = phrase_rows < 0
    phrase_rows[unknown] = tables.n_phrases + np.arange(int(unknown.sum()))
    fact_rows = lookup(tables.fact_point, fact_points)
    unknown_f = fact_rows < 0
    fact_rows[unknown_f] = len(tables.fact_point) + np.arange(int(unknown_f.sum()))
    return _merged(tables, batch, live, keep_m, keep_o, base, n_new, phrase_rows, unknown, fact_rows, unknown_f, phrase_points, fact_points, was_live)


def _merged(tables: Tables, batch: BatchRows, live: np.ndarray, keep_m: np.ndarray, keep_o: np.ndarray, base: int, n_new: int,
            phrase_rows: np.ndarray, unknown: np.ndarray, fact_rows: np.ndarray, unknown_f: np.ndarray,
            phrase_points: np.ndarray, fact_points: np.ndarray, was_live: np.ndarray) -> Merge:
    cat = np.concatenate
    grown = replace(
        tables,
        passage_live=cat([live, np.ones(n_new, bool)]),
        phrase_point=cat([tables.phrase_point, phrase_points[unknown]]),
        fact_point=cat([tables.fact_point, fact_points[unknown_f]]),
        fact_subject=cat([tables.fact_subject, phrase_rows[batch.fact_subject[unknown_f]]]),
        fact_object=cat([tables.fact_object, phrase_rows[batch.fact_object[unknown_f]]]),
        mention_passage=cat([tables.mention_passage[keep_m], base + batch.mention_passage]),
        mention_phrase=cat([tables.mention_phrase[keep_m], phrase_rows[batch.mention_phrase]]),
        mention_title=cat([tables.mention_title[keep_m], batch.mention_title]),
        occ_passage=cat([tables.occ_passage[keep_o], base + batch.occ_passage]),
        occ_fact=cat([tables.occ_fact[keep_o], fact_rows[batch.occ_fact]]),
    )
    now_live = grown.phrase_live()
    old_n = len(was_live)
    keep_s = now_live[grown.syn_a] & now_live[grown.syn_b]
    grown = replace(grown, syn_a=grown.syn_a[keep_s], syn_b=grown.syn_b[keep_s], syn_score=grown.syn_score[keep_s])
    woken = np.flatnonzero(now_live & ~np.concatenate([was_live, np.zeros(len(now_live) - old_n, bool)]))
    return Merge(
        tables=grown,
        new_phrases=np.flatnonzero(unknown).astype(_I),
        new_facts=np.flatnonzero(unknown_f).astype(_I),
        woken_phrases=woken.astype(_I),
        gone_phrases=int(np.sum(was_live & ~now_live[:old_n])),
    )


def reorder_phrases(tables: Tables, first: int, order: np.ndarray) -> Tables:
    """Put the phrases from row `first` on in the order `order` (row first + i takes the phrase
    that was at first + order[i]); every array naming a phrase row follows.

    Why: a large segment stores its phrases list by list of their inverted file
    (`synonymy.in_list_order`), so the rows are renumbered before anything is written."""
    order = np.asarray(order, dtype=_I)
    if len(order) != tables.n_phrases - first:
        raise ValueError(f"an order of {len(order)} phrases for rows {first}..{tables.n_phrases - 1}")
    moved = phrase_row_mover(first, order)
    out = replace(
        tables,
        phrase_point=np.concatenate([tables.phrase_point[:first], np.asarray(tables.phrase_point[first:])[order]]),
        fact_subject=moved(tables.fact_subject),
        fact_object=moved(tables.fact_object),
        mention_phrase=moved(tables.mention_phrase),
    )
    if not len(tables.syn_a) or int(np.max(tables.syn_b)) < first:  # no pair names a moved row: order kept
        return out
    empty = replace(out, syn_a=np.zeros(0, _I), syn_b=np.zeros(0, _I), syn_score=np.zeros(0))
    return add_synonyms(empty, moved(tables.syn_a), moved(tables.syn_b), tables.syn_score)  # pairs (a < b) sorted again


def phrase_row_mover(first: int, order: np.ndarray) -> Callable[[np.ndarray], np.ndarray]:
    """A function mapping phrase rows to their rows after `reorder_phrases(_, first, order)`."""
    position = np.empty(len(order), dtype=_I)
    position[order] = np.arange(len(order), dtype=_I)

    def moved(rows: np.ndarray) -> np.ndarray:
        rows = np.asarray(rows, dtype=_I)
        return np.where(rows >= first, first + position[np.clip(rows - first, 0, max(len(order) - 1, 0))], rows) if len(order) else rows

    return moved


def add_synonyms(tables: Tables, a: np.ndarray, b: np.ndarray, score: np.ndarray) -> Tables:
    """Add phrase pairs (any order, duplicates of existing pairs dropped)."""
    lo, hi = np.minimum(a, b).astype(_I), np.maximum(a, b).astype(_I)
    keep = lo != hi
    lo, hi, score = lo[keep], hi[keep], np.asarray(score, dtype=np.float64)[keep]
    n = max(tables.n_phrases, 1)
    keys = np.concatenate([tables.syn_a * n + tables.syn_b, lo * n + hi])
    scores = np.concatenate([tables.syn_score, score])
    unique, first = np.unique(keys, return_index=True)
    return replace(tables, syn_a=unique // n, syn_b=unique % n, syn_score=scores[first])


# Edge weights are stored in float32: each is one count of triples, one float32 cosine or one
# mention weight (1 or title_edge_weight), so float32 holds them exactly (a title weight such as
# 0.3 rounds at 1e-8), and the walks widen them to float64. Half the bytes of the largest array
# a write stores (its hashing and fsync are most of an insert's cost that grows with the index).
GRAPH_WEIGHT = np.float32
ROW = np.int32  # passage and node numbers inside derived arrays (an index stays far below 2**31 rows)


@dataclass(frozen=True)
class Derived:
    """What queries read, computed from the tables at write time and stored with them."""

    graph_indptr: np.ndarray  # int64: CSR over P + N nodes, both directions of every edge
    graph_indices: np.ndarray  # int32
    graph_weight: np.ndarray  # float32 (see GRAPH_WEIGHT)
    fact_indptr: np.ndarray  # int64: per fact row, its live passages (sorted, unique)
    fact_passages: np.ndarray  # int32

    @classmethod
    def names(cls) -> list[str]:
        return [f.name for f in fields(cls)]


def sorted_unique(keys: np.ndarray) -> np.ndarray:
    """np.unique by sorting: numpy 2.4's default hashing unique took 400 ms on 500,000 int64
    keys where a sort takes 30 (derive runs on every write)."""
    ordered = np.sort(keys)
    if len(ordered) < 2:
        return ordered
    return ordered[np.concatenate(([True], ordered[1:] != ordered[:-1]))]


def contains_sorted(haystack: np.ndarray, needles: np.ndarray) -> np.ndarray:
    """Per needle, whether the sorted `haystack` holds it (np.isin without sorting both sides)."""
    if len(haystack) == 0:
        return np.zeros(len(needles), dtype=bool)
    at = np.minimum(np.searchsorted(haystack, needles), len(haystack) - 1)
    return haystack[at] == needles


def relation_pairs(tables: Tables) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(a, b, times extracted) for each phrase pair a < b linked by a live triple occurrence."""
    s = tables.fact_subject[tables.occ_fact]
    o = tables.fact_object[tables.occ_fact]
    differ = s != o
    lo, hi = np.minimum(s, o)[differ], np.maximum(s, o)[differ]
    n = max(tables.n_phrases, 1)
    keys, counts = np.unique(lo * n + hi, return_counts=True)
    return keys // n, keys % n, counts.astype(np.float64)


def derive(tables: Tables, title_edge_weight: float) -> tuple[Derived, dict[str, int]]:
    """The walk graph as CSR and the fact-to-passage index; edge counts by kind."""
    from scipy import sparse

    p, n = tables.n_passages, tables.n_phrases
    rel_a, rel_b, rel_w = relation_pairs(tables)
    syn_keys = tables.syn_a * max(n, 1) + tables.syn_b
    fresh = ~contains_sorted(rel_a * max(n, 1) + rel_b, syn_keys)
    passage_w = np.where(tables.mention_title & (title_edge_weight > 0), title_edge_weight, 1.0)
    src = np.concatenate([tables.mention_passage, p + rel_a, p + tables.syn_a[fresh]])
    dst = np.concatenate([p + tables.mention_phrase, p + rel_b, p + tables.syn_b[fresh]])
    weight = np.concatenate([passage_w, rel_w, tables.syn_score[fresh]])
    matrix = sparse.csr_matrix(
        (np.concatenate([weight, weight]), (np.concatenate([src, dst]), np.concatenate([dst, src]))), shape=(p + n, p + n)
    )
    matrix.sum_duplicates()
    pairs = sorted_unique(tables.occ_fact * max(p, 1) + tables.occ_passage)
    facts, passages = pairs // max(p, 1), pairs % max(p, 1)
    fact_indptr = np.concatenate([[0], np.cumsum(np.bincount(facts, minlength=len(tables.fact_point)))]).astype(_I)
    derived = Derived(
        graph_indptr=matrix.indptr.astype(_I),
        graph_indices=matrix.indices.astype(ROW),
        graph_weight=matrix.data.astype(GRAPH_WEIGHT),
        fact_indptr=fact_indptr,
        fact_passages=passages.astype(ROW),
    )
    counts = {"relation": len(rel_a), "passage": len(tables.mention_passage), "synonymy": int(fresh.sum())}
    return derived, counts


def renumber(tables: Tables) -> tuple[Tables, np.ndarray, np.ndarray, np.ndarray]:
    """Drop dead rows (for compaction). Returns the tables and, per kind, the kept old rows."""
    keep_p = np.flatnonzero(tables.passage_live)
    keep_n = np.flatnonzero(tables.phrase_live())
    keep_f = np.flatnonzero(tables.fact_live())

    def remap(kept: np.ndarray, size: int) -> np.ndarray:
        new = np.full(size, -1, dtype=_I)
        new[kept] = np.arange(len(kept), dtype=_I)
        return new

    mp, mn, mf = remap(keep_p, tables.n_passages), remap(keep_n, tables.n_phrases), remap(keep_f, len(tables.fact_point))
    compact = Tables(
        passage_live=np.ones(len(keep_p), bool),
        phrase_point=tables.phrase_point[keep_n],
        fact_point=tables.fact_point[keep_f],
        fact_subject=mn[tables.fact_subject[keep_f]],
        fact_object=mn[tables.fact_object[keep_f]],
        mention_passage=mp[tables.mention_passage],
        mention_phrase=mn[tables.mention_phrase],
        mention_title=tables.mention_title,
        occ_passage=mp[tables.occ_passage],
        occ_fact=mf[tables.occ_fact],
        syn_a=mn[tables.syn_a],
        syn_b=mn[tables.syn_b],
        syn_score=tables.syn_score,
    )
    return compact, keep_p, keep_n, keep_f
