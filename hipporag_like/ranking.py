"""Pure ranking kernels: seed weighting and score fusion. Arrays in, arrays out."""

from __future__ import annotations

from typing import Sequence

import numpy as np


def min_max(scores: np.ndarray) -> np.ndarray:
    """Rescale to [0, 1]; a constant vector becomes all ones (every entry equally good)."""
    scores = np.asarray(scores, dtype=np.float64)
    if scores.size == 0:
        return scores
    low, high = scores.min(), scores.max()
    if high - low < 1e-12:
        return np.ones_like(scores)
    return (scores - low) / (high - low)


def fact_phrase_weights(
    fact_hits: Sequence[tuple[int, float]],
    fact_phrases: Sequence[tuple[int, int]],
    specificity: np.ndarray,
) -> np.ndarray:
    """HippoRAG-2 seeding: each retrieved fact gives its subject and object phrase its score
    times the phrase's specificity; a phrase reached by several facts gets the mean.

    Args:
        fact_hits: (fact index, similarity) of the retrieved facts.
        fact_phrases: per fact, (subject phrase index, object phrase index).
        specificity: per phrase, 1 / number of passages that mention it.
    """
    weights = np.zeros(len(specificity), dtype=np.float64)
    occurrences = np.zeros(len(specificity), dtype=np.float64)
    for fact, score in fact_hits:
        for phrase in set(fact_phrases[fact]):
            weights[phrase] += max(score, 0.0) * specificity[phrase]
            occurrences[phrase] += 1
    seen = occurrences > 0
    weights[seen] /= occurrences[seen]
    return weights


def keep_top(values: np.ndarray, k: int) -> np.ndarray:
    """`values` with all but the k largest set to 0 (ties at the cut kept); k = 0 keeps all."""
    values = np.asarray(values, dtype=np.float64)
    if k <= 0 or np.count_nonzero(values) <= k:
        return values
    cut = np.partition(values, len(values) - k)[len(values) - k]
    return np.where(values >= cut, values, 0.0)


def top_k(scores: np.ndarray, k: int) -> np.ndarray:
    """Indices of the k best scores, best first, ties broken by index (stable)."""
    n = len(scores)
    k = min(k, n)
    if k <= 0:
        return np.zeros(0, dtype=np.int64)
    if k * 8 < n:
        # Select first (O(n)), then sort only what is at or above the k-th best score: the same
        # answer as the full stable sort, without sorting a 100,000-passage array per query.
        cut = np.partition(scores, n - k)[n - k]
        candidates = np.flatnonzero(scores >= cut)
        return candidates[np.argsort(-scores[candidates], kind="stable")][:k]
    order = np.argsort(-scores, kind="stable")
    return order[:k]
