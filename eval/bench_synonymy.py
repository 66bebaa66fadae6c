"""Exact vs IVF-approximate synonym pairs on a realistic synthetic phrase set.

Phrases are the entities and titles of a synthetic corpus made by ../shared/tools/synth_corpus.py
(run as a subprocess into a temporary folder); their vectors come from the hashed word and
character-trigram features of ../shared/tools/fake_embed.py, served on loopback and asked
over HTTP like any embeddings endpoint (nothing from that file is executed in this process).
Similar strings get similar vectors, so near-duplicate names make real synonym pairs.

    .venv/bin/python eval/bench_synonymy.py --phrases 100000 --dim 128 --out eval/synonymy.md

Measures, at each size: exact time and pairs; approximate time, pairs, pair recall against
exact and false pairs, for a few n_probe values. Then the insert's case: the last 1,000 rows
as a new batch against the rest through the rest's stored inverted file (`ivf_cross_pairs`)
against exact `cross_pairs`. `--vectors-from INDEX...` repeats the insert's case on the
phrase vectors of built indexes (MiniLM, duplicates removed). Writes markdown tables to --out.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from hipporag_like.synonymy import (  # noqa: E402
    DEFAULT_CROSS_PROBE,
    DEFAULT_N_PROBE,
    approximate_pairs,
    build_ivf,
    cross_pairs,
    default_n_lists,
    exact_pairs,
    ivf_cross_pairs,
)

DEFAULT_TOOLS = REPO / ".." / "shared" / "tools"


def find_tools(tools: Path) -> tuple[Path, Path]:
    corpus, embed = tools / "synth_corpus.py", tools / "fake_embed.py"
    missing = [str(p) for p in (corpus, embed) if not p.is_file()]
    if missing:
        sys.exit(
            "bench_synonymy: the shared tools are missing: " + ", ".join(missing) + "\n"
            "They live outside the repository at ../shared/tools (relative to the repo root); "
            "pass --tools DIR if they are elsewhere."
        )
    return corpus, embed


def embed_phrases(tools: Path, phrases: list[str], dim: int) -> np.ndarray:
    """The phrases' vectors from fake_embed.py, served on loopback (as bench_scale.py does)."""
    from bench_scale import EmbedServer

    from hipporag_like.embedding import OpenAIEmbedder

    with tempfile.TemporaryDirectory() as tmp:
        server = EmbedServer(tools, Path(tmp) / "fake_embed.log", dim)
        try:
            embedder = OpenAIEmbedder(model="fake", base_url=server.base_url, batch_size=512)
            return np.concatenate([embedder.embed(phrases[i : i + 8192]) for i in range(0, len(phrases), 8192)]).astype(np.float32)
        finally:
            server.stop()


