"""A build killed with SIGKILL never leaves a half-written index behind."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

from hipporag_like import Index
from hipporag_like.store import clear_stale_staging

from conftest import DEMO, ROOT


def start_build(corpus: Path, index_dir: Path, cache: Path) -> subprocess.Popen:
    env = {**os.environ, "HIPPORAG_LIKE_CACHE": str(cache)}
    return subprocess.Popen(
        [sys.executable, str(ROOT / "cli.py"), "index", str(corpus), "--index", str(index_dir), "--quiet"],
        env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )


def kill_once_staging_appears(process: subprocess.Popen, index_dir: Path, timeout: float = 120) -> bool:
    """SIGKILL the build as soon as it starts writing its staging folder."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline and process.poll() is None:
        if any(index_dir.parent.glob(f".{index_dir.name}.tmp-*")):
            process.send_signal(signal.SIGKILL)
            process.wait()
            return True
        time.sleep(0.005)
    process.kill()
    process.wait()
    return False


def test_kill_during_first_build_leaves_no_index(tmp_path):
    corpus = DEMO / "corpus.json"
    index_dir = tmp_path / "idx"
    assert kill_once_staging_appears(start_build(corpus, index_dir, tmp_path / "cache"), index_dir)
    assert not index_dir.exists()
    # The next build clears the dead process's staging folder and succeeds.
    clear_stale_staging(index_dir)
    assert not list(tmp_path.glob(".idx.tmp-*"))


def test_kill_during_rebuild_keeps_the_old_index(tmp_path, demo_passages):
    index_dir = tmp_path / "idx"
    Index.build(demo_passages[:5], index_dir, cache_dir=tmp_path / "cache").close()
    before = json.loads((index_dir / "manifest.json").read_text())
    corpus = tmp_path / "bigger.json"
    corpus.write_text((DEMO / "corpus.json").read_text())
    assert kill_once_staging_appears(start_build(corpus, index_dir, tmp_path / "cache"), index_dir)
    with Index.open(index_dir) as index:
        assert index.stats()["passages"] == 5
        assert index.manifest["files"] == before["files"]
