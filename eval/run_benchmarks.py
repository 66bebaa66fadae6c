"""Rerun the committed benchmarks (`make bench`): every retrieval mode side by side on
musique_100 with GPT-3.5 triples, musique_100 with the no-LLM extractor, and hotpotqa_100
with the no-LLM extractor. Writes eval/<run>/results.{json,md} and recall.png, and
eval/README.md with all tables. Data is read from ../shared/datasets (or $HIPPORAG_DATASETS).
"""

from __future__ import annotations

import os
import platform
import sys
import time
from pathlib import Path

from hipporag_like.config import PipelineConfig
from hipporag_like.evaluation.report import markdown_table, write_report
from hipporag_like.evaluation.runner import evaluate
from hipporag_like.progress import Progress

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
DATA = Path(os.environ.get("HIPPORAG_DATASETS", ROOT.parent / "shared" / "datasets"))

RUNS = [
    ("musique_100-gpt35-openie", "musique_100", DATA / "musique_100" / "openie_gpt-3.5-turbo-1106.json"),
    ("musique_100-spacy", "musique_100", None),
    ("hotpotqa_100-spacy", "hotpotqa_100", None),
]


def main() -> int:
    if not DATA.is_dir():
        print(f"error: {DATA}: benchmark data not found (set HIPPORAG_DATASETS)", file=sys.stderr)
        return 2
    sections = []
    for name, dataset, openie in RUNS:
        config = PipelineConfig()
        if openie is not None:
            config = config.with_overrides("extractor", kind="openie", openie_file=str(openie))
        started = time.monotonic()
        report = evaluate(DATA / dataset, config, ROOT / "indexes" / name, progress=Progress.for_terminal(False))
        write_report(report, HERE / name, title=name)
        print(f"{name}: done in {time.monotonic() - started:.0f} s", flush=True)
        build = f"{report.index_seconds} s" if report.index_seconds is not None else "reused"
        sections.append(f"## {name}\n\nIndex build: {build}; evaluation of all modes: {report.eval_seconds} s.\n\n"
                        f"{markdown_table(report)}\n\n![{name}]({name}/recall.png)\n")
    machine = f"{platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}"
    header = (
        "# Benchmarks\n\nRecall@k (%) of every retrieval mode, 100 questions each, all-MiniLM-L6-v2 embeddings,\n"
        f"measured by `make bench` on {machine}, {time.strftime('%Y-%m-%d')}. Latency is per query, with\n"
        "the embedder warm. Index build times include extraction and embedding unless the shared cache\n"
        "already held them.\n\n"
        "The other reports of `make bench`: build and query speed in [speed.md](speed.md), the index's costs\n"
        "against its size in [scale.md](scale.md), serving under load in [serve.md](serve.md), the walks in\n"
        "[walks.md](walks.md), synonymy at scale in [synonymy.md](synonymy.md), inserts and deletes in\n"
        "[lifecycle.md](lifecycle.md), LLM extraction throughput in [extraction_throughput.md](extraction_throughput.md),\n"
        "and, from its own scripts, every variant tried for recall in [TUNING.md](TUNING.md) (the title hop's in\n"
        "[title_hop.md](title_hop.md); the LLM query paths are measured by `bench_query_llm.py` against a server you name).\n"
    )
    (HERE / "README.md").write_text(header + "\n" + "\n".join(sections), encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
