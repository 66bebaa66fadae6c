"""Issue 9: measure `hybrid` against `hybrid-2hop` variants on built benchmark indexes.

    .venv/bin/python eval/bench_second_hop.py                 # every run, every variant
    .venv/bin/python eval/bench_second_hop.py musique_100-gpt35-openie

Each run is (index folder under indexes/, dataset folder, OpenIE file or None). An index is
built by `hipporag-like eval` the first time (see TUNING.md for the commands); this script
only opens it. Variants override [retrieval] keys; each is one row of Recall@1/2/5/10/20.
"""

from __future__ import annotations

import json
import os
import sys
from dataclasses import replace
from pathlib import Path

from hipporag_like.config import RetrievalConfig
from hipporag_like.evaluation.datasets import load_dataset
from hipporag_like.evaluation.metrics import mean_recall
from hipporag_like.index import Index

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
DATA = Path(os.environ.get("HIPPORAG_DATASETS", ROOT.parent / "shared" / "datasets"))

RUNS = {
    "musique_100-gpt35-openie": "musique_100",
    "musique_100-spacy-rules3": "musique_100",
    "hotpotqa_100-spacy-rules3": "hotpotqa_100",
    "musique_100-spacy": "musique_100",  # rules-1, the benchmark index
    "hotpotqa_100-spacy": "hotpotqa_100",
}

# (label, mode, [retrieval] overrides)
VARIANTS: list[tuple[str, str, dict]] = [
    ("hybrid", "hybrid", {}),
    ("2hop (defaults: p5 f3 w1 keep1 chain residual)", "hybrid-2hop", {}),
    ("2hop keep0", "hybrid-2hop", {"second_hop_keep": 0}),
    ("2hop keep2", "hybrid-2hop", {"second_hop_keep": 2}),
    ("2hop no chain", "hybrid-2hop", {"second_hop_chain": False}),
    ("2hop no residual", "hybrid-2hop", {"second_hop_residual": False}),
    ("2hop w2", "hybrid-2hop", {"second_hop_weight": 2.0}),
    ("2hop w4", "hybrid-2hop", {"second_hop_weight": 4.0}),
    ("2hop f5", "hybrid-2hop", {"second_hop_facts": 5}),
    ("2hop p3", "hybrid-2hop", {"second_hop_passages": 3}),
    ("2hop titles only", "hybrid-2hop", {"second_hop_titles": True}),
    ("2hop titles only, w2", "hybrid-2hop", {"second_hop_titles": True, "second_hop_weight": 2.0}),
]
KS = (1, 2, 5, 10, 20)


def measure(index: Index, questions, mode: str, config: RetrievalConfig) -> dict[int, float]:
    index.retriever.config = config
    rankings = [[p.id for p in index.retrieve(q.text, k=max(KS), mode=mode).passages] for q in questions]
    recall = mean_recall(rankings, [q.gold_ids for q in questions], KS)
    return {k: round(v, 1) for k, v in recall.items()}


def main(names: list[str]) -> int:
    only = os.environ.get("VARIANTS")  # e.g. VARIANTS=0,1: a subset, by position
    variants = [VARIANTS[int(i)] for i in only.split(",")] if only else VARIANTS
    rows = []
    for name in names or list(RUNS):
        folder = ROOT / "indexes" / name
        if not folder.is_dir():
            print(f"{name}: no index at {folder}, skipped", file=sys.stderr)
            continue
        dataset = load_dataset(DATA / RUNS[name])
        with Index.open(folder) as index:
            base = index.retriever.config
            for label, mode, overrides in variants:
                recall = measure(index, dataset.questions, mode, replace(base, **overrides))
                rows.append({"run": name, "variant": label, "recall": recall})
                print(f"| {name} | {label} | " + " | ".join(f"{recall[k]:.1f}" for k in KS) + " |", flush=True)
    (HERE / "runs").mkdir(exist_ok=True)
    (HERE / "runs" / f"second_hop-{'+'.join(names) or 'all'}.json").write_text(json.dumps(rows, indent=1), encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