def make_phrases(corpus_py: Path, n_phrases: int, seed: int) -> list[str]:
    """The first n_phrases distinct (lower-cased) entity phrases of a synthetic corpus."""
    passages = max(100, n_phrases // 5 + 1000)
    while True:
        with tempfile.TemporaryDirectory() as tmp:
            subprocess.run(
                [sys.executable, str(corpus_py), str(passages), tmp, "--seed", str(seed)],
                check=True,
                stdout=subprocess.DEVNULL,
            )
            docs = json.loads(Path(tmp, "openie.json").read_text())["docs"]
        seen: dict[str, None] = {}
        for doc in docs:
            for entity in doc["extracted_entities"]:
                seen.setdefault(" ".join(entity.lower().split()), None)
        if len(seen) >= n_phrases:
            return list(seen)[:n_phrases]
        passages = int(passages * 1.3 * n_phrases / max(len(seen), 1)) + 100


def key(pairs, n: int) -> np.ndarray:
    return pairs.a * n + pairs.b


def cross_rows(label: str, v: np.ndarray, threshold: float, probes: list[int], repeat: int, n_new: int = 1000) -> list[tuple]:
    """An insert of the last `n_new` rows against the others: exact against the stored inverted file."""
    new, old = v[-n_new:], v[:-n_new]
    t = time.perf_counter()
    exact = cross_pairs(new, old, threshold)
    t_exact = time.perf_counter() - t
    t = time.perf_counter()
    ivf = build_ivf(old)
    t_build = time.perf_counter() - t
    truth = key(exact, len(old))
    rows = [(label, len(old), n_new, "exact", "-", f"{t_exact:.3f}", len(exact), "1.0000", 0)]
    print(f"{label}: cross exact {len(exact)} pairs in {t_exact:.2f}s; inverted file of {len(old)} rows in {t_build:.1f}s", flush=True)
    for n_probe in probes:
        best = float("inf")
        for _ in range(max(1, repeat)):
            t = time.perf_counter()
            got = ivf_cross_pairs(new, old, ivf, threshold, n_probe)
            best = min(best, time.perf_counter() - t)
        hits = int(np.isin(key(got, len(old)), truth).sum())
        recall = hits / len(truth) if len(truth) else 1.0
        rows.append((label, len(old), n_new, f"inverted file ({ivf.n_lists} lists)", n_probe, f"{best:.3f}", len(got), f"{recall:.4f}", len(got) - hits))
    return rows


def index_phrase_vectors(folders: list[Path]) -> np.ndarray:
    """Distinct phrase vectors of built indexes (every segment), in a fixed shuffled order."""
    parts = [np.load(f, mmap_mode="r") for folder in folders for f in sorted(folder.glob("segments/*/vectors.phrases.npy"))]
    v = np.unique(np.concatenate(parts).astype(np.float32), axis=0)
    return v[np.random.default_rng(0).permutation(len(v))]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--phrases", type=int, default=100000, help="largest phrase count")
    ap.add_argument("--sizes", default="20000", help="smaller sizes to measure too (comma list, prefixes)")
    ap.add_argument("--dim", type=int, default=128)
    ap.add_argument("--threshold", type=float, default=0.8)
    ap.add_argument("--probes", default=f"4,8,12,{DEFAULT_N_PROBE},24", help="n_probe values to try")
    ap.add_argument("--seed", type=int, default=7, help="synth_corpus seed")
    ap.add_argument("--repeat", type=int, default=3, help="approximate runs per setting; the fastest is kept")
    ap.add_argument("--tools", type=Path, default=DEFAULT_TOOLS, help="folder with synth_corpus.py, fake_embed.py")
    ap.add_argument("--out", type=Path, default=REPO / "eval" / "synonymy.md")
    ap.add_argument("--cross-probes", default=f"16,24,{DEFAULT_CROSS_PROBE},64", help="n_probe values for the insert's case")
    ap.add_argument("--vectors-from", type=Path, nargs="*", default=[], help="built index folders whose phrase vectors to test too")
    args = ap.parse_args()

    corpus_py, embed_py = find_tools(args.tools)

    t0 = time.perf_counter()
    phrases = make_phrases(corpus_py, args.phrases, args.seed)
    vectors = embed_phrases(embed_py.parent, phrases, args.dim)
    print(f"{len(phrases)} phrases embedded (dim {args.dim}) in {time.perf_counter() - t0:.1f}s", flush=True)

    sizes = sorted({int(s) for s in args.sizes.split(",") if s.strip()} | {args.phrases})
    sizes = [s for s in sizes if 0 < s <= args.phrases]
    probes = [int(p) for p in args.probes.split(",") if p.strip()]
    rows = []
    for n in sizes:
        v = vectors[:n]
        t = time.perf_counter()
        exact = exact_pairs(v, args.threshold)
        t_exact = time.perf_counter() - t
        truth = key(exact, n)
        print(f"N={n}: exact {len(exact)} pairs in {t_exact:.1f}s", flush=True)
        rows.append((n, "exact", "-", "-", f"{t_exact:.1f}", len(exact), "1.0000", 0))
        for n_probe in probes:
            t_approx = float("inf")
            for _ in range(max(1, args.repeat)):
                t = time.perf_counter()
                approx = approximate_pairs(v, args.threshold, n_probe=n_probe)
                t_approx = min(t_approx, time.perf_counter() - t)
            got = key(approx, n)
            hits = np.isin(got, truth).sum()
            recall = hits / len(truth) if len(truth) else 1.0
            false = len(got) - int(hits)
            print(f"  n_probe={n_probe}: {len(approx)} pairs, recall {recall:.4f}, {false} false, "
                  f"{t_approx:.1f}s", flush=True)
            rows.append((n, "approximate", default_n_lists(n), n_probe, f"{t_approx:.1f}", len(approx),
                         f"{recall:.4f}", false))

    cross_probes = [int(p) for p in args.cross_probes.split(",") if p.strip()]
    crossing = cross_rows(f"synthetic, dim {args.dim}", vectors, args.threshold, cross_probes, args.repeat)
    if args.vectors_from:
        real = index_phrase_vectors(args.vectors_from)
        crossing += cross_rows(f"MiniLM phrases of {len(args.vectors_from)} indexes", real, args.threshold, cross_probes, args.repeat)

    lines = [
        "# Synonym pairs: exact vs IVF-approximate",
        "",
        f"Phrases: distinct entities of `../shared/tools/synth_corpus.py` (seed {args.seed}), embedded with "
        f"`../shared/tools/fake_embed.py`'s hashed word + character-trigram features (dim {args.dim}, "
        "L2-normalised). Smaller sizes are prefixes of the largest set. "
        f"Threshold {args.threshold}. Recall is the share of exact pairs the approximate search returns; "
        "\"false\" counts returned pairs that exact does not have.",
        "",
        f"Machine: {platform.processor() or platform.machine()}, {os.cpu_count()} CPUs, numpy {np.__version__}. "
        f"Times are wall-clock seconds on a machine shared with other jobs (load average {os.getloadavg()[0]:.1f} "
        f"at the end): exact is one run, approximate the fastest of {max(1, args.repeat)}; expect noise of 2x.",
        "",
        "| phrases | method | n_lists | n_probe | time (s) | pairs | recall | false |",
        "|--:|:--|--:|--:|--:|--:|--:|--:|",
    ]
    lines += ["| " + " | ".join(str(x) for x in row) + " |" for row in rows]
    lines += [
        "",
        f"`synonym_pairs` uses exact below 20,000 phrases and approximate (n_probe={DEFAULT_N_PROBE}, "
        "n_lists = 4 sqrt(N)) above.",
        "",
        "## An insert against a large segment",
        "",
        "A segment with at least 20,000 phrases keeps their inverted file; an insert compares each new phrase only with "
        f"the members of its {DEFAULT_CROSS_PROBE} nearest lists (`ivf_cross_pairs`) instead of with every old phrase "
        "(`cross_pairs`). Here the last 1,000 phrases play the new batch.",
        "",
        "| vectors | old phrases | new phrases | method | n_probe | time (s) | pairs | recall | false |",
        "|:--|--:|--:|:--|--:|--:|--:|--:|--:|",
    ]
    lines += ["| " + " | ".join(str(x) for x in row) + " |" for row in crossing]
    lines += [
        "",
        f"Command: `.venv/bin/python eval/bench_synonymy.py --phrases {args.phrases} --sizes {args.sizes} "
        f"--dim {args.dim} --repeat {args.repeat} --out {args.out}"
        + "".join(f" --vectors-from {f}" if i == 0 else f" {f}" for i, f in enumerate(args.vectors_from)) + "`",
        "",
    ]
    args.out.write_text("\n".join(lines))
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
