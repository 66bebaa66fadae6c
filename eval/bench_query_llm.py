"""Issue 9: measure HippoRAG 2's LLM query paths against any OpenAI-compatible server.

    .venv/bin/python eval/bench_query_llm.py --index indexes/musique_100-gpt35-openie \\
        --dataset ../shared/datasets/musique_100 --base-url http://localhost:8000/v1 --model Qwen/Qwen2.5-7B-Instruct

No model weights can be fetched where this project is built, so these rows have not been
measured here; the script is tested end to end against the tests' stand-in server
(tests/test_bench_query_llm.py). It opens a built index (see TUNING.md for how the benchmark
indexes are built), runs each variant on the dataset's questions and prints Recall@1/2/5/10/20,
LLM calls, cache hits and seconds per query as a markdown table (also written to --out).
Replies are cached in the usual cache folder, so a second run costs no calls.
"""

from __future__ import annotations

import argparse
import sys
import time
from dataclasses import replace
from pathlib import Path

from hipporag_like.config import ReaderConfig
from hipporag_like.evaluation.datasets import load_dataset
from hipporag_like.evaluation.metrics import mean_recall
from hipporag_like.index import Index

KS = (1, 2, 5, 10, 20)
# (label, mode, [retrieval] overrides)
VARIANTS = [
    ("hybrid (no LLM)", "hybrid", {}),
    ("hybrid + fact filter", "hybrid", {"fact_filter": "llm"}),
    ("hybrid-2hop (no LLM)", "hybrid-2hop", {}),
    ("hybrid-2hop + decomposition", "hybrid-2hop", {"decompose": "llm"}),
    ("hybrid-2hop + fact filter + decomposition", "hybrid-2hop", {"fact_filter": "llm", "decompose": "llm"}),
]


def run(index_dir: Path, dataset_dir: Path, base_url: str, model: str, limit: int | None) -> list[str]:
    questions = load_dataset(dataset_dir).questions[:limit]
    reader = ReaderConfig(kind="openai", model=model, base_url=base_url)
    with Index.open(index_dir) as plain:
        base = plain.config.retrieval
    header = ["| variant | " + " | ".join(f"R@{k}" for k in KS) + " | LLM calls | cache hits | s / query |",
              "|---|" + "---:|" * (len(KS) + 3)]
    rows = []
    for label, mode, overrides in VARIANTS:
        with Index.open(index_dir, retrieval=replace(base, **overrides), reader=reader) as index:
            started = time.perf_counter()
            rankings = [[p.id for p in index.retrieve(q.text, k=max(KS), mode=mode).passages] for q in questions]
            seconds = (time.perf_counter() - started) / max(len(questions), 1)
            log = index.query_llm.log if index.query_llm is not None else None
            recall = mean_recall(rankings, [q.gold_ids for q in questions], KS)
            rows.append(f"| {label} | " + " | ".join(f"{recall[k]:.1f}" for k in KS)
                        + f" | {log.calls if log else 0} | {log.cache_hits if log else 0} | {seconds:.3f} |")
        print(rows[-1], file=sys.stderr, flush=True)
    return header + rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--index", type=Path, required=True, help="a built index of the dataset's corpus")
    parser.add_argument("--dataset", type=Path, required=True, help="a dataset folder (musique/hotpotqa/2wiki format)")
    parser.add_argument("--base-url", required=True, help="OpenAI-compatible server, e.g. http://localhost:8000/v1")
    parser.add_argument("--model", required=True)
    parser.add_argument("--limit", type=int, help="only the first N questions")
    parser.add_argument("--out", type=Path, help="also write the table to this markdown file")
    args = parser.parse_args()
    table = "\n".join(run(args.index, args.dataset, args.base_url, args.model, args.limit)) + "\n"
    print(table)
    if args.out:
        args.out.write_text(f"# LLM query paths: {args.model} on {args.dataset.name}\n\n{table}", encoding="utf-8")


if __name__ == "__main__":
    main()
