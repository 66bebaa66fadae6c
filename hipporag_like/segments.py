"""Immutable segments: what one write added, on disk, shared by every version that lists it.

    DIR/segments/<name>/  segment.json           files, sizes and SHA-256 of everything below
                          passages.jsonl         {"id", "title", "text"} per passage, in order
                          extractions.jsonl      {"entities", "triples", "dropped_triples"}
                          phrases.jsonl          the phrase keys this segment introduced
                          facts.jsonl            the fact triples this segment introduced
                          *.offsets.npy          byte offset of each line, for random access
                          passage_ids.npy        16-character content ids, as bytes
                          vectors.<kind>.npy     float32 rows aligned with the lines above
                          terms.*.npy            BM25 term counts of the passages
                          ivf.phrases.*.npy      the phrase vectors' inverted file (large
                                                 segments only): centroids, members, offsets

A segment is written once inside a staging folder and never changed afterwards, so a version
is its list of segments plus small per-version arrays (`tables.py`), and a write costs what
it adds, not what the index holds. Lines are read lazily by offset: opening an index parses
nothing but the manifest and the arrays.
"""

from __future__ import annotations

import hashlib
import json
import mmap
import os
import secrets
import threading
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Iterable, Sequence

import numpy as np

from .errors import IndexFormatError
from .folder import fsync_path, naming
from .synonymy import PhraseIVF
from .text import content_hash

SEGMENTS_DIR = "segments"
SEGMENT_MANIFEST = "segment.json"
LINE_FILES = ("passages", "extractions", "phrases", "facts")
VECTOR_KINDS = ("passages", "phrases", "facts")
IVF_PARTS = ("centroids", "members", "offsets")


def new_segment_name() -> str:
    return f"seg-{secrets.token_hex(8)}"


def file_digest(path: Path, chunk: int = 1 << 22) -> str:
    """SHA-256 of a file, read in chunks (hashlib releases the GIL, so callers may thread it)."""
    h = hashlib.sha256()
    with path.open("rb") as handle:
        while True:
            block = handle.read(chunk)
            if not block:
                break
            h.update(block)
    return h.hexdigest()


# SHA-256 of the files this process has hashed or written, by file identity and stamp (device,
# inode, size, mtime). Index files are written once and never changed, so the reopen after a
# write (the version moved from staging by rename) and the writer's base need not hash again
# what this process wrote or checked; any rewrite changes the stamp, and a new process always
# hashes everything.
_KNOWN: dict[tuple[int, int, int, int], str] = {}


def known_digest(path: Path) -> str:
    """`file_digest`, computed at most once per process for the same unchanged file."""
    info = path.stat()
    stamp = (info.st_dev, info.st_ino, info.st_size, info.st_mtime_ns)
    digest = _KNOWN.get(stamp)
    if digest is None:
        digest = _KNOWN[stamp] = file_digest(path)
    return digest


def _write_lines(path: Path, rows: Iterable[Any]) -> np.ndarray:
    """JSON Lines, returning the byte offset of every line start plus the end (not yet synced)."""
    offsets = [0]
    with naming(path), path.open("wb") as out:
        for row in rows:
            data = json.dumps(row, ensure_ascii=False).encode("utf-8") + b"\n"
            out.write(data)
            offsets.append(offsets[-1] + len(data))
    return np.asarray(offsets, dtype=np.int64)


def save_array(path: Path, array: np.ndarray) -> None:
    """An .npy file, written but not yet synced: writers save a folder's files, then call
    `sync_and_hash` on them all at once."""
    with naming(path), path.open("wb") as out:
        np.save(out, np.ascontiguousarray(array), allow_pickle=False)


