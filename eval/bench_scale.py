"""How the index's costs grow with its size: build, open, warm queries, insert, delete, disk, memory.

Corpora come from ../shared/tools/synth_corpus.py (passages plus a matching OpenIE file, so no
extraction model runs) and vectors from ../shared/tools/fake_embed.py (a loopback embeddings
server with hashed features, dim 128), so what is measured is the index itself. For every size,
in a fresh temporary folder with a fresh cache folder (HIPPORAG_LIKE_CACHE for the children,
cache_dir for the writes), each measured operation runs in its own child process (this script
with --child), which times the operation itself (not Python's start or imports); the parent
reads each child's peak RSS from wait4.

  build     Index.build of N passages
  open      Index.open in a fresh process (median of 3 processes)
  query     warm latency, question encoding excluded (the questions are embedded once, then
            served from a table): hybrid and dense with the default walk, hybrid with ppr exact and push
  insert    100 new passages whose extraction and vectors are already cached (inserted first
            into a throwaway copy of the index; the shards that copy built are removed); the
            median of 3 timed runs, the first two into copies of the index
  delete    100 passages of the base corpus
  disk      apparent bytes (sum of st_size) and allocated bytes (st_blocks x 512) of the index
            folder after build and after insert, and of the shard cache

Plus a disk bound check at 2,000: ten inserts of 100 passages (vectors cached) against a fresh
build of the same 3,000 passages. Writes eval/scale.md and eval/scale.png.

Run:  .venv/bin/python eval/bench_scale.py [--sizes 2000,20000,100000] [--quick]
While others edit the tree, measure one commit: `git archive COMMIT hipporag_like | tar -x -C DIR`,
then add `--library DIR --library-commit COMMIT`. `--json F` keeps the raw numbers; `--merge F`
adds an earlier run's sizes to the report (`--sizes ''` only rewrites it).
"""

from __future__ import annotations

import argparse
import json
import os
import shlex
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from contextlib import contextmanager
from dataclasses import replace
from pathlib import Path
from typing import Any, Iterator

from scale_report import DIM, INSERT_RUNS, N_TIMED, N_WARM, QUERY_CONFIGS, targets, write_md, write_png

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
# The library measured: this checkout's, or a pinned copy (--library) while others edit the tree.
LIBRARY = Path(os.environ.get("HIPPORAG_BENCH_LIBRARY") or REPO)
sys.path.insert(0, str(LIBRARY))

DEFAULT_SIZES = (2000, 20000, 100000)
QUICK_SIZES = (2000, 5000)
EXTRA = 100  # passages inserted, and deleted
DISK_BOUND_BASE, DISK_BOUND_BATCHES = 2000, 10


# -- helpers shared by parent and children -----------------------------------------------------
def pipeline_config(openie: Path, base_url: str):
    from hipporag_like import PipelineConfig

    return (
        PipelineConfig()
        .with_overrides("extractor", kind="openie", openie_file=str(openie))
        .with_overrides("embedder", kind="openai", model="fake", base_url=base_url)
    )


def load_passages(corpus: str | Path) -> list:
    """The corpus's records as passages, each whole: the OpenIE file matches them by their text."""
    from hipporag_like import read_corpus

    try:
        from hipporag_like.config import ChunkingConfig
    except ImportError:  # a library without chunking keeps records whole anyway
        return read_corpus([corpus]).passages
    return read_corpus([corpus], chunking=ChunkingConfig(enabled=False)).passages


def openie_extractor(openie: Path):
    from hipporag_like import PipelineConfig
    from hipporag_like.extraction.factory import make_extractor

    return make_extractor(replace(PipelineConfig().extractor, kind="openie", openie_file=str(openie)))


# -- children: one measured operation each ----------------------------------------------------
def child_build(a: dict[str, Any]) -> dict[str, Any]:
    from hipporag_like import Index

    passages = load_passages(a["corpus"])
    config = pipeline_config(Path(a["openie"]), a["base_url"])
    started = time.perf_counter()
    index = Index.build(passages, a["index"], config, cache_dir=a["cache"])
    seconds = time.perf_counter() - started
    stats = index.stats()
    index.close()
    return {"seconds": seconds, "stats": stats}


def child_open(a: dict[str, Any]) -> dict[str, Any]:
    from hipporag_like import Index

    started = time.perf_counter()
    index = Index.open(a["index"])
    seconds = time.perf_counter() - started
    index.close()
    return {"seconds": seconds}


