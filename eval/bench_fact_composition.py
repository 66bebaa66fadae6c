"""Issue 12, "encode fewer strings": can a fact's vector be composed instead of encoded?

A fact is embedded as "subject relation object". Its subject and object are phrases whose
vectors the index already holds, and relations repeat (29,497 spaCy facts on musique_100 have
4,386 distinct relations), so normalise(ws * v(subject) + wr * v(relation) + wo * v(object))
would save most of the fact encoding (38 s of a 114 s spaCy build in eval/speed.md). This
script measures what it costs in recall: on each benchmark index it swaps the facts' search
for an exact search over composed vectors (relations encoded with the bundled MiniLM) and
prints Recall@1/2/5/10/20 of the default mode beside the real vectors', plus the composed
vectors' cosine to the real ones.

    .venv/bin/python eval/bench_fact_composition.py      # writes eval/fact_composition.md

Opens the indexes `make bench` builds (indexes/musique_100-spacy, hotpotqa_100-spacy,
musique_100-gpt35-openie) read-only.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import Any

import numpy as np

from hipporag_like.embedding import SentenceTransformerEmbedder
from hipporag_like.evaluation.datasets import load_dataset
from hipporag_like.evaluation.metrics import mean_recall
from hipporag_like.index import Index
from hipporag_like.vectorstore.base import as_pairs, merge_hits

ROOT = Path(__file__).resolve().parent.parent
DATA = Path(os.environ.get("HIPPORAG_DATASETS", ROOT.parent / "shared" / "datasets"))
RUNS = [("musique_100-spacy", "musique_100"), ("hotpotqa_100-spacy", "hotpotqa_100"), ("musique_100-gpt35-openie", "musique_100")]
WEIGHTS = {"s + r + o": (1.0, 1.0, 1.0), "s + 0.5 r + o": (1.0, 0.5, 1.0)}
KS = (1, 2, 5, 10, 20)
TITLE_LINK = "mentions"  # the relation of the spaCy extractor's title-link facts


def stored(index: Index, kind: str) -> np.ndarray:
    return np.concatenate([np.asarray(s.vectors(kind), dtype=np.float32) for s in index.version.segments if s.counts[kind]])


def recall_row(index: Index, questions: list[Any]) -> str:
    rankings = [[p.id for p in index.retrieve(q.text, k=max(KS)).passages] for q in questions]
    found = mean_recall(rankings, [q.gold_ids for q in questions], KS)
    return " / ".join(f"{found[k]:.1f}" for k in KS)


def composed_search(store: Any, composed: np.ndarray) -> Any:
    """The store's search, with the facts' collection answered exactly from `composed`."""
    original = store.search

    def search(collection: str, vector: np.ndarray, limit: int, *, live: np.ndarray | None = None,
               score_threshold: float | None = None) -> list[tuple[int, float]]:
        if collection != "facts":
            return original(collection, vector, limit, live=live, score_threshold=score_threshold)
        scores = composed @ np.asarray(vector, dtype=np.float32)
        if live is not None:
            scores = np.where(np.asarray(live), scores, -np.inf)
        top = np.argpartition(-scores, min(limit, len(scores) - 1))[:limit]
        return as_pairs(*merge_hits([(top.astype(np.int64), scores[top].astype(np.float64))], limit))

    return search


HEADER = """# Composed fact vectors (issue 12: encode fewer strings)

Each fact's vector composed as normalise(ws v(subject) + wr v(relation) + wo v(object)) from the
stored phrase vectors and the encoded distinct relations, against the encoded "subject relation
object" vectors; default mode (hybrid), 100 questions per set. Reproduce:
`.venv/bin/python eval/bench_fact_composition.py`.

| index | fact vectors | R@1 / 2 / 5 / 10 / 20 | mean cosine to the encoded vector |
|---|---|---|---:|
"""
FOOTER = """
Verdict: not adopted. The issue allows 0.5 point; composition costs 2.5 points of R@5 on
musique_100 with spaCy and 0.5 to 1.2 points of R@10 on every set. A fact's meaning is more
than the sum of its parts' vectors (the mean cosine to the encoded vector is only 0.74 to 0.81).

Half of the spaCy facts are title links, "(title, mentions, entity)", whose relation never
varies: they looked like the safest to compose (2026-11-30). They are not. Composing only them
costs musique_100 2 to 3 points of R@5, and leaving them out of the fact search costs 4 points
of R@2: on MuSiQue they are among the seeds that matter most.
"""


def main() -> int:
    model = SentenceTransformerEmbedder()
    lines = [HEADER.rstrip("\n")]

    def emit(line: str) -> None:
        print(line, flush=True)
        lines.append(line)

    for name, dataset in RUNS:
        with Index.open(ROOT / "indexes" / name) as index:
            questions = load_dataset(DATA / dataset).questions
            tables, version = index.version.tables, index.version
            facts, phrases = stored(index, "facts"), stored(index, "phrases")
            relations = [str(version.line("facts", row)[1]) for row in range(len(facts))]
            distinct = sorted(set(relations))
            relation_vectors = model.embed(distinct)
            position = {r: i for i, r in enumerate(distinct)}
            rows = np.array([position[r] for r in relations], dtype=np.int64)
            subject, obj = np.asarray(tables.fact_subject), np.asarray(tables.fact_object)
            emit(f"| {name} ({len(facts):,} facts, {len(distinct):,} relations) | encoded | {recall_row(index, questions)} | 1.000 |")
            store = index.retriever.store
            original = store.search
            for label, (ws, wr, wo) in WEIGHTS.items():
                composed = ws * phrases[subject] + wr * relation_vectors[rows] + wo * phrases[obj]
                composed /= np.linalg.norm(composed, axis=1, keepdims=True)
                store.search = composed_search(store, composed)
                try:
                    row = recall_row(index, questions)
                finally:
                    store.search = original
                emit(f"| | composed, {label} | {row} | {float((composed * facts).sum(axis=1).mean()):.3f} |")
            spacy = str(version.manifest["extractor"]["fingerprint"]).startswith("spacy:")
            links = np.array([spacy and r == TITLE_LINK for r in relations])
            if links.any():  # the spaCy extractor's (title, mentions, entity) facts: a fixed relation
                for label, (ws, wr, wo) in WEIGHTS.items():
                    part = ws * phrases[subject[links]] + wr * relation_vectors[rows[links]] + wo * phrases[obj[links]]
                    composed = facts.copy()
                    composed[links] = part / np.linalg.norm(part, axis=1, keepdims=True)
                    store.search = composed_search(store, composed)
                    try:
                        row = recall_row(index, questions)
                    finally:
                        store.search = original
                    cosine = float((composed[links] * facts[links]).sum(axis=1).mean())
                    emit(f"| | only the {int(links.sum()):,} title links composed, {label} | {row} | {cosine:.3f} (theirs) |")
                retriever = index.retriever
                live = retriever.fact_live
                retriever.fact_live = live & ~links
                try:
                    emit(f"| | title links left out of the fact search | {recall_row(index, questions)} | |")
                finally:
                    retriever.fact_live = live
    (ROOT / "eval" / "fact_composition.md").write_text("\n".join(lines) + "\n" + FOOTER, encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
