"""BM25 over hashed term ids: each batch of passages is counted on its own, scored together.

Why: a shared vocabulary (what bm25s builds) ties every passage to one index build, so adding a
batch means re-tokenising everything. Here a term's id is a stable hash of the term itself, so a
batch's counts (`term_counts`) never change once written, can be saved as plain arrays and
memory-mapped back, and any list of such segments plus a mask of live documents is scored by
`BM25Scorer`, which recomputes document frequencies and the average length over live documents.

Scores equal bm25s 0.3.16's defaults (method "lucene", k1=1.5, b=0.75, tokenised with
`bm25s.tokenize(texts, stopwords="en")`), computed in float64:
    idf(t)     = ln(1 + (N - df + 0.5) / (df + 0.5))
    score(d,t) = idf(t) * tf / (tf + k1 * (1 - b + b * len(d) / avglen))
where N, df and avglen count live documents, len(d) counts d's tokens after stopword removal,
and a term repeated in the query counts once per repetition. Term ids are 62-bit hashes; two
distinct terms colliding is possible in principle (about n^2 / 2^63 for n distinct terms).

Pure functions over arrays: no I/O, no hidden state.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from typing import Sequence

import numpy as np
from bm25s.stopwords import STOPWORDS_EN

from .errors import HippoError

_SPLIT = re.compile(r"(?u)\b\w\w+\b").findall  # bm25s.tokenize's default token_pattern
_STOPWORDS = frozenset(STOPWORDS_EN)  # what bm25s uses for stopwords="en"
_ID_MASK = (1 << 62) - 1


def tokenize(text: str) -> list[str]:
    """The tokens bm25s.tokenize(texts, stopwords="en") yields for `text`: lowercased words of
    two or more word characters, English stopwords removed."""
    return [token for token in _SPLIT(text.lower()) if token not in _STOPWORDS]


def term_ids(tokens: Sequence[str]) -> np.ndarray:
    """A stable id per token: the first 8 bytes of blake2b over its UTF-8, masked to 62 bits.

    The same in every process and Python version (unlike hash()), so ids written by one run
    can be matched by another.
    """
    if not tokens:
        return np.zeros(0, dtype=np.int64)
    digests = b"".join(hashlib.blake2b(t.encode("utf-8"), digest_size=8).digest() for t in tokens)
    return (np.frombuffer(digests, dtype="<u8") & np.uint64(_ID_MASK)).astype(np.int64)


@dataclass(frozen=True, eq=False)  # arrays: compare by identity, not elementwise
class TermCounts:
    """Per-document term counts of one segment, CSR-like: document i's sorted unique term ids
    are terms[indptr[i]:indptr[i+1]], with their counts alongside; lengths are token counts.

    Plain arrays, so a segment saves to .npy files and loads back memory-mapped.
    """

    indptr: np.ndarray  # int64, n_docs + 1
    terms: np.ndarray  # int64, sorted within each document
    counts: np.ndarray  # int32
    lengths: np.ndarray  # int64, tokens per document (after stopword removal)

    @property
    def n_docs(self) -> int:
        return len(self.indptr) - 1


def term_counts(texts: Sequence[str]) -> TermCounts:
    """Tokenise, hash and count each text; vectorised apart from the per-token hashing."""
    token_lists = [tokenize(text) for text in texts]
    lengths = np.fromiter((len(tokens) for tokens in token_lists), dtype=np.int64, count=len(token_lists))
    ids = term_ids([token for tokens in token_lists for token in tokens])
    docs = np.repeat(np.arange(len(token_lists), dtype=np.int64), lengths)
    order = np.lexsort((ids, docs))
    ids, docs = ids[order], docs[order]
    new = np.ones(len(ids), dtype=bool)
    new[1:] = (ids[1:] != ids[:-1]) | (docs[1:] != docs[:-1])
    starts = np.flatnonzero(new)
    counts = np.diff(np.append(starts, len(ids))).astype(np.int32)
    indptr = np.zeros(len(token_lists) + 1, dtype=np.int64)
    np.cumsum(np.bincount(docs[starts], minlength=len(token_lists)), out=indptr[1:])
    return TermCounts(indptr, ids[starts], counts, lengths)


def _ranges(starts: np.ndarray, ends: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """All positions in [starts[i], ends[i]) concatenated, and each range's length."""
    lengths = ends - starts
    offsets = np.cumsum(lengths) - lengths
    return np.repeat(starts - offsets, lengths) + np.arange(int(lengths.sum()), dtype=np.int64), lengths