class PrecomputedEmbedder:
    """Serves the vectors of questions embedded beforehand, so timing leaves encoding out."""

    def __init__(self, inner: Any, table: dict[str, Any]) -> None:
        self.fingerprint = inner.fingerprint
        self.dim = inner.dim
        self.table = table

    def embed(self, texts: Any, *args: Any, **kwargs: Any) -> Any:
        import numpy as np

        return np.stack([self.table[t] for t in texts]).astype(np.float32)


def child_query(a: dict[str, Any]) -> dict[str, Any]:
    from hipporag_like import Index

    questions = json.loads(Path(a["questions"]).read_text(encoding="utf-8"))
    index = Index.open(a["index"])
    retriever = index.retriever
    vectors = retriever.embedder.embed(questions)
    retriever.embedder = PrecomputedEmbedder(retriever.embedder, dict(zip(questions, vectors)))
    index.embedder = retriever.embedder
    base = retriever.config
    out: dict[str, Any] = {
        "nodes": int(retriever.n_nodes),
        "auto_walk": base.ppr if base.ppr != "auto" else ("push" if retriever.n_nodes >= base.ppr_exact_below else "exact"),
        "configs": {},
    }
    top: dict[str, list[list[str]]] = {}
    for mode, ppr in QUERY_CONFIGS:
        retriever.config = base if ppr == "default" else replace(base, ppr=ppr)
        for q in questions[:N_WARM]:
            index.retrieve(q, 5, mode)
        times, ids = [], []
        for q in questions[N_WARM : N_WARM + N_TIMED]:
            started = time.perf_counter()
            result = index.retrieve(q, 5, mode)
            times.append((time.perf_counter() - started) * 1000.0)
            ids.append([p.id for p in result.passages])
        name = f"{mode}/{ppr}"
        top[name] = ids
        out["configs"][name] = {"p50_ms": percentile(times, 50), "p95_ms": percentile(times, 95), "n": len(times)}
    exact, push = top["hybrid/exact"], top["hybrid/push"]
    out["push_vs_exact_top5_overlap"] = statistics.mean(len(set(e) & set(p)) / max(len(e), 1) for e, p in zip(exact, push))
    out["push_vs_exact_top1_same"] = statistics.mean(float(e[:1] == p[:1]) for e, p in zip(exact, push))
    index.close()
    return out


def child_insert(a: dict[str, Any]) -> dict[str, Any]:
    """Insert each batch (a corpus file) in turn, one transaction each."""
    from hipporag_like import Index

    extractor = openie_extractor(Path(a["openie"]))
    index = Index.open(a["index"])
    seconds = []
    for corpus in a["batches"]:
        passages = load_passages(corpus)
        started = time.perf_counter()
        summary = index.insert(passages, cache_dir=a["cache"], extractor=extractor)
        seconds.append(time.perf_counter() - started)
        if len(summary.added) != len(passages):
            raise RuntimeError(f"insert added {len(summary.added)} of {len(passages)} passages")
    stats = index.stats()
    stages = index.manifest.get("timings", {})  # the last write's stages, for the JSON
    index.close()
    return {"seconds": seconds, "stats": stats, "stages": stages}


def child_delete(a: dict[str, Any]) -> dict[str, Any]:
    from hipporag_like import Index

    ids = json.loads(Path(a["ids"]).read_text(encoding="utf-8"))
    index = Index.open(a["index"])
    started = time.perf_counter()
    summary = index.delete(ids, cache_dir=a["cache"])
    seconds = time.perf_counter() - started
    if len(summary.removed) != len(ids):
        raise RuntimeError(f"delete removed {len(summary.removed)} of {len(ids)} passages")
    stats = index.stats()
    index.close()
    return {"seconds": seconds, "stats": stats}


CHILDREN = {"build": child_build, "open": child_open, "query": child_query, "insert": child_insert, "delete": child_delete}


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    if not ordered:
        return float("nan")
    rank = (len(ordered) - 1) * q / 100.0
    low = int(rank)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (rank - low)


