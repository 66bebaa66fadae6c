"""Cold index builds and warm queries on musique_100, against plain sentence-transformers encoding.

For each extractor (the GPT-3.5 OpenIE triples, and spaCy) this builds the index from a fresh
cache folder in a child process (so nothing is cached: not extraction, not vectors, not the
ONNX export of the question encoder) twice: with index batches kept in fp32
(HIPPORAG_LIKE_PRECISION=fp32, the encoding before bf16) and with the defaults. It reads the
child's wall time, CPU time (user + system), peak RSS and the manifest's seconds per stage, then
checks Recall@2/5/10 of the default mode and times warm `hybrid` queries end to end (question
encoding included) with the default walk (igraph PRPACK) and with `ppr = "power"`, part by part.
The yardstick is measured in the same run: sentence-transformers encoding the 1,890 passages
(`title + "\\n" + text`) on torch, fp32.

Writes eval/speed.md and eval/speed.png. Run: .venv/bin/python eval/bench_build.py
"""

from __future__ import annotations

import json
import os
import platform
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from run_benchmarks import DATA, HERE, ROOT

CHILD = r"""
import dataclasses, json, statistics, sys, time
from pathlib import Path
from hipporag_like import Index, PipelineConfig
from hipporag_like.evaluation.datasets import load_dataset
from hipporag_like.evaluation.metrics import mean_recall
job = json.loads(sys.argv[1])
if job["kind"] == "encode":
    from hipporag_like.embedding import SentenceTransformerEmbedder
    passages = load_dataset(job["data"]).passages
    model = SentenceTransformerEmbedder()
    model._model()  # load first: the yardstick is encoding alone
    started = time.monotonic()
    model.torch_embed([p.content for p in passages])
    print(json.dumps({"seconds": time.monotonic() - started}))
    sys.exit(0)
config = PipelineConfig()
if job.get("openie"):
    config = config.with_overrides("extractor", kind="openie", openie_file=job["openie"])
dataset = load_dataset(job["data"])
started = time.monotonic()
index = Index.build(dataset.passages, job["index"], config)
seconds = time.monotonic() - started
questions = [q.text for q in dataset.questions]
ranks = [[p.id for p in index.retrieve(q, k=10).passages] for q in questions]
recall = mean_recall(ranks, [q.gold_ids for q in dataset.questions])

def median_ms(samples):
    return round(1000 * statistics.median(samples), 2)

queries = {}
for walk in ("exact", "power"):
    retriever = index.retriever
    retriever.config = dataclasses.replace(retriever.config, ppr=walk)
    for q in questions[:10]:
        index.retrieve(q, k=5)
    samples = []
    for q in questions:
        t = time.perf_counter(); index.retrieve(q, k=5); samples.append(time.perf_counter() - t)
    parts = {}
    def timed(name, f, *args):
        t = time.perf_counter(); out = f(*args); parts.setdefault(name, []).append(time.perf_counter() - t); return out
    for q in questions:
        vector = timed("encode question", lambda: retriever.embedder.embed([q])[0])
        dense = timed("dense passages", retriever.dense_scores, vector)
        relevance = timed("BM25 + relevance", retriever.relevance, q, dense)
        seeds = timed("facts + seeds", retriever.fact_seeds, q, vector, dense, relevance)
        walked = timed("walk", retriever.walk, seeds.reset)
        hopped = timed("title hop", retriever.with_title_hop, walked[: retriever.n_passages], seeds)
        timed("result", retriever._result, q, "hybrid", hopped, dense, seeds, 5)
    queries[walk] = {"p50_ms": median_ms(samples), "parts_ms": {k: median_ms(v) for k, v in parts.items()}}
print(json.dumps({"seconds": seconds, "recall": {k: recall[k] for k in (2, 5, 10)}, "timings": index.manifest.get("timings", {}),
                  "queries": queries}))
"""


def run_child(job: dict, cache: Path, env_extra: dict[str, str]) -> dict:
    env = {**os.environ, "HIPPORAG_LIKE_CACHE": str(cache), "HF_HUB_OFFLINE": "1", **env_extra}
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    started = time.monotonic()
    done = subprocess.run([sys.executable, "-c", CHILD, json.dumps(job)], env=env, capture_output=True, text=True, cwd=ROOT)
    wall = time.monotonic() - started
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if done.returncode:
        raise SystemExit(f"child failed: {done.stderr[-2000:]}")
    result = json.loads(done.stdout.strip().splitlines()[-1])
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    result.update({"process_seconds": wall, "cpu_percent": 100 * cpu / wall, "peak_rss_mb": after.ru_maxrss / 1024})
    return result


STAGES = ("extract", "embed passages", "embed phrases", "embed facts", "synonymy", "vector store", "write segment", "graph arrays")
BUILDS = (
    ("GPT-3.5 triples, fp32 batches", "openie", {"HIPPORAG_LIKE_PRECISION": "fp32"}),
    ("GPT-3.5 triples", "openie", {}),
    ("spaCy, fp32 batches", None, {"HIPPORAG_LIKE_PRECISION": "fp32"}),
    ("spaCy", None, {}),
)