def sync_and_hash(paths: Sequence[Path]) -> dict[str, dict[str, Any]]:
    """fsync every file, then return {name: {size, sha256}} for a manifest.

    Why synced: a version is published by renames and a synced CURRENT; without this a power cut
    could leave CURRENT naming files whose blocks never reached the disk (a kill cannot: the page
    cache survives it). Why together, on threads: fsync and SHA-256 both release the GIL, so the
    disk flushes overlap each other and the hashing (28 MB of version arrays at 20,000 passages:
    60 ms one by one, 45 ms this way)."""
    with ThreadPoolExecutor(max_workers=4) as pool:
        list(pool.map(fsync_path, paths))
        digests = list(pool.map(known_digest, paths))
    return {p.name: {"size": p.stat().st_size, "sha256": d} for p, d in zip(paths, digests)}


@dataclass(frozen=True)
class SegmentContent:
    """Everything a segment holds, in memory, before it is written."""

    passages: Sequence[dict[str, str]]  # {"id", "title", "text"}
    extractions: Sequence[dict[str, Any]]  # {"entities", "triples", "dropped_triples"}
    phrases: Sequence[str]
    facts: Sequence[Sequence[str]]
    vectors: dict[str, np.ndarray]  # kind -> float32 rows
    terms: dict[str, np.ndarray]  # BM25 term-count arrays of the passages
    phrase_ivf: PhraseIVF | None = None  # for segments with many phrases: later inserts probe it


def write_segment(parent: Path, content: SegmentContent, name: str | None = None) -> dict[str, Any]:
    """Write a complete segment folder under `parent`; return its entry for the version manifest.

    `segment.json` is written last: a folder without it is an interrupted write, never listed.
    """
    name = name or new_segment_name()
    folder = parent / name
    folder.mkdir(parents=True)
    rows = {
        "passages": content.passages,
        "extractions": content.extractions,
        "phrases": content.phrases,
        "facts": [list(t) for t in content.facts],
    }
    for kind, lines in rows.items():
        save_array(folder / f"{kind}.offsets.npy", _write_lines(folder / f"{kind}.jsonl", lines))
    save_array(folder / "passage_ids.npy", np.array([p["id"] for p in content.passages], dtype="S16"))
    for kind in VECTOR_KINDS:
        vectors = np.ascontiguousarray(content.vectors[kind], dtype=np.float32)
        save_array(folder / f"vectors.{kind}.npy", vectors)
    for key, array in content.terms.items():
        save_array(folder / f"terms.{key}.npy", array)
    if content.phrase_ivf is not None:
        for part in IVF_PARTS:
            save_array(folder / f"ivf.phrases.{part}.npy", getattr(content.phrase_ivf, part))
    files = sync_and_hash(sorted(folder.iterdir()))
    meta = {
        "name": name,
        "counts": {kind: len(rows[kind]) for kind in ("passages", "phrases", "facts")},
        "dim": int(content.vectors["passages"].shape[1]) if content.vectors["passages"].ndim == 2 else 0,
        "files": files,
    }
    raw = json.dumps(meta, indent=1, sort_keys=True).encode("utf-8")
    with (folder / SEGMENT_MANIFEST).open("wb") as out:
        out.write(raw)
        out.flush()
        os.fsync(out.fileno())
    return {"name": name, "sha256": content_hash(raw), "counts": meta["counts"]}


