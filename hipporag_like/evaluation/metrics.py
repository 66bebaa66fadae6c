"""Retrieval and answer metrics, as pure functions."""

from __future__ import annotations

import re
import string
from collections import Counter
from typing import Sequence

import numpy as np

RECALL_KS = (1, 2, 5, 10, 20)


def recall_at_k(ranked_ids: Sequence[str], gold_ids: Sequence[str], k: int) -> float:
    """Share of the gold passages found in the first k results (0..1)."""
    if not gold_ids:
        raise ValueError("a question needs at least one gold passage")
    top = set(ranked_ids[:k])
    return sum(1 for g in set(gold_ids) if g in top) / len(set(gold_ids))


def mean_recall(rankings: Sequence[Sequence[str]], golds: Sequence[Sequence[str]], ks: Sequence[int] = RECALL_KS) -> dict[int, float]:
    """Recall@k averaged over questions, in percent."""
    return {k: 100.0 * float(np.mean([recall_at_k(r, g, k) for r, g in zip(rankings, golds)])) for k in ks}


def normalize_answer(text: str) -> str:
    """SQuAD normalisation: lower case, no punctuation, no articles, single spaces."""
    text = text.lower()
    text = "".join(ch for ch in text if ch not in set(string.punctuation))
    text = re.sub(r"\b(a|an|the)\b", " ", text)
    return " ".join(text.split())


def exact_match(prediction: str, answers: Sequence[str]) -> float:
    return float(any(normalize_answer(prediction) == normalize_answer(a) for a in answers))


def f1_score(prediction: str, answers: Sequence[str]) -> float:
    """Best token-overlap F1 against any of the gold answers."""
    best = 0.0
    predicted = normalize_answer(prediction).split()
    for answer in answers:
        gold = normalize_answer(answer).split()
        common = Counter(predicted) & Counter(gold)
        overlap = sum(common.values())
        if overlap == 0:
            continue
        precision, recall = overlap / len(predicted), overlap / len(gold)
        best = max(best, 2 * precision * recall / (precision + recall))
    return best


def latency_summary(seconds: Sequence[float]) -> dict[str, float]:
    ms = np.asarray(seconds, dtype=np.float64) * 1000.0
    return {"mean": round(float(ms.mean()), 2), "p50": round(float(np.percentile(ms, 50)), 2), "p95": round(float(np.percentile(ms, 95)), 2)}
