"""One index version on disk: `manifest.json`, the version's arrays, and the segments it lists.

    DIR/vNNNNNN/manifest.json   format, models, settings, counts, the segment list (each with
                                the SHA-256 of its segment.json) and every array's size and hash
    DIR/vNNNNNN/t.*.npy         the tables (`tables.Tables`)
    DIR/vNNNNNN/d.*.npy         the walk graph as CSR and the fact-to-passage index
    DIR/segments/<name>/        immutable segments (`segments.py`), shared between versions

No pickle anywhere: arrays load with allow_pickle=False and memory-mapped, text is JSON.
Opening checks every byte against the manifest (SHA-256 runs at over 1.5 GB/s here, two files
at a time) and the arrays' shapes and ranges, so a damaged, truncated or edited index is refused
with the name of the part at fault, and no ranking is ever computed from bytes the manifest
does not vouch for. Opening writes nothing.
"""

from __future__ import annotations

import json
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from . import readers
from .errors import IndexFormatError
from .folder import version_folder, write_synced
from .segments import SEGMENTS_DIR, VECTOR_KINDS, Segment, known_digest, save_array, sync_and_hash
from .graph import IndexData  # noqa: F401 - re-exported: the export format's input
from .tables import Derived, Tables

FORMAT = "hipporag-like-index"
FORMAT_VERSION = 3  # 3: immutable segments shared between versions; arrays instead of JSONL tables
MANIFEST = "manifest.json"
MAX_MANIFEST_BYTES = 64 << 20
ARRAY_PREFIX: dict[type[Tables] | type[Derived], str] = {Tables: "t", Derived: "d"}


def array_files(kind: type[Tables] | type[Derived]) -> dict[str, str]:
    """Field -> file name of one kind of version array. The writer, the loader and the check that
    the manifest lists every file all name the arrays through this, so none of them can drift."""
    return {name: f"{ARRAY_PREFIX[kind]}.{name}.npy" for name in kind.names()}


def required_files() -> list[str]:
    """Every file a version folder must list in its manifest: exactly the arrays opening loads."""
    return [file for kind in ARRAY_PREFIX for file in array_files(kind).values()]


def write_arrays(folder: Path, tables: Tables, derived: Derived) -> dict[str, dict[str, Any]]:
    """Write the version's arrays; return {file: {size, sha256}} for the manifest."""
    paths = []
    for kind, source in ((Tables, tables), (Derived, derived)):
        for name, file in array_files(kind).items():
            paths.append(folder / file)
            save_array(paths[-1], getattr(source, name))
    return sync_and_hash(paths)


def write_manifest(folder: Path, manifest: dict[str, Any]) -> None:
    tmp = folder / (MANIFEST + ".tmp")
    write_synced(tmp, json.dumps(manifest, indent=2, sort_keys=True))
    tmp.replace(folder / MANIFEST)


def read_manifest(index_dir: Path) -> dict[str, Any]:
    """The manifest of the index's committed version."""
    return read_manifest_file(version_folder(Path(index_dir)))


def read_manifest_file(folder: Path) -> dict[str, Any]:
    """The manifest of one version folder, checked for shape (not yet against the files)."""
    path = folder / MANIFEST
    if not path.is_file():
        raise IndexFormatError(f"{path}: missing; {folder} is not a complete index version")
    if path.stat().st_size > MAX_MANIFEST_BYTES:
        raise IndexFormatError(f"{path}: implausibly large manifest (damaged)")
    try:
        manifest = json.loads(path.read_text(encoding="utf-8"))
    except (ValueError, UnicodeDecodeError, RecursionError):
        raise IndexFormatError(f"{path}: damaged manifest (not valid JSON)") from None
    if not isinstance(manifest, dict) or manifest.get("format") != FORMAT:
        raise IndexFormatError(f"{path}: not a hipporag-like manifest (field \"format\")")
    version = manifest.get("format_version")
    if version != FORMAT_VERSION:
        raise IndexFormatError(
            f"{path}: index format version {version!r} is not supported (this hipporag-like reads version {FORMAT_VERSION}); rebuild the index"
        )
    for key in ("files", "embedder", "config", "counts", "vectors"):
        if not isinstance(manifest.get(key), dict):
            raise IndexFormatError(f"{path}: field \"{key}\" is missing or not an object")
    segments = manifest.get("segments")
    if not isinstance(segments, list) or not all(
        isinstance(s, dict) and isinstance(s.get("name"), str) and isinstance(s.get("counts"), dict) for s in segments
    ):
        raise IndexFormatError(f"{path}: field \"segments\" is missing or malformed")
    for entry in segments:
        if not entry["name"].startswith("seg-") or "/" in entry["name"] or not all(
            isinstance(entry["counts"].get(k), int) and entry["counts"][k] >= 0 for k in VECTOR_KINDS
        ):
            raise IndexFormatError(f"{path}: segment entry {entry['name'][:40]!r} is malformed")
    return manifest


