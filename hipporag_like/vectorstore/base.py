"""The protocol the index needs from a vector store.

Vectors are grouped by immutable segment (`segments.py`); inside a segment, a point's id is its
row there, and the store answers in global rows (the segment's first row plus the point id), so
callers never see a backend's ids. A store is opened over a version's segments in order;
`add_segment` makes a just-written segment searchable; `retire` forgets segments no kept version
lists. The canonical vectors stay in the segment files; a store holds a searchable copy.
"""

from __future__ import annotations

from typing import Any, Callable, Iterable, Protocol, Sequence

import numpy as np

from ..segments import Segment

COLLECTIONS = ("passages", "phrases", "facts")
# A segment no kept version lists: its name and, per collection, the SHA-256 of its vector file.
RetiredSegment = tuple[str, dict[str, str]]


class VectorStore(Protocol):
    def add_segment(self, segment: Segment) -> None:
        """Make a segment's vectors searchable, after the segments already held."""
        ...

    def search(self, collection: str, vector: np.ndarray, limit: int, *, live: np.ndarray | None = None,
               score_threshold: float | None = None) -> list[tuple[int, float]]:
        """(global row, cosine) pairs, best first: only rows where `live` is true, and only
        those at or above `score_threshold` when given."""
        ...

    def search_arrays(self, collection: str, vector: np.ndarray, limit: int, *, live: np.ndarray | None = None,
                      score_threshold: float | None = None) -> tuple[np.ndarray, np.ndarray]:
        """`search` as two arrays (int64 rows, float64 cosines): no Python tuple per hit, for
        callers that take hundreds of hits per query (dense passage scores)."""
        ...

    def count(self, collection: str) -> int:
        """Points held for this collection over all segments (dead rows included)."""
        ...

    def retire(self, segments: Iterable[RetiredSegment]) -> None:
        """Forget segments that no kept version lists (their folders are gone or going)."""
        ...

    def close(self) -> None: ...


def segment_hits(start: int, points: Sequence[Any], live: np.ndarray | None) -> tuple[np.ndarray, np.ndarray]:
    """A backend's scored points (`.id` = row in the segment, `.score`) as global rows and
    scores, dead rows dropped."""
    rows = np.fromiter((p.id for p in points), dtype=np.int64, count=len(points)) + start
    scores = np.fromiter((p.score for p in points), dtype=np.float64, count=len(points))
    if live is None:
        return rows, scores
    keep = live[rows]
    return rows[keep], scores[keep]


def merge_hits(per_segment: Iterable[tuple[np.ndarray, np.ndarray]], limit: int) -> tuple[np.ndarray, np.ndarray]:
    """Best `limit` hits over segments, ties broken by row (stable and repeatable)."""
    parts = list(per_segment)
    if not parts:
        return np.zeros(0, np.int64), np.zeros(0, np.float64)
    rows = np.concatenate([r for r, _ in parts])
    scores = np.concatenate([s for _, s in parts])
    order = np.lexsort((rows, -scores))[:limit]
    return rows[order], scores[order]


def as_pairs(rows: np.ndarray, scores: np.ndarray) -> list[tuple[int, float]]:
    return list(zip(rows.tolist(), scores.tolist()))


def search_live(ask: Callable[[int], Sequence[Any]], start: int, size: int, limit: int,
                live: np.ndarray | None) -> tuple[np.ndarray, np.ndarray]:
    """The best `limit` live hits of one segment, exactly, from `ask(n)` (its best n points).

    Asks for the limit plus up to as many again when the segment has dead rows, and only if
    fewer than `limit` of those are live, asks again for enough that the filter cannot empty it
    (limit + every dead row). Why: asking for limit + dead at once made an HNSW shard explore
    over a thousand candidates per query after a delete of 100 passages."""
    dead = 0 if live is None else size - int(np.count_nonzero(live[start : start + size]))
    first = min(size, limit + min(dead, limit))
    rows, scores = segment_hits(start, ask(first), live)
    enough = min(size, limit + dead)
    if len(rows) < limit and first < enough:
        rows, scores = segment_hits(start, ask(enough), live)
    return rows, scores