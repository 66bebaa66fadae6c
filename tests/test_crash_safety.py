"""SIGKILL at several points of a write never leaves a broken or half-changed index, and work
already paid for (extraction) is kept. Each case kills a real child process at a named point
(the HIPPORAG_LIKE_FAILPOINT test hook sends the process SIGKILL there)."""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from hipporag_like import Index, read_corpus
from hipporag_like.folder import FAILPOINT_ENV

from conftest import DEMO, ROOT


def run_cli(args: list[str], cache: Path, failpoint: str | None = None) -> subprocess.CompletedProcess:
    env = {**os.environ, "HIPPORAG_LIKE_CACHE": str(cache)}
    env.pop(FAILPOINT_ENV, None)
    if failpoint:
        env[FAILPOINT_ENV] = failpoint
    return subprocess.run([sys.executable, str(ROOT / "cli.py"), *args, "--quiet"], env=env, capture_output=True, text=True, timeout=300)


@pytest.fixture(scope="module")
def split_corpus(tmp_path_factory) -> tuple[Path, Path, Path]:
    """The demo corpus as 30 base passages and 13 to insert; the base indexed once."""
    folder = tmp_path_factory.mktemp("split")
    records = json.loads((DEMO / "corpus.json").read_text())
    (folder / "base.json").write_text(json.dumps(records[:30]))
    (folder / "more.json").write_text(json.dumps(records[30:]))
    Index.build(read_corpus([folder / "base.json"]).passages, folder / "base-index", cache_dir=folder / "cache").close()
    return folder / "base.json", folder / "more.json", folder / "base-index"


def test_kill_during_first_build_leaves_no_index(tmp_path, demo_passages):
    index_dir = tmp_path / "idx"
    killed = run_cli(["index", str(DEMO / "corpus.json"), "--index", str(index_dir)], tmp_path / "cache", "before-publish")
    assert killed.returncode == -signal.SIGKILL
    assert not index_dir.exists()
    assert list(tmp_path.glob(".idx.tmp-*"))  # what the dead build staged...
    Index.build(demo_passages, index_dir, cache_dir=tmp_path / "cache").close()
    assert not list(tmp_path.glob(".idx.tmp-*"))  # ...is cleared by the next writer
    with Index.open(index_dir) as index:
        assert index.stats()["passages"] == 43
        assert index.manifest["extractor"]["cache_hits"] == 43  # extraction was paid for once


@pytest.mark.parametrize(
    "point, committed",
    [("after-extract", False), ("after-rename", False), ("after-commit", True)],
)
def test_kill_during_insert_leaves_before_or_after(tmp_path, split_corpus, point, committed):
    _, more, base_index = split_corpus
    index_dir = tmp_path / "idx"
    shutil.copytree(base_index, index_dir)
    cache = base_index.parent / "cache"
    killed = run_cli(["insert", str(more), "--index", str(index_dir)], cache, point)
    assert killed.returncode == -signal.SIGKILL
    with Index.open(index_dir) as index:
        assert index.stats()["passages"] == (43 if committed else 30)
        assert len(index.retrieve("Who founded Greywick Press?", k=3).passages) == 3
    # The next writer clears what the dead one left and finishes the job without re-extracting.
    with Index.open(index_dir) as index:
        summary = index.insert(read_corpus([more]).passages, cache_dir=cache)
        assert summary.changed is not committed
        assert index.stats()["passages"] == 43
        if not committed:
            assert index.manifest["extractor"]["cache_hits"] == 13
    leftovers = [p.name for p in index_dir.iterdir() if p.name.startswith(".staging")]
    assert leftovers == [] and len([p for p in index_dir.iterdir() if p.name.startswith("v")]) <= 2