# -- parent -----------------------------------------------------------------------------------
def find_tools() -> Path:
    candidates = []
    env = os.environ.get("HIPPORAG_SHARED")
    if env:
        candidates += [Path(env) / "tools", Path(env)]
    candidates.append(REPO.parent / "shared" / "tools")
    for folder in candidates:
        if (folder / "synth_corpus.py").is_file() and (folder / "fake_embed.py").is_file():
            return folder
    sys.exit(
        "bench_scale: cannot find synth_corpus.py and fake_embed.py; looked in "
        + ", ".join(str(c) for c in candidates)
        + ". They live outside the repository at ../shared/tools (relative to the repo root); "
        "set HIPPORAG_SHARED to the shared folder if it is elsewhere."
    )


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class EmbedServer:
    """fake_embed.py on a free loopback port, started and waited for; `stop()` ends it."""

    def __init__(self, tools: Path, log: Path, dim: int = DIM) -> None:
        self.port = free_port()
        self.base_url = f"http://127.0.0.1:{self.port}/v1"
        self.log = open(log, "wb")
        self.proc = subprocess.Popen(
            [sys.executable, str(tools / "fake_embed.py"), str(self.port), "--dim", str(dim)],
            stdout=self.log, stderr=subprocess.STDOUT,
        )
        deadline = time.monotonic() + 60
        body = json.dumps({"model": "fake", "input": ["ping"]}).encode()
        while True:
            if self.proc.poll() is not None:
                raise SystemExit(f"bench_scale: fake_embed.py exited with {self.proc.returncode}; see {log}")
            try:
                request = urllib.request.Request(self.base_url + "/embeddings", body, {"Content-Type": "application/json"})
                with urllib.request.urlopen(request, timeout=2) as response:
                    if len(json.loads(response.read())["data"][0]["embedding"]) == dim:
                        return
            except OSError:
                pass
            if time.monotonic() > deadline:
                self.stop()
                raise SystemExit(f"bench_scale: fake_embed.py did not answer on port {self.port} within 60 s")
            time.sleep(0.2)

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.log.close()


def run_child(op: str, args: dict[str, Any], work: Path, cache: Path) -> dict[str, Any]:
    """Run one operation in a child process; its result plus peak RSS (MB) and process wall (s)."""
    stem = f"{op}-{time.monotonic_ns()}"
    args_file, result_file, log_file = work / f"{stem}.args.json", work / f"{stem}.result.json", work / f"{stem}.log"
    args_file.write_text(json.dumps(args), encoding="utf-8")
    env = dict(os.environ, HIPPORAG_LIKE_CACHE=str(cache), PYTHONUNBUFFERED="1")
    started = time.monotonic()
    with open(log_file, "wb") as log:
        proc = subprocess.Popen(
            [sys.executable, str(Path(__file__).resolve()), "--child", op, str(args_file), str(result_file)],
            stdout=log, stderr=subprocess.STDOUT, env=env, cwd=str(REPO),
        )
        _, status, usage = os.wait4(proc.pid, 0)
        proc.returncode = os.waitstatus_to_exitcode(status)
    wall = time.monotonic() - started
    if proc.returncode != 0 or not result_file.is_file():
        tail = log_file.read_text(encoding="utf-8", errors="replace")[-4000:]
        raise RuntimeError(f"child '{op}' failed with exit {proc.returncode}; its output ends:\n{tail}")
    result = json.loads(result_file.read_text(encoding="utf-8"))
    expected = Path(os.environ.get("HIPPORAG_BENCH_LIBRARY") or REPO).resolve() / "hipporag_like"
    if Path(result["library"]) != expected:
        raise RuntimeError(f"child '{op}' imported hipporag_like from {result['library']}, not {expected}")
    result["rss_mb"] = usage.ru_maxrss / 1024.0  # Linux reports kilobytes
    result["process_wall_s"] = wall
    return result


def disk_use(folder: Path) -> dict[str, float]:
    """Apparent and allocated MB of everything under `folder` (each inode once, links not followed)."""
    seen: set[tuple[int, int]] = set()
    apparent = allocated = 0
    if not folder.exists():
        return {"apparent_mb": 0.0, "allocated_mb": 0.0, "apparent_bytes": 0}
    for root, dirs, files in os.walk(folder):
        for name in dirs + files:
            st = os.lstat(os.path.join(root, name))
            if (st.st_dev, st.st_ino) in seen:
                continue
            seen.add((st.st_dev, st.st_ino))
            if name in files:
                apparent += st.st_size
            allocated += st.st_blocks * 512
    return {"apparent_mb": apparent / 1e6, "allocated_mb": allocated / 1e6, "apparent_bytes": apparent}


def synth(tools: Path, n: int, out: Path, seed: int, offset: int = 0) -> tuple[Path, Path]:
    cmd = [sys.executable, str(tools / "synth_corpus.py"), str(n), str(out), "--seed", str(seed)]
    if offset:
        cmd += ["--offset", str(offset)]
    subprocess.run(cmd, check=True, stdout=subprocess.DEVNULL)
    return out / "corpus.json", out / "openie.json"


