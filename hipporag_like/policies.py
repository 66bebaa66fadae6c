"""Decisions the command line takes over an opened index, kept here so they can be tested and
reused without it: which passages an update replaces, which a source file deletes, what a
re-read folder of documents adds and removes, and what a run that left passages unextracted
must tell its user.

They use only the index's public questions (`has_passage`, `passage_ids_by_title`,
`passage_ids_by_source`, `indexed_sources`), so they hold whatever the store looks like.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING, Iterable, Mapping, Protocol, Sequence

from .corpus import Passage, ReadReport, source_key
from .config import LLM_KINDS, ChunkingConfig, PipelineConfig
from .errors import InputError

if TYPE_CHECKING:
    from .extraction.base import Extractor


class PassageLookup(Protocol):
    """What the policies ask of an index (`Index` has both)."""

    def has_passage(self, passage_id: str) -> bool: ...

    def passage_ids_by_title(self, title: str) -> list[str]: ...

    def passage_ids_by_source(self, source: str) -> list[str]: ...

    def indexed_sources(self) -> list[str]: ...


def plan_replacements(index: PassageLookup, passages: Iterable[Passage]) -> list[str]:
    """`insert --replace-same-title`: ids of the indexed passages the new `passages` replace.

    A new passage (its content is not indexed yet) with a non-empty title replaces the indexed
    passage with exactly that title, when there is exactly one; with none it is simply added,
    and with several it is added too, since which one it updates would be a guess.
    """
    replaced: list[str] = []
    for passage in passages:
        if not passage.title or index.has_passage(passage.id):
            continue
        same_title = index.passage_ids_by_title(passage.title)
        if len(same_title) == 1:
            replaced.append(same_title[0])
    return list(dict.fromkeys(replaced))


def ids_for_sources(index: PassageLookup, passages_by_source: Mapping[str | Path, Sequence[Passage] | InputError]) -> list[str]:
    """`delete --source`: the ids of each source file's passages that are in the index: every
    passage whose provenance names the file (all chunks of a document, even of an older version
    of it), and those of its passages as read now that are indexed (records kept whole carry no
    provenance: they are found by content; those not indexed are left out).

    A file none of whose passages is indexed is an error: it is the wrong file, or the wrong
    index, and deleting nothing would hide that. A file that can no longer be read (an
    InputError in place of its passages) is found by provenance alone; with none, that error.

    Raises:
        InputError: "FILE: none of its N passages are in the index".
    """
    wanted: list[str] = []
    for source, passages in passages_by_source.items():
        unreadable = passages if isinstance(passages, InputError) else None
        passages = [] if unreadable is not None else passages
        present = index.passage_ids_by_source(source_key(source)) + [p.id for p in passages if index.has_passage(p.id)]
        if not present and unreadable is not None:
            raise unreadable
        if not present:
            raise InputError(f"{source}: none of its {len(passages)} passages are in the index" if passages
                             else f"{source}: no such file, and no passage from it is in the index")
        wanted += present
    return list(dict.fromkeys(wanted))


def plan_insert(index: PassageLookup, paths: Sequence[str | Path], chunking: ChunkingConfig, *, skip_bad: bool = False,
                replace_same_title: bool = False, replace_source: bool = False) -> tuple[list[Passage], list[str], list[str]]:
    """`insert`: (passages to add, ids to remove, warnings of the reading) for the files and
    folders in `paths`, read as the index cuts documents: plain additions, updates by title, or
    documents brought up to date by source (`plan_sync`)."""
    from .corpus import read_corpus

    if replace_source:
        report = read_sources(paths, chunking, skip_bad)
        return (*plan_sync(index, report.passages, paths), report.warnings)
    report = read_corpus(paths, skip_bad=skip_bad, chunking=chunking)
    return report.passages, plan_replacements(index, report.passages) if replace_same_title else [], report.warnings


def passages_of_sources(sources: Iterable[str | Path], chunking: ChunkingConfig) -> dict[str | Path, list[Passage] | InputError]:
    """`delete --source`: each file's passages as read now (cut as the index cuts them); a file
    that is gone has none here, and one that cannot be read has its error instead: the indexed
    chunks of either are still found by their provenance."""
    from .corpus import read_corpus

    found: dict[str | Path, list[Passage] | InputError] = {}
    for source in sources:
        try:
            found[source] = read_corpus([source], chunking=chunking).passages if Path(source).exists() else []
        except InputError as exc:
            found[source] = exc
    return found


def read_sources(paths: Iterable[str | Path], chunking: ChunkingConfig, skip_bad: bool = False) -> ReadReport:
    """`insert --replace-source` / `Index.sync`: the documents of the given files and folders
    that still exist; a path that is gone reads as nothing."""
    from .corpus import read_corpus

    return read_corpus([p for p in paths if Path(p).exists()], skip_bad=skip_bad, chunking=chunking, allow_empty=True)


def plan_sync(index: PassageLookup, passages: Sequence[Passage], paths: Iterable[str | Path]) -> tuple[list[Passage], list[str]]:
    """`insert --replace-source` / `Index.sync`: (passages to add, ids to remove) so that the
    indexed documents under `paths` become the ones read now (`passages`).

    A document is known by the `source` its passages carry. A source read again whose chunk
    ids are exactly the indexed ones is unchanged and costs nothing. Any other source read
    again has every indexed chunk replaced by its new chunks (a chunk whose text did not change
    keeps its id, and its extraction and vectors come from the cache; it is written again
    because its span and position may have moved). An indexed source under a given path that
    was not read again (its file is gone) loses all its chunks. A chunk already indexed under
    another source (the file was moved, or copied) is moved to the one read now. Passages
    without a source (records kept whole) are simply added, as by `insert`.

    Raises:
        InputError: a given path that does not exist and from which nothing is indexed.
    """
    paths = list(paths)
    indexed = index.indexed_sources()
    new_by_source: dict[str, list[Passage]] = {}
    for passage in passages:
        new_by_source.setdefault(passage.source, []).append(passage)
    touched = set(new_by_source) - {""}
    for raw in paths:
        root = source_key(raw)
        under = [s for s in indexed if s == root or s.startswith(root.rstrip(os.sep) + os.sep)]
        if not under and not Path(raw).exists():
            raise InputError(f"{raw}: no such file or folder, and nothing indexed came from it")
        touched.update(under)
    changed: set[str] = set()
    remove: list[str] = []
    for source in sorted(touched):
        old = index.passage_ids_by_source(source)
        new = new_by_source.get(source, [])
        if set(old) != {p.id for p in new}:
            changed.add(source)
            # and chunks indexed under another source (a moved or copied file): they move here
            remove += old + [p.id for p in new if p.id not in old and index.has_passage(p.id)]
    return [p for p in passages if not p.source or p.source in changed], list(dict.fromkeys(remove))


@dataclass(frozen=True)
class FailedPassage:
    """A passage a write indexed without facts because its extraction failed."""

    passage_id: str
    title: str
    error: str

    def to_dict(self) -> dict[str, str]:
        return {"passage_id": self.passage_id, "title": self.title, "error": self.error}


def failed_passages(errors: Mapping[str, str], passages: Iterable[Passage]) -> list[FailedPassage]:
    """The failed ones among `passages`, in their order, from passage id -> error."""
    return [FailedPassage(p.id, p.title, errors[p.id]) for p in passages if p.id in errors]


def failure_message(count: int, retry_hint: str) -> str:
    """The one-line error of a write that committed with `count` passages unextracted.

    The index is committed anyway: every answer paid for is cached, and the passages are
    searchable by text. The exit is still an error (code 2) so that scripts notice, unless the
    user passes --allow-failed.
    """
    noun = "passage" if count == 1 else "passages"
    return f"{count} {noun} failed extraction (listed above); {retry_hint}, or pass --allow-failed to accept"


__all__ = ["plan_replacements", "ids_for_sources", "plan_insert", "passages_of_sources", "read_sources", "plan_sync", "FailedPassage", "failed_passages", "failure_message", "PassageLookup"]


def extraction_config(config: PipelineConfig, *, openie_file: Path | None = None, kind: str | None = None,
                      base_url: str | None = None, model: str | None = None) -> PipelineConfig:
    """A pipeline (an index's own, or a file's) with the extractor the caller names on top: an
    OpenIE file holding the passages' triples, or an LLM. Flags the chosen extractor would
    ignore are refused, so that nothing given is silently dropped."""
    if openie_file:
        if kind not in (None, "openie"):
            raise InputError(f"--openie reads triples from a file; it cannot go with --extractor {kind}")
        if Path(openie_file).is_dir():
            raise InputError(f"{openie_file}: is a folder, not an OpenIE file")
        if not Path(openie_file).is_file():
            raise InputError(f"{openie_file}: no such OpenIE file")
        config = config.with_overrides("extractor", kind="openie", openie_file=str(openie_file))
    config = config.with_overrides("extractor", kind=kind, base_url=base_url, model=model)
    if (base_url or model) and config.extractor.kind not in LLM_KINDS:
        raise InputError(f"--llm-base-url and --llm-model configure an LLM extractor, and this one is "
                         f"'{config.extractor.kind}' (add --extractor openai, or use an LLM pipeline)")
    return config


def reading_chunking(config: PipelineConfig) -> ChunkingConfig:
    """How documents are cut while reading for this pipeline. An OpenIE file names its passages
    by their whole text, so with triples from a file nothing is cut (a cut record would match no
    entry of the file)."""
    if config.extractor.kind == "openie":
        return replace(config.chunking, enabled=False)
    return config.chunking


def insert_extractor(config: PipelineConfig, cache_dir: Path | None, changed: bool) -> Extractor | None:
    """The extractor for the added passages when the caller changed it; None means the index's."""
    if not changed:
        return None
    from .cache import KeyValueCache, default_cache_dir
    from .extraction.factory import make_extractor

    return make_extractor(config.extractor, cache=KeyValueCache(cache_dir or default_cache_dir()))
