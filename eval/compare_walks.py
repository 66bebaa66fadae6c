"""Exact PPR (igraph PRPACK) against forward push on the benchmark sets, default mode.

The bar for making push the default walk everywhere: Recall@k within 0.5 point of exact, and
the same top 10 on at least 99% of questions. Reuses (or builds) the indexes `make bench`
uses. Writes eval/walks.md. Run: .venv/bin/python eval/compare_walks.py [--epsilon 1e-6 ...]
"""

from __future__ import annotations

import argparse
import os
import platform
import sys
import time
from dataclasses import replace
from pathlib import Path

import numpy as np

from hipporag_like.config import PipelineConfig
from hipporag_like.evaluation.datasets import load_dataset
from hipporag_like.evaluation.metrics import mean_recall
from hipporag_like.evaluation.runner import evaluate
from hipporag_like.index import Index

from run_benchmarks import DATA, HERE, ROOT, RUNS  # the same sets and index folders as `make bench`


def rankings(index_dir: Path, config: PipelineConfig, ppr: str, epsilon: float, questions: list) -> tuple[list[list[str]], float]:
    retrieval = replace(config.retrieval, ppr=ppr, push_epsilon=epsilon)
    with Index.open(index_dir, retrieval=retrieval) as index:
        vectors = {q.text: index.embedder.embed([q.text])[0] for q in questions}  # encoding excluded from timing
        index.retriever.embedder = _Fixed(index.embedder, vectors)
        out, started = [], time.perf_counter()
        for question in questions:
            out.append([p.id for p in index.retrieve(question.text, k=20).passages])
        return out, (time.perf_counter() - started) * 1000 / len(questions)


class _Fixed:
    """The index's embedder with the questions already encoded."""

    def __init__(self, inner, vectors: dict) -> None:
        self.inner, self.vectors = inner, vectors
        self.fingerprint, self.dim = inner.fingerprint, inner.dim

    def embed(self, texts):
        return np.stack([self.vectors[t] if t in self.vectors else self.inner.embed([t])[0] for t in texts])


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--epsilon", type=float, action="append", help="push residual threshold (repeatable; default 1e-5, 1e-6, 1e-7)")
    args = parser.parse_args()
    epsilons = args.epsilon or [1e-5, 1e-6, 1e-7]
    lines = ["| set | walk | R@2 | R@5 | R@10 | same top 10 | ms / query (no encoding) |", "|---|---|---:|---:|---:|---:|---:|"]
    for name, dataset_name, openie in RUNS:
        config = PipelineConfig()
        if openie is not None:
            config = config.with_overrides("extractor", kind="openie", openie_file=str(openie))
        index_dir = ROOT / "indexes" / name
        dataset = load_dataset(DATA / dataset_name)
        evaluate(DATA / dataset_name, config, index_dir, ["dense"])  # builds the index only if it is missing or stale
        gold = [q.gold_ids for q in dataset.questions]
        exact, exact_ms = rankings(index_dir, config, "exact", 1e-6, dataset.questions)
        recall = mean_recall(exact, gold)
        lines.append(f"| {name} | exact (PRPACK) | {recall[2]:.1f} | {recall[5]:.1f} | {recall[10]:.1f} | - | {exact_ms:.1f} |")
        for epsilon in epsilons:
            pushed, push_ms = rankings(index_dir, config, "push", epsilon, dataset.questions)
            recall = mean_recall(pushed, gold)
            same = 100 * np.mean([a[:10] == b[:10] for a, b in zip(exact, pushed)])
            lines.append(f"| {name} | push, epsilon {epsilon:g} | {recall[2]:.1f} | {recall[5]:.1f} | {recall[10]:.1f} | {same:.0f}% | {push_ms:.1f} |")
        print(lines[-1], flush=True)
    text = (
        "# Exact PPR against forward push (default mode, hybrid)\n\n"
        f"{platform.machine()}, {os.cpu_count()} cores, {time.strftime('%Y-%m-%d')}; 100 questions per set, question encoding "
        "excluded from the per-query time. Reproduce: `.venv/bin/python eval/compare_walks.py`.\n\n" + "\n".join(lines) + "\n"
    )
    (HERE / "walks.md").write_text(text, encoding="utf-8")
    print(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
