"""Cold index builds on musique_100 against plain sentence-transformers encoding, in one run.

For each extractor (the GPT-3.5 OpenIE triples, and spaCy) this builds the index from a fresh
cache folder in a child process (so nothing is cached: not extraction, not vectors, not the
ONNX export of the question encoder), reads the child's wall time, CPU time (user + system)
and peak RSS, then checks Recall@2/5/10 of the default mode. The yardstick is measured in the
same run: sentence-transformers encoding the 1,890 passages (`title + "\\n" + text`) on torch.
Writes eval/speed.md. Run: .venv/bin/python eval/bench_build.py
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
import json, sys, time
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
else:
    config = PipelineConfig()
    if job.get("openie"):
        config = config.with_overrides("extractor", kind="openie", openie_file=job["openie"])
    dataset = load_dataset(job["data"])
    started = time.monotonic()
    index = Index.build(dataset.passages, job["index"], config)
    seconds = time.monotonic() - started
    ranks = [[p.id for p in index.retrieve(q.text, k=10).passages] for q in dataset.questions]
    recall = mean_recall(ranks, [q.gold_ids for q in dataset.questions])
    print(json.dumps({"seconds": seconds, "recall": {k: recall[k] for k in (2, 5, 10)}, "counts": index.stats()}))
"""


def run_child(job: dict, cache: Path) -> dict:
    env = {**os.environ, "HIPPORAG_LIKE_CACHE": str(cache), "HF_HUB_OFFLINE": "1"}
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


def main() -> int:
    musique = DATA / "musique_100"
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        encode = run_child({"kind": "encode", "data": str(musique)}, root / "cache-encode")
        print(f"plain encoding: {encode['seconds']:.1f} s", flush=True)
        for label, openie in (("GPT-3.5 triples", str(musique / "openie_gpt-3.5-turbo-1106.json")), ("spaCy", None)):
            cache = root / f"cache-{len(rows)}"
            result = run_child({"kind": "build", "data": str(musique), "openie": openie, "index": str(root / f"idx-{len(rows)}")}, cache)
            rows.append((label, result))
            print(f"{label}: {result['seconds']:.1f} s build, {result['cpu_percent']:.0f}% CPU, recall {result['recall']}", flush=True)
    load = os.getloadavg()
    lines = [
        "| build (cold cache) | seconds | x plain encoding | CPU % of one core | peak RSS MB | R@2 | R@5 | R@10 |",
        "|---|---:|---:|---:|---:|---:|---:|---:|",
        f"| plain sentence-transformers encoding of the 1,890 passages | {encode['seconds']:.1f} | 1.00 | {encode['cpu_percent']:.0f} | {encode['peak_rss_mb']:.0f} | | | |",
    ]
    for label, r in rows:
        rec = r["recall"]
        lines.append(f"| musique_100, {label} | {r['seconds']:.1f} | {r['seconds'] / encode['seconds']:.2f} | {r['cpu_percent']:.0f} | "
                     f"{r['peak_rss_mb']:.0f} | {rec['2']:.1f} | {rec['5']:.1f} | {rec['10']:.1f} |")
    text = (
        "# Cold builds against plain encoding (musique_100)\n\n"
        f"{platform.machine()}, {os.cpu_count()} cores, {time.strftime('%Y-%m-%d %H:%M')}; load average at the end "
        f"{load[0]:.1f} / {load[1]:.1f} / {load[2]:.1f} (the machine was shared: compare the ratios, not the seconds). "
        "Each build ran in a child process with a fresh cache folder; build seconds are measured inside it around "
        "`Index.build`, CPU % is the child's user + system time over its whole life (200% = both cores). "
        "Reproduce: `.venv/bin/python eval/bench_build.py`.\n\n" + "\n".join(lines) + "\n"
    )
    (HERE / "speed.md").write_text(text, encoding="utf-8")
    print(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
