"""Load on `hipporag-like serve`, on loopback only: warm POST /query with 1, 8 and 32 clients
while a writer changes the index through the API, against the in-process query time.

Default corpus: the demo (examples/demo), built into a temporary folder. `--dataset DIR` builds
DIR/corpus.json instead (add `--openie FILE` to take its triples from a HippoRAG OpenIE file);
`--index DIR` copies an already built index to a temporary folder and serves the copy (the
questions then come from --dataset, default the demo's). The original index is never written.

The writer repeats one write pair through the API with a short pause: insert a new passage and
delete it again; for an index whose extractor is an OpenIE file (which has triples only for its
own corpus) it deletes one of the index's passages and inserts the same passage again. A 409 on
a write is counted as "write refused"; any other non-2xx or exception on a query or a write is
"failed". Writes eval/serve.md (or --out).

Run: .venv/bin/python eval/bench_serve.py
     .venv/bin/python eval/bench_serve.py --index indexes/musique_100-gpt35-openie --dataset ../shared/datasets/musique_100
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import replace
from pathlib import Path
from typing import Any

import httpx

from hipporag_like import Index, read_corpus

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
DEMO = ROOT / "examples" / "demo"
HOST = "127.0.0.1"


SIBLINGS = ("Runs kept in eval/ (`make bench`): [serve.md](serve.md) (the defaults), [serve-power.md](serve-power.md) "
            "(`--ppr power`), [serve-workers.md](serve-workers.md) (`--workers 2`).")


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((HOST, 0))
        return sock.getsockname()[1]


def percentile(values: list[float], q: float) -> float:
    """Nearest-rank percentile (q in 0..100) of a non-empty list."""
    ordered = sorted(values)
    rank = max(1, -(-len(ordered) * q // 100))  # ceil(n*q/100), at least 1
    return ordered[int(min(rank, len(ordered))) - 1]


def load_questions(path: Path, limit: int) -> list[str]:
    items = json.loads(path.read_text(encoding="utf-8"))
    questions = [item["question"] for item in items if isinstance(item, dict) and item.get("question")]
    if not questions:
        raise SystemExit(f"{path}: no questions")
    return questions[:limit]


def open_index(index_dir: Path, ppr: str | None) -> Index:
    """The index as the server opens it: with its own walk, or `ppr` in its place."""
    index = Index.open(index_dir)
    if ppr:
        index.retriever.config = replace(index.retriever.config, ppr=ppr)
    return index


def in_process(index_dir: Path, questions: list[str], k: int, mode: str | None, warmup: int, ppr: str | None = None) -> dict:
    """Warm in-process query time on the same index and questions (the reference)."""
    index = open_index(index_dir, ppr)
    try:
        for question in questions[:warmup]:
            index.retrieve(question, k=k, mode=mode)
        times = []
        for question in questions:
            started = time.perf_counter()
            index.retrieve(question, k=k, mode=mode)
            times.append(time.perf_counter() - started)
        extractor = index.config.extractor.kind
        passages = int(index.stats().get("passages", 0)) if isinstance(index.stats(), dict) else 0
    finally:
        index.close()
    return {"times": times, "p50": statistics.median(times), "mean": statistics.fmean(times),
            "p99": percentile(times, 99), "extractor": extractor, "passages": passages}


def timed_threads(target: Any, count: int, barrier: threading.Barrier, also: threading.Thread | None = None) -> float:
    """Run target(0..count-1) on threads (and start `also` with them), release them together at
    the barrier, and return the wall seconds until every one of them has ended."""
    threads = [threading.Thread(target=target, args=(n,), daemon=True) for n in range(count)]
    for thread in threads:
        thread.start()
    if also is not None:
        also.start()
    barrier.wait()
    started = time.perf_counter()
    for thread in threads:
        thread.join()
    return time.perf_counter() - started


def in_process_concurrent(index_dir: Path, questions: list[str], k: int, mode: str | None, callers: int, per_caller: int,
                          ppr: str | None = None) -> dict:
    """The same questions from `callers` threads sharing one opened Index, as the server's
    request threads do, without HTTP: what 2 cores give that many callers before any server cost."""
    index = open_index(index_dir, ppr)
    latencies: list[float] = []
    lock = threading.Lock()
    barrier = threading.Barrier(callers + 1)

    def caller(number: int) -> None:
        mine = []
        barrier.wait()
        for i in range(per_caller):
            started = time.perf_counter()
            index.retrieve(questions[(number * per_caller + i) % len(questions)], k=k, mode=mode)
            mine.append(time.perf_counter() - started)
        with lock:
            latencies.extend(mine)

    try:
        for question in questions[:10]:
            index.retrieve(question, k=k, mode=mode)
        wall = timed_threads(caller, callers, barrier)
    finally:
        index.close()
    return {"callers": callers, "p50": statistics.median(latencies), "p99": percentile(latencies, 99), "rps": len(latencies) / wall}


def error_lines(log: str, limit: int = 8) -> list[tuple[str, int]]:
    """The distinct exception lines of the server log (`SomeError: message`), with their counts."""
    counts: dict[str, int] = {}
    for line in log.splitlines():
        head = line.strip().split(":", 1)[0]
        if head and " " not in head and (head.endswith("Error") or head.endswith("Exception")) and ":" in line:
            key = line.strip()[:240]
            counts[key] = counts.get(key, 0) + 1
    return sorted(counts.items(), key=lambda item: -item[1])[:limit]


def start_server(index_dir: Path, port: int, log_path: Path, timeout: float, ppr: str | None = None,
                 workers: int = 1) -> subprocess.Popen:
    exe = ROOT / ".venv" / "bin" / "hipporag-like"
    command = [str(exe) if exe.exists() else "hipporag-like", "serve", "--index", str(index_dir), "--host", HOST, "--port", str(port)]
    command += ["--ppr", ppr] if ppr else []
    command += ["--workers", str(workers)] if workers > 1 else []
    env = {k: v for k, v in os.environ.items() if k != "HIPPORAG_LIKE_API_KEY"}
    log = log_path.open("wb")
    proc = subprocess.Popen(command, stdout=log, stderr=subprocess.STDOUT, env=env, cwd=ROOT, start_new_session=True)
    deadline = time.monotonic() + timeout
    with httpx.Client(base_url=f"http://{HOST}:{port}", timeout=5) as client:
        while time.monotonic() < deadline:
            if proc.poll() is not None:
                raise SystemExit(f"the server exited with {proc.returncode}:\n{log_path.read_text(errors='replace')[-3000:]}")
            try:
                if client.get("/healthz").status_code == 200:
                    return proc
            except httpx.TransportError:
                pass
            time.sleep(0.25)
    stop_server(proc)
    raise SystemExit(f"the server did not answer /healthz within {timeout:.0f} s")


def stop_server(proc: subprocess.Popen) -> None:
    if proc.poll() is not None:
        return
    proc.send_signal(signal.SIGINT)  # uvicorn shuts down gracefully (the app closes its index)
    try:
        proc.wait(timeout=20)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait(timeout=10)


class Writer(threading.Thread):
    """Repeats one write pair through the API until told to stop or `max_writes` is reached."""

    def __init__(self, base_url: str, cycle: tuple[str, dict] | None, pause: float, max_writes: int, deadline: float) -> None:
        super().__init__(daemon=True)
        self.base_url, self.pause, self.max_writes, self.deadline = base_url, pause, max_writes, deadline
        self.cycle = cycle  # (id of an existing passage, its body): delete then reinsert; None: insert then delete
        self.stop = threading.Event()
        self.committed = self.refused = self.failed = 0
        self.errors: list[str] = []
        self.serial = 0

    def _count(self, response: httpx.Response | None, what: str, exc: Exception | None = None) -> bool:
        if exc is not None:
            self.failed += 1
            self.errors.append(f"{what}: {type(exc).__name__}: {exc}"[:200])
            return False
        assert response is not None
        if 200 <= response.status_code < 300:
            self.committed += 1
            return True
        if response.status_code == 409:
            self.refused += 1
        else:
            self.failed += 1
            self.errors.append(f"{what}: HTTP {response.status_code} {response.text[:160]}")
        return False

    def _call(self, client: httpx.Client, method: str, url: str, body: dict | None = None) -> httpx.Response | None:
        try:
            response = client.request(method, url, json=body)
        except httpx.HTTPError as exc:
            self._count(None, f"{method} {url}", exc)
            return None
        self._count(response, f"{method} {url}")
        return response

    def run(self) -> None:
        with httpx.Client(base_url=self.base_url, timeout=120) as client:
            existing_id = self.cycle[0] if self.cycle else None
            while not self.stop.is_set() and self.committed + self.refused + self.failed < self.max_writes \
                    and time.monotonic() < self.deadline:
                if self.cycle is not None:
                    if existing_id is None:
                        break
                    gone = self._call(client, "DELETE", f"/passages/{existing_id}")
                    if gone is None or gone.status_code >= 300:
                        self.stop.wait(self.pause)
                        continue
                    back = self._call(client, "POST", "/passages", {"passages": [self.cycle[1]]})
                    added = back.json().get("added", []) if back is not None and back.status_code < 300 else []
                    existing_id = added[0] if added else None
                else:
                    self.serial += 1
                    body = {"title": f"Bench passage {self.serial}",
                            "text": f"The bench writer number {self.serial} was founded in Lorvane by Edda Quist in {1900 + self.serial}."}
                    new = self._call(client, "POST", "/passages", {"passages": [body]})
                    added = new.json().get("added", []) if new is not None and new.status_code < 300 else []
                    for passage_id in added:
                        self._call(client, "DELETE", f"/passages/{passage_id}")
                self.stop.wait(self.pause)


def run_level(base_url: str, clients: int, per_client: int, questions: list[str], k: int, mode: str | None,
              writer: Writer, timeout: float) -> dict:
    latencies: list[float] = []
    failures: list[str] = []
    lock = threading.Lock()
    barrier = threading.Barrier(clients + 1)

    def client_loop(number: int) -> None:
        body_mode = {"mode": mode} if mode else {}
        with httpx.Client(base_url=base_url, timeout=timeout) as client:  # one keep-alive connection each
            mine, bad = [], []
            barrier.wait()
            for i in range(per_client):
                question = questions[(number * per_client + i) % len(questions)]
                started = time.perf_counter()
                try:
                    response = client.post("/query", json={"query": question, "k": k, **body_mode})
                    ok = 200 <= response.status_code < 300 and isinstance(response.json().get("passages"), list)
                    if not ok:
                        bad.append(f"HTTP {response.status_code} {response.text[:160]}")
                except (httpx.HTTPError, ValueError) as exc:
                    bad.append(f"{type(exc).__name__}: {exc}"[:200])
                mine.append(time.perf_counter() - started)
        with lock:
            latencies.extend(mine)
            failures.extend(bad)

    wall = timed_threads(client_loop, clients, barrier, also=writer)
    writer.stop.set()
    writer.join(timeout=timeout)
    return {"clients": clients, "requests": len(latencies), "wall": wall, "rps": len(latencies) / wall,
            "p50": statistics.median(latencies), "p99": percentile(latencies, 99), "failed": len(failures),
            "failures": failures[:5], "committed": writer.committed, "refused": writer.refused,
            "write_failed": writer.failed, "write_errors": writer.errors[:5]}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--dataset", type=Path, help="folder with corpus.json and questions.json (default: examples/demo)")
    parser.add_argument("--openie", type=Path, help="HippoRAG OpenIE file for building --dataset (skips spaCy)")
    parser.add_argument("--index", type=Path, help="an already built index to serve (copied; never written)")
    parser.add_argument("--clients", default="1,8,32", help="concurrency levels (default 1,8,32)")
    parser.add_argument("--requests", type=int, default=30, help="POST /query requests per client (default 30)")
    parser.add_argument("--questions", type=int, default=100, help="at most this many questions (default 100)")
    parser.add_argument("--k", type=int, default=5)
    parser.add_argument("--mode", default=None, help="retrieval mode (default: the index's)")
    parser.add_argument("--write-pause", type=float, default=0.2, help="seconds between write pairs (default 0.2)")
    parser.add_argument("--max-writes", type=int, default=200, help="at most this many writes per level (default 200)")
    parser.add_argument("--ppr", choices=("auto", "exact", "push", "power"), help="walk for the server and the references (default: the index's)")
    parser.add_argument("--workers", type=int, default=1, help="server worker processes (serve --workers; default 1)")
    parser.add_argument("--out", type=Path, default=HERE / "serve.md")
    args = parser.parse_args(argv)
    if not 1 <= args.requests <= 200:
        parser.error("--requests must be 1..200")
    levels = [int(x) for x in args.clients.split(",")]
    if not levels or any(not 1 <= n <= 64 for n in levels):
        parser.error("--clients: 1..64 each")

    dataset = args.dataset or DEMO
    questions = load_questions(dataset / "questions.json", args.questions)
    load_start = os.getloadavg()
    date = time.strftime("%Y-%m-%d %H:%M")
    begun = time.monotonic()
    with tempfile.TemporaryDirectory(prefix="bench-serve-") as tmp:
        root = Path(tmp)
        index_dir = root / "index"
        if args.index:
            shutil.copytree(args.index, index_dir, symlinks=True)
            source = f"copy of `{args.index}`"
        else:
            passages = read_corpus([dataset / "corpus.json"]).passages
            config_note = ""
            started = time.monotonic()
            if args.openie:
                from hipporag_like.config import PipelineConfig

                config = PipelineConfig().with_overrides("extractor", kind="openie", openie_file=str(args.openie.resolve()))
                Index.build(passages, index_dir, config, cache_dir=root / "cache").close()
                config_note = f", triples from `{args.openie.name}`"
            else:
                Index.build(passages, index_dir, cache_dir=root / "cache").close()
            source = f"built from `{dataset}/corpus.json`{config_note} in {time.monotonic() - started:.0f} s"
        print(f"index: {source}", flush=True)

        reference = in_process(index_dir, questions, args.k, args.mode, warmup=min(10, len(questions)), ppr=args.ppr)
        print(f"in-process: p50 {reference['p50'] * 1000:.1f} ms, mean {reference['mean'] * 1000:.1f} ms "
              f"over {len(questions)} questions", flush=True)

        concurrent = {n: in_process_concurrent(index_dir, questions, args.k, args.mode, n, args.requests, args.ppr) for n in levels}
        for n, row in concurrent.items():
            print(f"in-process, {n} threads: p50 {row['p50'] * 1000:.1f} ms, {row['rps']:.1f} queries/s", flush=True)

        cycle = None
        if reference["extractor"] == "openie":
            corpus_dir = args.dataset or DEMO
            target = read_corpus([corpus_dir / "corpus.json"]).passages[-1]
            cycle = (target.id, {"title": target.title, "text": target.text})

        port = free_port()
        base_url = f"http://{HOST}:{port}"
        server = start_server(index_dir, port, root / "server.log", timeout=180, ppr=args.ppr, workers=args.workers)
        rows = []
        try:
            with httpx.Client(base_url=base_url, timeout=120) as client:
                passages_before = client.get("/stats").json().get("passages")
                for question in questions[:10]:  # warm the server the same as the reference
                    client.post("/query", json={"query": question, "k": args.k, **({"mode": args.mode} if args.mode else {})})
            for clients in levels:
                writer = Writer(base_url, cycle, args.write_pause, args.max_writes, deadline=time.monotonic() + 300)
                row = run_level(base_url, clients, args.requests, questions, args.k, args.mode, writer, timeout=120)
                rows.append(row)
                print(f"{clients} clients: {row['requests']} requests, {row['rps']:.1f} req/s, p50 {row['p50'] * 1000:.1f} ms, "
                      f"p99 {row['p99'] * 1000:.1f} ms, failed {row['failed']}, writes {row['committed']} committed / "
                      f"{row['refused']} refused / {row['write_failed']} failed", flush=True)
                for line in row["failures"] + row["write_errors"]:
                    print(f"  {line}", flush=True)
            with httpx.Client(base_url=base_url, timeout=120) as client:
                passages_after = client.get("/stats").json().get("passages")
        finally:
            stop_server(server)
        server_exit = server.returncode
        server_errors = error_lines((root / "server.log").read_text(encoding="utf-8", errors="replace"))
    load_end = os.getloadavg()
    total = time.monotonic() - begun

    ref_ms = reference["p50"] * 1000
    eight = next((row for row in rows if row["clients"] == 8), None)
    if eight is None:
        verdict, why = "FAIL", "no 8-client run"
    else:
        ratio = eight["p50"] * 1000 / ref_ms
        shared_ms = concurrent[8]["p50"] * 1000
        shared_ratio = eight["p50"] * 1000 / shared_ms
        checks = [ratio <= 2.0, eight["failed"] == 0, eight["write_failed"] == 0, eight["committed"] > 0]
        verdict = "PASS" if all(checks) else "FAIL"
        why = (f"8 clients: p50 {eight['p50'] * 1000:.1f} ms = {ratio:.2f}x the single-caller in-process p50 {ref_ms:.1f} ms "
               f"(limit 2x: {'ok' if checks[0] else 'over'}), and {shared_ratio:.2f}x the p50 of 8 in-process threads "
               f"({shared_ms:.1f} ms, no HTTP, no writes: {'within' if shared_ratio <= 2.0 else 'over'} 2x); "
               f"{eight['failed']} failed queries, {eight['write_failed']} failed writes, {eight['committed']} writes committed")
    writes = ("insert one new passage, then delete it" if cycle is None else
              "delete one passage of the index, then insert it again (the OpenIE file has triples only for its corpus)")
    table = ["| clients | requests | req/s | p50 ms | p99 ms | failed | writes committed | writes refused |",
             "|---:|---:|---:|---:|---:|---:|---:|---:|"]
    for row in rows:
        table.append(f"| {row['clients']} | {row['requests']} | {row['rps']:.1f} | {row['p50'] * 1000:.1f} | {row['p99'] * 1000:.1f} "
                     f"| {row['failed'] + row['write_failed']} | {row['committed']} | {row['refused']} |")
    failed_notes = [f"- {row['clients']} clients: {line}" for row in rows for line in row["failures"] + row["write_errors"]]
    text = "\n".join([
        "# Serving under load (loopback)",
        "",
        f"`hipporag-like serve` (uvicorn, {'one process' if args.workers == 1 else f'{args.workers} worker processes'}) on {HOST}, index {source}: "
        f"{reference['passages']:,} passages, extractor `{reference['extractor']}`, k={args.k}, "
        f"mode {args.mode or 'the index default'}, walk {args.ppr or 'the index default'}. {len(questions)} questions from `{dataset}/questions.json`.",
        "",
        f"**In-process reference** (`Index.open` + `retrieve`, after {min(10, len(questions))} warm-up queries, "
        f"one pass over the questions): p50 {ref_ms:.1f} ms, mean {reference['mean'] * 1000:.1f} ms, "
        f"p99 {reference['p99'] * 1000:.1f} ms.",
        "",
        "**In-process, concurrent** (the same opened `Index` shared by N threads, each asking "
        f"{args.requests} questions, no HTTP and no writes: the floor 2 cores set before any server cost): "
        + "; ".join(f"{n} threads p50 {row['p50'] * 1000:.1f} ms, p99 {row['p99'] * 1000:.1f} ms, {row['rps']:.1f} queries/s"
                    for n, row in concurrent.items()) + ".",
        "",
        f"**Load**: the server answered the same warm-up queries first; then for each level, N threads each "
        f"with one keep-alive httpx connection send {args.requests} POST /query (latency per request, client side; "
        f"req/s = requests / wall time of the level). Meanwhile one writer thread loops through the API: {writes}, "
        f"pausing {args.write_pause} s after each pair, at most {args.max_writes} writes, stopping when the level ends. "
        "\"failed\" counts query or write answers that are not 2xx (other than 409) and exceptions; \"writes refused\" "
        "counts 409 (index lock) answers.",
        "",
        *table,
        "",
        f"Passages before / after the load: {passages_before} / {passages_after}. Server exit status: {server_exit}.",
        *([""] + ["Failures (first of each level):"] + failed_notes if failed_notes else []),
        *([""] + ["Exceptions in the server log (distinct lines, count):", ""]
          + [f"- `{line}` ({count}x)" for line, count in server_errors] if server_errors else []),
        "",
        "**Target** (issue 11): with 8 clients on 2 cores, warm POST /query p50 at most 2x the in-process query "
        f"time, no failed request while writes commit: **{verdict}** ({why}).",
        "",
        f"Machine: {platform.machine()}, {os.cpu_count()} cores (shared with other work), Python {platform.python_version()}; "
        f"load average {load_start[0]:.2f} / {load_start[1]:.2f} / {load_start[2]:.2f} at the start and "
        f"{load_end[0]:.2f} / {load_end[1]:.2f} / {load_end[2]:.2f} at the end (1/5/15 min). {date}; "
        f"the whole run took {total:.0f} s.",
        "",
        f"Run: `.venv/bin/python eval/bench_serve.py{' ' + ' '.join(argv if argv is not None else sys.argv[1:]) if (argv or sys.argv[1:]) else ''}`",
        "",
        SIBLINGS,
        "",
    ])
    args.out.write_text(text, encoding="utf-8")
    for line, count in server_errors:
        print(f"server log ({count}x): {line}")
    print(f"{verdict}: {why}")
    print(f"wrote {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