def make_questions(openie: Path, count: int, seed: int) -> list[str]:
    """Questions named after the corpus's own facts and entities (their order seeded)."""
    import random

    docs = json.loads(openie.read_text(encoding="utf-8"))["docs"]
    rng = random.Random(seed)
    questions: list[str] = []
    while len(questions) < count:
        doc = rng.choice(docs)
        s, r, o = rng.choice(doc["extracted_triples"])
        template = len(questions) % 3
        if template == 0:
            q = f"Who {r} {o}?"
        elif template == 1:
            q = f"Who founded {rng.choice(doc['extracted_entities'])}?"
        else:
            q = f"What is known about {s} and {o}?"
        if q not in questions:
            questions.append(q)
    return questions


def passage_ids(corpus: Path) -> list[str]:
    return [p.id for p in load_passages(corpus)]


def log(message: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {message}", flush=True)


def measure_size(n: int, tools: Path, base_url: str, seed: int, keep: Path | None) -> dict[str, Any]:
    started = time.monotonic()
    tmp = Path(tempfile.mkdtemp(prefix=f"scale-{n}-", dir=keep))
    try:
        work, cache, index = tmp / "work", tmp / "cache", tmp / "index"
        work.mkdir()
        corpus, openie = synth(tools, n, tmp / "base", seed)
        extra_corpus, extra_openie = synth(tools, EXTRA, tmp / "extra", seed + 1000, offset=n)
        questions = tmp / "questions.json"
        questions.write_text(json.dumps(make_questions(openie, N_WARM + N_TIMED, seed)), encoding="utf-8")
        row: dict[str, Any] = {"size": n}

        log(f"{n}: build")
        build = run_child("build", {"corpus": str(corpus), "openie": str(openie), "index": str(index),
                                    "cache": str(cache), "base_url": base_url}, work, cache)
        row["build"] = build
        row["disk_build"] = disk_use(index)
        row["shards_build"] = disk_use(cache / "shards")

        log(f"{n}: open x3")
        opens = [run_child("open", {"index": str(index)}, work, cache) for _ in range(3)]
        row["open"] = {"seconds": statistics.median(o["seconds"] for o in opens), "all_s": [o["seconds"] for o in opens],
                       "rss_mb": max(o["rss_mb"] for o in opens)}

        log(f"{n}: query")
        row["query"] = run_child("query", {"index": str(index), "questions": str(questions)}, work, cache)

        log(f"{n}: pre-embed the insert through a throwaway copy")
        insert_args = {"openie": str(extra_openie), "cache": str(cache), "batches": [str(extra_corpus)]}
        with fresh_shards(cache):
            copy = tmp / "copy"
            shutil.copytree(index, copy)
            row["insert_cold"] = run_child("insert", {"index": str(copy), **insert_args}, work, cache)
            shutil.rmtree(copy)

        log(f"{n}: insert {EXTRA} ({INSERT_RUNS} runs, the first ones on copies; the median counts)")
        runs = []
        for attempt in range(INSERT_RUNS - 1):
            with fresh_shards(cache):  # every timed insert builds its own shards
                trial = tmp / f"trial-{attempt}"
                shutil.copytree(index, trial)
                os.sync()  # the copy's dirty pages would otherwise be written back during the timed insert
                runs.append(run_child("insert", {"index": str(trial), **insert_args}, work, cache))
                shutil.rmtree(trial)
        runs.append(run_child("insert", {"index": str(index), **insert_args}, work, cache))
        insert = dict(runs[-1])
        insert["all_s"] = [r["seconds"][0] for r in runs]
        insert["seconds"] = statistics.median(insert["all_s"])
        insert["rss_mb"] = max(r["rss_mb"] for r in runs)
        row["insert"] = insert
        row["disk_insert"] = disk_use(index)
        row["shards_insert"] = disk_use(cache / "shards")

        log(f"{n}: delete {EXTRA}")
        ids_file = tmp / "delete.json"
        ids_file.write_text(json.dumps(passage_ids(corpus)[:: max(1, n // EXTRA)][:EXTRA]), encoding="utf-8")
        row["delete"] = run_child("delete", {"index": str(index), "ids": str(ids_file), "cache": str(cache)}, work, cache)
        row["disk_delete"] = disk_use(index)
        row["cache_total"] = disk_use(cache)
        row["wall_s"] = time.monotonic() - started
        return row
    finally:
        if keep is None:
            shutil.rmtree(tmp, ignore_errors=True)


@contextmanager
def fresh_shards(cache: Path) -> Iterator[None]:
    """Remove the Qdrant shards built inside the block, so the next insert builds its own."""
    before = set(os.listdir(cache / "shards"))
    try:
        yield
    finally:
        for name in set(os.listdir(cache / "shards")) - before:
            shutil.rmtree(cache / "shards" / name, ignore_errors=True)


def disk_bound(tools: Path, base_url: str, seed: int, keep: Path | None) -> dict[str, Any]:
    """Ten inserts of 100 into 2,000 against a fresh build of the same 3,000 (vectors cached)."""
    tmp = Path(tempfile.mkdtemp(prefix="scale-diskbound-", dir=keep))
    try:
        work, cache = tmp / "work", tmp / "cache"
        work.mkdir()
        corpus, openie = synth(tools, DISK_BOUND_BASE, tmp / "base", seed)
        extra_n = DISK_BOUND_BATCHES * EXTRA
        extra_corpus, extra_openie = synth(tools, extra_n, tmp / "extra", seed + 2000, offset=DISK_BOUND_BASE)
        base_items = json.loads(corpus.read_text(encoding="utf-8"))
        extra_items = json.loads(extra_corpus.read_text(encoding="utf-8"))
        all_corpus, all_openie = tmp / "all.json", tmp / "all-openie.json"
        all_corpus.write_text(json.dumps(base_items + extra_items), encoding="utf-8")
        docs = json.loads(openie.read_text(encoding="utf-8"))["docs"] + json.loads(extra_openie.read_text(encoding="utf-8"))["docs"]
        all_openie.write_text(json.dumps({"docs": docs}), encoding="utf-8")
        batches = []
        for b in range(DISK_BOUND_BATCHES):
            path = tmp / f"batch-{b}.json"
            path.write_text(json.dumps(extra_items[b * EXTRA : (b + 1) * EXTRA]), encoding="utf-8")
            batches.append(str(path))

        log("disk bound: fresh build of 3,000 (also caches every vector)")
        fresh = run_child("build", {"corpus": str(all_corpus), "openie": str(all_openie), "index": str(tmp / "fresh"),
                                    "cache": str(cache), "base_url": base_url}, work, cache)
        log("disk bound: build 2,000, then 10 inserts of 100")
        base = run_child("build", {"corpus": str(corpus), "openie": str(openie), "index": str(tmp / "grown"),
                                   "cache": str(cache), "base_url": base_url}, work, cache)
        grown = run_child("insert", {"index": str(tmp / "grown"), "openie": str(all_openie), "cache": str(cache),
                                     "batches": batches}, work, cache)
        fresh_disk, grown_disk = disk_use(tmp / "fresh"), disk_use(tmp / "grown")
        return {
            "fresh": fresh_disk, "grown": grown_disk, "ratio": grown_disk["apparent_bytes"] / fresh_disk["apparent_bytes"],
            "fresh_build_s": fresh["seconds"], "base_build_s": base["seconds"], "insert_s": grown["seconds"],
            "fresh_counts": fresh["stats"], "grown_counts": grown["stats"],
            "rss_mb": max(fresh["rss_mb"], base["rss_mb"], grown["rss_mb"]),
        }
    finally:
        if keep is None:
            shutil.rmtree(tmp, ignore_errors=True)


def describe_library(commit: str | None) -> str:
    """Which hipporag_like was measured: a named commit, or this checkout's HEAD and whether the
    package had uncommitted changes."""
    import hipporag_like

    where = Path(hipporag_like.__file__).resolve().parent
    if commit:
        return f"hipporag_like {hipporag_like.__version__} at commit {commit}"
    try:
        head = subprocess.run(["git", "-C", str(where), "rev-parse", "--short", "HEAD"], capture_output=True, text=True, check=True).stdout.strip()
        dirty = subprocess.run(["git", "-C", str(where), "status", "--porcelain", "--", "."], capture_output=True, text=True, check=True).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return f"hipporag_like {hipporag_like.__version__} from {where}"
    return f"hipporag_like {hipporag_like.__version__} at commit {head}" + (" with uncommitted changes to the package" if dirty else "")


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--sizes", default=",".join(str(s) for s in DEFAULT_SIZES), help="comma-separated corpus sizes")
    ap.add_argument("--quick", action="store_true", help=f"sizes {','.join(map(str, QUICK_SIZES))}")
    ap.add_argument("--seed", type=int, default=7, help="synth_corpus seed")
    ap.add_argument("--no-disk-bound", action="store_true", help="skip the 2,000 + 10 inserts disk check")
    ap.add_argument("--out", type=Path, default=HERE / "scale.md")
    ap.add_argument("--png", type=Path, default=HERE / "scale.png")
    ap.add_argument("--json", type=Path, default=None, help="also write the raw numbers here")
    ap.add_argument("--merge", type=Path, default=None,
                    help="a --json file of an earlier run: its sizes (and disk bound) join the report unless run again")
    ap.add_argument("--library", type=Path, default=None,
                    help="import hipporag_like from this folder (e.g. a `git archive` of one commit) instead of the checkout")
    ap.add_argument("--library-commit", default=None, help="the commit that --library holds, for the report")
    ap.add_argument("--note", action="append", default=[], help="a line for the report's Notes (e.g. the load seen during a merged run)")
    ap.add_argument("--keep", type=Path, default=None, help="keep the work folders under this folder")
    ap.add_argument("--child", nargs=3, metavar=("OP", "ARGS", "RESULT"), help=argparse.SUPPRESS)
    args = ap.parse_args()

    if args.child:
        op, args_file, result_file = args.child
        result = CHILDREN[op](json.loads(Path(args_file).read_text(encoding="utf-8")))
        import hipporag_like

        result["library"] = str(Path(hipporag_like.__file__).resolve().parent)
        Path(result_file).write_text(json.dumps(result), encoding="utf-8")
        return 0

    if args.library:
        if not (args.library / "hipporag_like" / "__init__.py").is_file():
            sys.exit(f"bench_scale: {args.library} holds no hipporag_like package")
        os.environ["HIPPORAG_BENCH_LIBRARY"] = str(args.library.resolve())  # the children import it too
        sys.path.insert(0, str(args.library.resolve()))
    library = describe_library(args.library_commit)
    sizes = list(QUICK_SIZES) if args.quick else [int(s) for s in args.sizes.split(",") if s.strip()]
    tools = find_tools()
    if args.keep:
        args.keep.mkdir(parents=True, exist_ok=True)
    scratch = Path(tempfile.mkdtemp(prefix="scale-server-"))
    server = EmbedServer(tools, scratch / "fake_embed.log")
    rows: dict[int, dict[str, Any]] = {}
    bound = None
    shown = ["…" if sys.argv[i - 1] == "--note" else a for i, a in enumerate(sys.argv[1:], 1)]  # the notes are in the report
    commands = [shlex.join(["python", "eval/bench_scale.py", *shown]).replace("'…'", "…")]
    if args.merge:
        earlier = json.loads(args.merge.read_text(encoding="utf-8"))
        rows = {int(n): row for n, row in earlier["rows"].items()}
        bound = earlier.get("disk_bound")
        commands = earlier.get("commands", []) + commands
        if earlier.get("seed", args.seed) != args.seed:
            sys.exit(f"bench_scale: {args.merge} was run with --seed {earlier['seed']}, not {args.seed}")
        library = earlier.get("library", library) if not sizes else library

    def report() -> None:
        if args.json:
            args.json.write_text(json.dumps({"rows": rows, "disk_bound": bound, "commands": commands, "seed": args.seed,
                                             "library": library}, indent=1), encoding="utf-8")
        if rows:
            write_png(rows, args.png)
            write_md(rows, bound, args.out, args.png, commands, args.seed, library, args.note)

    try:
        log(f"fake_embed.py on {server.base_url}; sizes {sizes}")
        if not args.no_disk_bound:
            bound = disk_bound(tools, server.base_url, args.seed, args.keep)
            bound["load_end"] = list(os.getloadavg())
            log(f"disk bound ratio {bound['ratio']:.2f}")
        for n in sizes:
            rows[n] = measure_size(n, tools, server.base_url, args.seed, args.keep)
            rows[n]["load_end"] = list(os.getloadavg())
            r = rows[n]
            log(f"{n}: build {r['build']['seconds']:.1f} s, open {r['open']['seconds']:.3f} s, "
                f"hybrid p50 {r['query']['configs']['hybrid/default']['p50_ms']:.1f} ms, insert {r['insert']['seconds']:.2f} s, "
                f"delete {r['delete']['seconds']:.2f} s, build RSS {r['build']['rss_mb']:.0f} MB, total {r['wall_s']:.0f} s")
            report()  # after every size, so a long run leaves its finished sizes behind
    finally:
        server.stop()
        shutil.rmtree(scratch, ignore_errors=True)
    report()
    print("\n".join(targets(rows, bound)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
