"""The index folder on disk: plain JSON Lines, one .npz of edge arrays, the vector shards and
`manifest.json`. No pickle: arrays load with allow_pickle=False, text is JSON.

These files make up one version folder; `folder.py` stages, commits and locks versions. The manifest records every file's
SHA-256, so a damaged or tampered folder is refused with the name of the file at fault.
"""

from __future__ import annotations

import io
import json
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Iterable

import numpy as np

from .corpus import Passage
from .errors import IndexFormatError
from .extraction.base import Extraction
from .folder import version_folder
from .graph import Edges, Facts, Phrases
from .text import content_hash

FORMAT = "hipporag-like-index"
FORMAT_VERSION = 2  # 2: versioned folders (CURRENT + vNNNNNN/)
MANIFEST = "manifest.json"
DATA_FILES = ("passages.jsonl", "extractions.jsonl", "phrases.jsonl", "facts.jsonl", "edges.npz")


@dataclass
class IndexData:
    """Everything but the vectors: what the graph and the result texts are made of."""

    passages: list[Passage]
    extractions: list[Extraction]
    phrases: Phrases
    facts: Facts
    edges: Edges


def _write_jsonl(path: Path, rows: Iterable[dict[str, Any]]) -> None:
    with path.open("w", encoding="utf-8") as out:
        for row in rows:
            out.write(json.dumps(row, ensure_ascii=False))
            out.write("\n")


def _parse_jsonl(path: Path, data: bytes) -> list[dict[str, Any]]:
    rows = []
    for number, line in enumerate(data.decode("utf-8").splitlines(), start=1):
        try:
            rows.append(json.loads(line))
        except json.JSONDecodeError as exc:
            raise IndexFormatError(f"{path}:{number}: damaged index file ({exc.msg})") from None
    return rows


def write_data(folder: Path, data: IndexData) -> dict[str, str]:
    """Write the data files; return {file name: sha256} for the manifest."""
    _write_jsonl(folder / "passages.jsonl", ({"id": p.id, "title": p.title, "text": p.text} for p in data.passages))
    _write_jsonl(
        folder / "extractions.jsonl",
        (
            {"passage_id": e.passage_id, "entities": list(e.entities), "triples": [list(t) for t in e.triples], "dropped_triples": e.dropped_triples}
            for e in data.extractions
        ),
    )
    _write_jsonl(folder / "phrases.jsonl", ({"phrase": k, "passages": p} for k, p in zip(data.phrases.keys, data.phrases.passages)))
    _write_jsonl(folder / "facts.jsonl", ({"triple": list(t), "passages": p} for t, p in zip(data.facts.triples, data.facts.passages)))
    with (folder / "edges.npz").open("wb") as out:
        np.savez(out, src=data.edges.src, dst=data.edges.dst, weight=data.edges.weight, kind=data.edges.kind)
    return {name: content_hash((folder / name).read_bytes()) for name in DATA_FILES}


def read_data(folder: Path, hashes: dict[str, str]) -> IndexData:
    """Read each data file once: check it against the manifest's hash, then parse those bytes."""
    raw: dict[str, bytes] = {}
    for name in DATA_FILES:
        path = folder / name
        if not path.is_file():
            raise IndexFormatError(f"{path}: missing index file")
        raw[name] = path.read_bytes()
        if hashes.get(name) != content_hash(raw[name]):
            raise IndexFormatError(f"{path}: content does not match the manifest (damaged or edited)")

    def rows(name: str) -> list[dict[str, Any]]:
        return _parse_jsonl(folder / name, raw[name])

    passages = [Passage(r["id"], r["title"], r["text"]) for r in rows("passages.jsonl")]
    extractions = [
        Extraction(r["passage_id"], tuple(r["entities"]), tuple(tuple(t) for t in r["triples"]), r.get("dropped_triples", 0))  # type: ignore[misc]
        for r in rows("extractions.jsonl")
    ]
    phrase_rows = rows("phrases.jsonl")
    fact_rows = rows("facts.jsonl")
    with np.load(io.BytesIO(raw["edges.npz"]), allow_pickle=False) as arrays:
        edges = Edges(arrays["src"], arrays["dst"], arrays["weight"], arrays["kind"])
    return IndexData(
        passages=passages,
        extractions=extractions,
        phrases=Phrases([r["phrase"] for r in phrase_rows], [r["passages"] for r in phrase_rows]),
        facts=Facts([tuple(r["triple"]) for r in fact_rows], [r["passages"] for r in fact_rows]),  # type: ignore[misc]
        edges=edges,
    )


def write_manifest(folder: Path, manifest: dict[str, Any]) -> None:
    tmp = folder / (MANIFEST + ".tmp")
    tmp.write_text(json.dumps(manifest, indent=2, sort_keys=True), encoding="utf-8")
    with tmp.open("rb") as handle:
        os.fsync(handle.fileno())
    tmp.replace(folder / MANIFEST)


def read_manifest(index_dir: Path) -> dict[str, Any]:
    """The manifest of the index's committed version."""
    return read_manifest_file(version_folder(Path(index_dir)))


def read_manifest_file(folder: Path) -> dict[str, Any]:
    """The manifest of one version folder, checked."""
    path = folder / MANIFEST
    if not path.is_file():
        raise IndexFormatError(f"{path}: missing; {folder} is not a complete index version")
    try:
        manifest = json.loads(path.read_text(encoding="utf-8"))
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise IndexFormatError(f"{path}: damaged manifest ({exc})") from None
    if not isinstance(manifest, dict) or manifest.get("format") != FORMAT:
        raise IndexFormatError(f"{path}: not a hipporag-like manifest (field \"format\")")
    version = manifest.get("format_version")
    if version != FORMAT_VERSION:
        raise IndexFormatError(
            f"{path}: index format version {version!r} is not supported (this hipporag-like reads version {FORMAT_VERSION}); rebuild the index"
        )
    for key in ("files", "embedder", "config", "counts"):
        if not isinstance(manifest.get(key), dict):
            raise IndexFormatError(f"{path}: field \"{key}\" is missing or not an object")
    return manifest
