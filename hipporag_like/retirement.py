"""After a commit: remove what no kept version needs any more.

Versions older than the previous one go, unless a reader holds one open (readers.py: it stays
until a later commit finds it free), then every segment no kept version lists, then the
vector store's copies of those segments, asked of the store the retired version itself names
(a rebuild that moved from a Qdrant server to the embedded store drops the old collections on
that server, not on whatever the new version uses). Nothing here may fail a committed write:
problems are a warning, and leftovers go at the next commit.
"""

from __future__ import annotations

import json
import shutil
import sys
from contextlib import ExitStack
from pathlib import Path
from typing import Any

from . import readers
from .config import PipelineConfig
from .errors import HippoError
from .folder import IndexWriter
from .segments import SEGMENTS_DIR, VECTOR_KINDS
from .store import read_manifest_file
from .vectorstore.base import RetiredSegment
from .vectorstore.factory import open_vector_store


def retire_unlisted(writer: IndexWriter, config: PipelineConfig) -> None:
    """Remove versions older than the previous one that no reader holds (readers.py), then
    segments no remaining version lists, and the store's copies of them (with the store
    settings of the version that used them)."""
    try:
        with ExitStack() as held:
            free = [old for old in writer.retired_versions if held.enter_context(readers.exclusive(old))]
            _remove(writer.index_dir, free, config)
    except Exception as exc:  # noqa: BLE001 - the write is committed; leftovers go next time
        print(f"warning: committed, but could not clean up old versions: {str(exc)[:120]}", file=sys.stderr)


def _remove(index_dir: Path, versions: list[Path], config: PipelineConfig) -> None:
    """Delete `versions` (held exclusively by the caller), then the segments no other version lists."""
    kept: set[str] = set()
    for name in {p.name for p in index_dir.glob("v*")} - {p.name for p in versions}:
        kept.update(e["name"] for e in read_manifest_file(index_dir / name)["segments"])
    stores: dict[str, tuple[dict[str, Any], str]] = {}
    for old in versions:
        try:
            manifest = read_manifest_file(old)
            stores[json.dumps(manifest["config"].get("vectors", {}), sort_keys=True)] = (manifest["config"].get("vectors", {}), manifest["vectors"].get("prefix", ""))
        except HippoError:
            pass
        shutil.rmtree(old, ignore_errors=True)
    retired: list[RetiredSegment] = []
    for folder in (index_dir / SEGMENTS_DIR).glob("seg-*"):
        if folder.name not in kept:
            retired.append((folder.name, vector_digests(folder)))
            shutil.rmtree(folder, ignore_errors=True)
    if retired:
        for vectors, prefix in stores.values() or [(None, "")]:
            vectors_config = config.vectors if vectors is None else PipelineConfig.from_dict({"vectors": vectors}).vectors
            store = open_vector_store(vectors_config, [], prefix)
            store.retire(retired)
            store.close()


def vector_digests(folder: Path) -> dict[str, str]:
    try:
        files = json.loads((folder / "segment.json").read_text(encoding="utf-8"))["files"]
        return {kind: str(files[f"vectors.{kind}.npy"]["sha256"]) for kind in VECTOR_KINDS}
    except (OSError, ValueError, KeyError, TypeError):
        return {}
