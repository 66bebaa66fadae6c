"""Insert and delete against a full rebuild on musique_100 (spaCy extractor, cold cache).

Builds an index of 1,790 passages, inserts the other 100, deletes 100, and rebuilds all 1,890
from scratch, each with a fresh extraction/embedding cache except where stated. Writes
eval/lifecycle.md. Run: .venv/bin/python eval/bench_lifecycle.py
"""

from __future__ import annotations

import os
import platform
import sys
import tempfile
import time
from pathlib import Path

from hipporag_like import Index, read_corpus

HERE = Path(__file__).resolve().parent
DATA = Path(os.environ.get("HIPPORAG_DATASETS", HERE.parent.parent / "shared" / "datasets"))


def timed(label: str, rows: list[tuple[str, float]], func):
    started = time.monotonic()
    result = func()
    rows.append((label, time.monotonic() - started))
    print(f"{label}: {rows[-1][1]:.1f} s", flush=True)
    return result


def main() -> int:
    passages = read_corpus([DATA / "musique_100" / "corpus.json"]).passages
    base, extra = passages[:1790], passages[1790:]
    rows: list[tuple[str, float]] = []
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        index = timed("build 1,790 passages (cold cache)", rows, lambda: Index.build(base, root / "a", cache_dir=root / "cache-a"))
        timed("insert 100 passages into 1,790 (their extraction not cached)", rows, lambda: index.insert(extra, cache_dir=root / "cache-a"))
        timed("delete 100 passages from 1,890", rows, lambda: index.delete([p.id for p in extra], cache_dir=root / "cache-a"))
        index.close()
        timed("full rebuild of 1,890 passages (cold cache)", rows, lambda: Index.build(passages, root / "b", cache_dir=root / "cache-b").close())
        timed("full rebuild of 1,890 passages (warm cache)", rows, lambda: Index.build(passages, root / "b", cache_dir=root / "cache-b").close())
    table = ["| operation | seconds |", "|---|---:|", *(f"| {label} | {seconds:.1f} |" for label, seconds in rows)]
    text = (
        "# Index lifecycle on musique_100\n\n"
        f"spaCy extractor, all-MiniLM-L6-v2, Qdrant Edge; {platform.machine()}, {os.cpu_count()} cores, "
        f"{time.strftime('%Y-%m-%d')}. Each write is one transaction (a new committed version).\n\n"
        + "\n".join(table) + "\n"
    )
    (HERE / "lifecycle.md").write_text(text, encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