def main() -> int:
    raw = HERE / "runs" / "speed.json"
    if sys.argv[1:] == ["--report-only"]:  # re-render the last run's figures
        saved = json.loads(raw.read_text(encoding="utf-8"))
        return finish(saved["encode"], [tuple(row) for row in saved["rows"]])
    musique = DATA / "musique_100"
    openie = str(musique / "openie_gpt-3.5-turbo-1106.json")
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        encode = run_child({"kind": "encode", "data": str(musique)}, root / "cache-encode", {})
        print(f"plain encoding: {encode['seconds']:.1f} s", flush=True)
        for label, extractor, env in BUILDS:
            job = {"kind": "build", "data": str(musique), "openie": openie if extractor else None, "index": str(root / f"idx-{len(rows)}")}
            result = run_child(job, root / f"cache-{len(rows)}", env)
            rows.append((label, result))
            print(f"{label}: {result['seconds']:.1f} s build, {result['cpu_percent']:.0f}% CPU, recall {result['recall']}, "
                  f"queries {result['queries']}", flush=True)
    raw.parent.mkdir(exist_ok=True)
    raw.write_text(json.dumps({"encode": encode, "rows": rows}, indent=1), encoding="utf-8")
    return finish(encode, rows)


def finish(encode: dict, rows: list[tuple[str, dict]]) -> int:
    text = report(encode, rows)
    (HERE / "speed.md").write_text(text, encoding="utf-8")
    write_png(rows, HERE / "speed.png")
    print(text)
    return 0


def report(encode: dict, rows: list[tuple[str, dict]]) -> str:
    load = os.getloadavg()
    build = [
        "| build (cold cache) | seconds | x plain encoding | CPU % of one core | peak RSS MB | R@2 | R@5 | R@10 |",
        "|---|---:|---:|---:|---:|---:|---:|---:|",
        f"| plain sentence-transformers encoding of the 1,890 passages (fp32) | {encode['seconds']:.1f} | 1.00 | "
        f"{encode['cpu_percent']:.0f} | {encode['peak_rss_mb']:.0f} | | | |",
    ]
    for label, r in rows:
        rec = r["recall"]
        build.append(f"| musique_100, {label} | {r['seconds']:.1f} | {r['seconds'] / encode['seconds']:.2f} | {r['cpu_percent']:.0f} | "
                     f"{r['peak_rss_mb']:.0f} | {rec['2']:.1f} | {rec['5']:.1f} | {rec['10']:.1f} |")
    stages = ["| build | " + " | ".join(STAGES) + " | total |", "|---|" + "---:|" * (len(STAGES) + 1)]
    for label, r in rows:
        stages.append(f"| {label} | " + " | ".join(f"{r['timings'].get(s, 0.0):.1f}" for s in STAGES) + f" | {r['seconds']:.1f} |")
    parts = list(rows[-1][1]["queries"]["power"]["parts_ms"])
    queries = ["| index | walk | p50 end to end (ms) | " + " | ".join(parts) + " |", "|---|---|---:|" + "---:|" * len(parts)]
    for label, r in rows:
        if "fp32" in label:
            continue
        for walk, q in r["queries"].items():
            name = "igraph PRPACK (default)" if walk == "exact" else "power iteration (`ppr = \"power\"`)"
            queries.append(f"| musique_100, {label} | {name} | {q['p50_ms']:.1f} | " + " | ".join(f"{q['parts_ms'][p]:.2f}" for p in parts) + " |")
    return (
        "# Build and query speed (musique_100)\n\n"
        f"{platform.machine()}, {os.cpu_count()} cores, {time.strftime('%Y-%m-%d %H:%M')}; load average at the end "
        f"{load[0]:.1f} / {load[1]:.1f} / {load[2]:.1f}. Each build ran in a child process with a fresh cache folder; "
        "build seconds are measured inside it around `Index.build`, CPU % is the child's user + system time over its whole "
        "life (200% = both cores). \"fp32 batches\" is the build with `HIPPORAG_LIKE_PRECISION=fp32`: index batches encoded "
        "as before bf16 (passages on torch fp32, phrases and facts on ONNX Runtime fp32). "
        "Reproduce: `.venv/bin/python eval/bench_build.py` (also run by `make bench`).\n\n"
        "## Cold builds\n\n" + "\n".join(build) + "\n\n"
        "## Where the build's time goes (seconds per stage, from the manifest's `timings`)\n\n"
        "Passages are embedded on a second thread while the extractor runs, so `extract` and `embed passages` overlap; "
        "the total also holds model loading and the commit.\n\n" + "\n".join(stages) + "\n\n"
        "## Warm `hybrid` queries (100 questions, k = 5, median per part in ms)\n\n" + "\n".join(queries) + "\n"
    )


def write_png(rows: list[tuple[str, dict]], path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(9, 4))
    labels = [label for label, _ in rows]
    left = [0.0] * len(rows)
    for stage in STAGES:
        widths = [r["timings"].get(stage, 0.0) for _, r in rows]
        ax.barh(labels, widths, left=left, label=stage)
        left = [a + b for a, b in zip(left, widths)]
    ax.scatter([r["seconds"] for _, r in rows], labels, color="black", marker="|", s=300, label="build total", zorder=3)
    ax.set_xlabel("seconds (stages summed; extract and embed passages run at the same time)")
    ax.set_title("musique_100 cold builds, stage by stage")
    ax.legend(fontsize=7, loc="lower right")
    fig.tight_layout()
    fig.savefig(path, dpi=110)


if __name__ == "__main__":
    sys.exit(main())