@dataclass
class Version:
    """An opened, verified version: arrays memory-mapped, segments ready for lazy reads."""

    folder: Path
    manifest: dict[str, Any]
    tables: Tables
    derived: Derived
    segments: list[Segment]
    offsets: dict[str, np.ndarray]  # kind -> first row of each segment, plus the total
    lease: readers.Lease | None = None  # keeps a commit in another process from retiring this version

    @property
    def index_dir(self) -> Path:
        return self.folder.parent

    def locate(self, kind: str, row: int) -> tuple[Segment, int]:
        """The segment holding a global row, and the row inside it."""
        offsets = self.offsets["passages" if kind == "extractions" else kind]  # one extraction per passage
        at = int(np.searchsorted(offsets, row, side="right")) - 1
        return self.segments[at], row - int(offsets[at])

    def line(self, kind: str, row: int) -> Any:
        segment, local = self.locate(kind, row)
        return segment.line(kind, local)

    def passage_ids(self) -> np.ndarray:
        """Every row's content id (dead rows included), as 16-byte strings."""
        if not self.segments:
            return np.zeros(0, dtype="S16")
        return np.concatenate([s.passage_ids() for s in self.segments])

    def close(self) -> None:
        for segment in self.segments:
            segment.close()
        if self.lease is not None:
            self.lease.close()


def open_version(index_dir: Path, *, folder: Path | None = None, segment_roots: tuple[Path, ...] = ()) -> Version:
    """Open and verify the committed version (or a given version folder, whose segments may
    also lie in `segment_roots`: a writer's staging area)."""
    committed = folder is None
    for attempt in range(3):
        chosen = folder or version_folder(index_dir)
        lease = readers.lease(chosen)
        try:
            return _open_leased(index_dir, chosen, segment_roots, lease)
        except IndexFormatError:
            if lease is not None:
                lease.close()
            # a commit in another process retired the version between reading CURRENT and the
            # lease: open the one CURRENT names now
            if not committed or attempt == 2 or (chosen / MANIFEST).is_file():
                raise
    raise AssertionError("unreachable")


def _open_leased(index_dir: Path, folder: Path, segment_roots: tuple[Path, ...], lease: readers.Lease | None) -> Version:
    manifest = read_manifest_file(folder)
    roots = (*segment_roots, Path(index_dir) / SEGMENTS_DIR)

    def where(name: str) -> Path:
        return next((root / name for root in roots if (root / name).is_dir()), roots[-1] / name)

    segments = [Segment(where(entry["name"]), entry) for entry in manifest["segments"]]
    _check_files(folder, manifest, segments)
    tables = Tables(**{name: _load(folder / file) for name, file in array_files(Tables).items()})
    derived = Derived(**{name: _load(folder / file) for name, file in array_files(Derived).items()})
    offsets = {kind: np.concatenate([[0], np.cumsum([s.counts[kind] for s in segments])]).astype(np.int64) for kind in VECTOR_KINDS}
    version = Version(folder, manifest, tables, derived, segments, offsets, lease)
    check_structure(version)
    check_counts(version)
    return version


def check_unchanged(version: Version) -> None:
    """Refuse a version whose files changed since it was opened: sizes, and hashes (recomputed
    only for files whose identity or stamp moved, see segments.known_digest). Lets a writer
    start from the version its caller holds open instead of opening it again."""
    _check_files(version.folder, version.manifest, version.segments)


def _check_files(folder: Path, manifest: dict[str, Any], segments: list[Segment]) -> None:
    _check_listed(folder, manifest)
    jobs: list[tuple[Path, str]] = []
    for name, info in manifest["files"].items():
        if not isinstance(info, dict) or "/" in name or not isinstance(info.get("sha256"), str):
            raise IndexFormatError(f"{folder / MANIFEST}: file entry {name[:40]!r} is malformed")
        _check_size(folder / name, info.get("size"))
        jobs.append((folder / name, str(info.get("sha256"))))
    for segment in segments:
        segment.check_sizes()
        jobs.extend(segment.digest_jobs())
    _check_digests(jobs)


def _check_listed(folder: Path, manifest: dict[str, Any]) -> None:
    """Only listed files are hash-checked, so a manifest that leaves an array out (or lists
    nothing) would let that array's bytes through unchecked: refuse it."""
    missing = next((file for file in required_files() if file not in manifest["files"]), None)
    if missing is not None:
        raise IndexFormatError(f"{folder / MANIFEST}: does not list {missing} with its size and hash (damaged or edited)")


def _check_size(path: Path, size: Any) -> None:
    try:
        actual = path.stat().st_size
    except OSError:
        raise IndexFormatError(f"{path}: missing index file") from None
    if actual != size:
        raise IndexFormatError(f"{path}: content does not match the manifest ({actual} bytes, expected {size}; damaged or edited)")


def _check_digests(jobs: list[tuple[Path, str]]) -> None:
    def bad(job: tuple[Path, str]) -> Path | None:
        path, expected = job
        return path if known_digest(path) != expected else None

    with ThreadPoolExecutor(max_workers=2) as pool:
        for path in pool.map(bad, jobs):
            if path is not None:
                raise IndexFormatError(f"{path}: content does not match the manifest (damaged or edited)")