class BM25Scorer:
    """BM25 over segments of TermCounts (in order) restricted to the documents marked live.

    Built once: postings of live documents are grouped by term (a stable argsort, O(nnz log
    nnz)) and each posting's BM25 weight is precomputed, so a query costs the postings of its
    terms plus the O(n_docs) output vector.
    """

    def __init__(
        self, segments: Sequence[TermCounts], live: np.ndarray | None = None, k1: float = 1.5, b: float = 0.75
    ) -> None:
        self.n_docs = sum(segment.n_docs for segment in segments)
        live = np.ones(self.n_docs, dtype=bool) if live is None else np.asarray(live)
        if live.shape != (self.n_docs,) or live.dtype != np.bool_:
            raise HippoError(f"live mask must be {self.n_docs} booleans, got {live.dtype} of shape {live.shape}")
        lengths = np.concatenate([np.asarray(s.lengths, dtype=np.int64) for s in segments] or [np.zeros(0, np.int64)])
        terms, docs, tfs = [], [], []
        offset = 0
        for segment in segments:
            per_doc = np.diff(np.asarray(segment.indptr, dtype=np.int64))
            terms.append(np.asarray(segment.terms, dtype=np.int64))
            docs.append(np.repeat(np.arange(offset, offset + segment.n_docs, dtype=np.int64), per_doc))
            tfs.append(np.asarray(segment.counts, dtype=np.float64))
            offset += segment.n_docs
        all_terms = np.concatenate(terms or [np.zeros(0, np.int64)])
        all_docs = np.concatenate(docs or [np.zeros(0, np.int64)])
        all_tfs = np.concatenate(tfs or [np.zeros(0)])
        keep = live[all_docs]
        all_terms, all_docs, all_tfs = all_terms[keep], all_docs[keep], all_tfs[keep]
        order = np.argsort(all_terms, kind="stable")  # documents stay ascending within a term
        all_terms, self.docs, all_tfs = all_terms[order], all_docs[order], all_tfs[order]

        new = np.ones(len(all_terms), dtype=bool)
        new[1:] = all_terms[1:] != all_terms[:-1]
        firsts = np.flatnonzero(new)
        self.terms = all_terms[firsts]  # sorted unique term ids
        self.starts = np.append(firsts, len(all_terms)).astype(np.int64)  # postings of term i
        df = np.diff(self.starts).astype(np.float64)
        self.n_live = int(live.sum())
        self.avgdl = float(lengths[live].mean()) if self.n_live else 0.0
        idf = np.log(1.0 + (self.n_live - df + 0.5) / (df + 0.5))
        doc_len = lengths[self.docs].astype(np.float64)
        norm = k1 * ((1.0 - b) + b * doc_len / self.avgdl) if len(doc_len) else doc_len
        self.weights = np.repeat(idf, np.diff(self.starts)) * all_tfs / (norm + all_tfs)

    def scores_for_ids(self, ids: np.ndarray) -> np.ndarray:
        """Scores for a query given as term ids (repeats count once each)."""
        scores = np.zeros(self.n_docs, dtype=np.float64)
        if not len(ids) or not len(self.terms):
            return scores
        unique, repeats = np.unique(np.asarray(ids, dtype=np.int64), return_counts=True)
        where = np.searchsorted(self.terms, unique)
        found = where < len(self.terms)
        found[found] = self.terms[where[found]] == unique[found]
        where, repeats = where[found], repeats[found]
        positions, lengths = _ranges(self.starts[where], self.starts[where + 1])
        weights = self.weights[positions] * np.repeat(repeats, lengths)
        # each document appears once per term, so several times overall: sum them
        np.add.at(scores, self.docs[positions], weights)
        return scores

    def scores(self, query: str) -> np.ndarray:
        """BM25 score of every document for `query` (float64; 0 for dead documents)."""
        return self.scores_for_ids(term_ids(tokenize(query)))
