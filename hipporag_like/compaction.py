"""Folding a version's segments into one: the index's garbage collection.

Deleted passages keep their rows (marked dead) and each write adds a segment, so reads slowly
do more work. Compaction writes the live rows of every segment into one new segment and
renumbers the arrays (`tables.renumber`): no re-extraction and no re-embedding, the vectors
are copied row for row. A write compacts by itself when there are more than MAX_SEGMENTS
segments or when more than MAX_DEAD_FRACTION of the passage rows are dead; `compact --index`
runs it on demand. Old segments stay until no kept version lists them.
"""

from __future__ import annotations

import numpy as np

from .changes import ChangeSummary, WriteContext, _terms, finish_version, phrase_lists
from .corpus import Passage
from .folder import failpoint
from .segments import VECTOR_KINDS, Segment, SegmentContent, write_segment
from .store import Version
from .synonymy import in_list_order
from .tables import renumber, reorder_phrases

MAX_SEGMENTS = 12
MAX_DEAD_FRACTION = 0.3


def needs_compaction(counts: dict) -> bool:
    """From a staged manifest's counts: too many segments, or too many dead passage rows."""
    rows, live = int(counts["rows"]["passages"]), int(counts["passages"])
    return int(counts["segments"]) > MAX_SEGMENTS or (rows > 0 and (rows - live) / rows > MAX_DEAD_FRACTION)


def compact_staged(ctx: WriteContext, staged: Version, summary: ChangeSummary) -> None:
    """Replace the staged version (opened from the staging folder) by a one-segment version."""
    tables, keep_p, keep_n, keep_f = renumber(staged.tables)
    kept = {"passages": keep_p, "phrases": keep_n, "facts": keep_f}
    passages = [staged.line("passages", int(r)) for r in keep_p]
    vectors = {kind: _rows(staged, kind, kept[kind]) for kind in VECTOR_KINDS}
    phrase_ivf = phrase_lists(vectors["phrases"])  # the merged segment's, for the inserts that follow
    if phrase_ivf is not None:  # stored list by list, as a large write stores them
        order, phrase_ivf = in_list_order(phrase_ivf)
        tables, keep_n, vectors["phrases"] = reorder_phrases(tables, 0, order), keep_n[order], vectors["phrases"][order]
    content = SegmentContent(
        passages=passages,
        extractions=[staged.line("extractions", int(r)) for r in keep_p],
        phrases=[staged.line("phrases", int(r)) for r in keep_n],
        facts=[staged.line("facts", int(r)) for r in keep_f],
        vectors=vectors,
        terms=_terms([Passage(p["id"], p["title"], p["text"]) for p in passages]),
        phrase_ivf=phrase_ivf,
    )
    failpoint("during-compaction")
    entry = write_segment(ctx.writer.segments_dir, content)
    for path in ctx.writer.staging.iterdir():
        path.unlink()
    ctx.store.close()
    from .vectorstore.factory import open_vector_store

    ctx.store = open_vector_store(ctx.config.vectors, [], ctx.prefix)
    ctx.store.add_segment(Segment(ctx.writer.segments_dir / entry["name"], entry))
    extractor = staged.manifest["extractor"]
    finish_version(ctx, tables, [entry], int(staged.manifest["counts"]["dropped_triples"]), extractor["fingerprint"],
                   extractor["failed"], extractor["cache_hits"], summary)
    summary.compacted = True


def _rows(version: Version, kind: str, rows: np.ndarray) -> np.ndarray:
    """The chosen global rows' vectors, read segment by segment from the memory-mapped files."""
    dim = int(version.manifest["embedder"]["dim"])
    parts = []
    offsets = version.offsets[kind]
    for index, segment in enumerate(version.segments):
        start, end = int(offsets[index]), int(offsets[index + 1])
        local = rows[(rows >= start) & (rows < end)] - start
        if len(local):
            parts.append(np.asarray(segment.vectors(kind)[local], dtype=np.float32))
    return np.concatenate(parts) if parts else np.zeros((0, dim), dtype=np.float32)