def _load(path: Path) -> np.ndarray:
    try:
        array = np.load(path, mmap_mode="r", allow_pickle=False)
    except (OSError, ValueError) as exc:
        raise IndexFormatError(f"{path}: damaged array ({str(exc)[:80]})") from None
    if array.ndim != 1:
        raise IndexFormatError(f"{path}: expected a one-dimensional array, found shape {array.shape}")
    return array


def check_structure(version: Version) -> None:
    """Shapes and ranges: a tampered array with a matching hash still cannot send a walk astray."""
    t, d, where = version.tables, version.derived, version.folder
    p, n, f = (int(version.offsets[k][-1]) for k in ("passages", "phrases", "facts"))

    def need(ok: bool, part: str, what: str) -> None:
        if not ok:
            raise IndexFormatError(f"{where}/{part}: {what} (damaged or edited)")

    def rows(part: str, array: np.ndarray, limit: int) -> None:
        need(array.size == 0 or (int(array.min()) >= 0 and int(array.max()) < limit), part, f"holds a row outside 0..{limit - 1}")

    need(len(t.passage_live) == p, "t.passage_live.npy", f"has {len(t.passage_live)} rows, the segments hold {p} passages")
    need(len(t.phrase_point) == n, "t.phrase_point.npy", f"has {len(t.phrase_point)} rows, the segments hold {n} phrases")
    need(len(t.fact_point) == len(t.fact_subject) == len(t.fact_object) == f, "t.fact_point.npy", f"fact arrays disagree with the segments' {f} facts")
    need(len(t.mention_passage) == len(t.mention_phrase) == len(t.mention_title), "t.mention_passage.npy", "mention arrays differ in length")
    need(len(t.occ_passage) == len(t.occ_fact), "t.occ_passage.npy", "occurrence arrays differ in length")
    need(len(t.syn_a) == len(t.syn_b) == len(t.syn_score), "t.syn_a.npy", "synonym arrays differ in length")
    for part, array, limit in (("t.fact_subject.npy", t.fact_subject, n), ("t.fact_object.npy", t.fact_object, n),
                               ("t.mention_passage.npy", t.mention_passage, p), ("t.mention_phrase.npy", t.mention_phrase, n),
                               ("t.occ_passage.npy", t.occ_passage, p), ("t.occ_fact.npy", t.occ_fact, f),
                               ("t.syn_a.npy", t.syn_a, n), ("t.syn_b.npy", t.syn_b, n),
                               ("d.graph_indices.npy", d.graph_indices, p + n), ("d.fact_passages.npy", d.fact_passages, p)):
        rows(part, array, limit)
    for part, indptr, size, length in (("d.graph_indptr.npy", d.graph_indptr, p + n + 1, len(d.graph_indices)),
                                       ("d.fact_indptr.npy", d.fact_indptr, f + 1, len(d.fact_passages))):
        need(len(indptr) == size and int(indptr[0]) == 0 and int(indptr[-1]) == length and bool(np.all(np.diff(indptr) >= 0)),
             part, "is not a valid row pointer")
    need(len(d.graph_weight) == len(d.graph_indices) and bool(np.all(np.isfinite(d.graph_weight)) and np.all(d.graph_weight >= 0)),
         "d.graph_weight.npy", "weights are missing, negative or not finite")
    dim = version.manifest["embedder"].get("dim", 0)
    if not isinstance(dim, int) or isinstance(dim, bool) or dim < 0:
        raise IndexFormatError(f"{where / MANIFEST}: field \"embedder.dim\" is not a vector width (damaged or edited)")
    for segment in version.segments:
        for kind in VECTOR_KINDS:
            _check_vectors(segment, kind, dim)


def check_counts(version: Version) -> None:
    """The manifest's counts (what `stats` reports) agree with the arrays they describe."""
    t, stated = version.tables, version.manifest.get("counts", {})
    actual = {"passages": int(np.asarray(t.passage_live).sum()), "phrases": int(t.phrase_live().sum()),
              "facts": int(t.fact_live().sum()), "segments": len(version.segments),
              "rows": {"passages": t.n_passages, "phrases": t.n_phrases, "facts": len(t.fact_point)}}
    for key, value in actual.items():
        if key in stated and stated[key] != value:
            raise IndexFormatError(f"{version.folder / MANIFEST}: counts.{key} says {stated[key]}, the arrays hold {value} "
                                   "(damaged or edited)")


def _check_vectors(segment: Segment, kind: str, dim: int) -> None:
    """One segment's vectors: a row per counted item, as wide as the manifest's embedder says.
    Errors name the file where it lies (under DIR/segments/, or a writer's staging area)."""
    vectors, rows = segment.vectors(kind), segment.counts[kind]
    path = segment.folder / f"vectors.{kind}.npy"
    if rows == 0 and vectors.ndim >= 1 and vectors.shape[0] == 0:
        return
    if vectors.ndim != 2 or vectors.shape[0] != rows:
        raise IndexFormatError(f"{path}: shape {vectors.shape} does not match the segment's {rows} {kind} (damaged or edited)")
    if vectors.shape[1] != dim:
        raise IndexFormatError(f"{path}: vectors are {vectors.shape[1]} wide, the manifest's embedder.dim says {dim} (damaged or edited)")