class Segment:
    """Read access to one committed segment; lines are decoded only when asked for."""

    def __init__(self, folder: Path, entry: dict[str, Any]) -> None:
        self.folder = folder
        self.name = str(entry["name"])
        self.counts: dict[str, int] = {k: int(v) for k, v in entry["counts"].items()}
        path = folder / SEGMENT_MANIFEST
        if not path.is_file():
            raise IndexFormatError(f"{path}: missing; segment {self.name} is incomplete or was removed")
        raw = path.read_bytes()
        if content_hash(raw) != entry.get("sha256"):
            raise IndexFormatError(f"{path}: content does not match the version manifest (damaged or edited)")
        try:
            self.meta = json.loads(raw)
            self.files: dict[str, dict[str, Any]] = dict(self.meta["files"])
        except (ValueError, KeyError, TypeError, RecursionError):
            raise IndexFormatError(f"{path}: damaged segment manifest") from None
        self._maps: dict[str, mmap.mmap | bytes] = {}
        self._offsets: dict[str, np.ndarray] = {}
        self._lock = threading.Lock()  # a server's request threads share one opened index

    # -- integrity ---------------------------------------------------------------------------
    def check_sizes(self) -> None:
        """Cheap: every listed file exists with its recorded size."""
        for file, info in self.files.items():
            path = self.folder / file
            try:
                size = path.stat().st_size
            except OSError:
                raise IndexFormatError(f"{path}: missing index file") from None
            if size != info.get("size"):
                raise IndexFormatError(f"{path}: content does not match the manifest ({size} bytes, expected {info.get('size')}; damaged or edited)")

    def digest_jobs(self) -> list[tuple[Path, str]]:
        """(path, expected SHA-256) of every file, for a full check."""
        return [(self.folder / file, str(info.get("sha256"))) for file, info in self.files.items()]

    # -- arrays ------------------------------------------------------------------------------
    def _listed(self, name: str) -> Path:
        """The path of a file the segment's manifest lists. Only listed files are size- and
        hash-checked, so one left out of an edited segment.json is never read unchecked."""
        path = self.folder / name
        if name not in self.files:
            raise IndexFormatError(f"{path}: not listed in {self.folder / SEGMENT_MANIFEST} (damaged or edited)")
        return path

    def array(self, name: str, mmap_mode: str | None = "r") -> np.ndarray:
        path = self._listed(name)
        try:
            return np.load(path, mmap_mode=mmap_mode, allow_pickle=False)
        except (OSError, ValueError) as exc:
            raise IndexFormatError(f"{path}: damaged array ({exc})") from None

    def vectors(self, kind: str) -> np.ndarray:
        return self.array(f"vectors.{kind}.npy")

    def vector_file(self, kind: str) -> tuple[Path, str]:
        name = f"vectors.{kind}.npy"
        return self._listed(name), str(self.files[name]["sha256"])

    def phrase_ivf(self) -> PhraseIVF | None:
        """The phrase vectors' inverted file, memory-mapped, or None when the segment has none."""
        if f"ivf.phrases.{IVF_PARTS[0]}.npy" not in self.files:
            return None
        return PhraseIVF(*(self.array(f"ivf.phrases.{part}.npy") for part in IVF_PARTS))

    def passage_ids(self) -> np.ndarray:
        return self.array("passage_ids.npy", mmap_mode=None)

    # -- lines -------------------------------------------------------------------------------
    def _map(self, kind: str) -> mmap.mmap | bytes:
        data = self._maps.get(kind)
        if data is None:
            with self._lock:
                if kind not in self._maps:
                    path = self._listed(f"{kind}.jsonl")
                    self._offsets[kind] = self.array(f"{kind}.offsets.npy", mmap_mode=None)  # before the map: readers check the map
                    with path.open("rb") as handle:
                        size = os.fstat(handle.fileno()).st_size
                        self._maps[kind] = mmap.mmap(handle.fileno(), 0, access=mmap.ACCESS_READ) if size else b""
                data = self._maps[kind]
        return data

    def line(self, kind: str, row: int) -> Any:
        data = self._map(kind)
        offsets = self._offsets[kind]
        if not 0 <= row < len(offsets) - 1:
            raise IndexFormatError(f"{self.folder / kind}.jsonl: row {row} is out of range")
        start, end = int(offsets[row]), int(offsets[row + 1])
        try:
            return json.loads(data[start:end])
        except (ValueError, RecursionError):
            raise IndexFormatError(f"{self.folder / kind}.jsonl:{row + 1}: damaged index file") from None

    def close(self) -> None:
        with self._lock:
            for data in self._maps.values():
                if isinstance(data, mmap.mmap):
                    data.close()
            self._maps.clear()
