"""Decisions the command line takes over an opened index, kept here so they can be tested and
reused without it: which passages an update replaces, which a source file deletes, and what a
run that left passages unextracted must tell its user.

They use only the index's public questions (`has_passage`, `passage_ids_by_title`), so they
hold whatever the store looks like.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Iterable, Mapping, Protocol, Sequence

from .corpus import Passage
from .errors import InputError

if TYPE_CHECKING:
    from .config import PipelineConfig
    from .extraction.base import Extractor


class PassageLookup(Protocol):
    """What the policies ask of an index (`Index` has both)."""

    def has_passage(self, passage_id: str) -> bool: ...

    def passage_ids_by_title(self, title: str) -> list[str]: ...


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


def ids_for_sources(index: PassageLookup, passages_by_source: Mapping[str | Path, Sequence[Passage]]) -> list[str]:
    """`delete --source`: the ids of each source file's passages that are in the index.

    Passages of a file that are not indexed are left out (edited since, or removed already),
    but a file none of whose passages is indexed is an error: it is the wrong file, or the
    wrong index, and deleting nothing would hide that.

    Raises:
        InputError: "FILE: none of its N passages are in the index".
    """
    wanted: list[str] = []
    for source, passages in passages_by_source.items():
        present = [p.id for p in passages if index.has_passage(p.id)]
        if not present:
            raise InputError(f"{source}: none of its {len(passages)} passages are in the index")
        wanted += present
    return list(dict.fromkeys(wanted))


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


__all__ = ["plan_replacements", "ids_for_sources", "FailedPassage", "failed_passages", "failure_message", "PassageLookup"]


def insert_extractor(config: PipelineConfig, cache_dir: Path | None, *, openie_file: Path | None = None, kind: str | None = None,
                     base_url: str | None = None, model: str | None = None) -> Extractor | None:
    """The extractor for passages added to an index: the index's own unless the caller names
    another (an OpenIE file holding the new passages, or an LLM); None means the index's."""
    if not (openie_file or kind or base_url or model):
        return None
    from .cache import KeyValueCache, default_cache_dir
    from .extraction.factory import make_extractor

    if openie_file:
        config = config.with_overrides("extractor", kind="openie", openie_file=str(openie_file))
    config = config.with_overrides("extractor", kind=kind, base_url=base_url, model=model)
    return make_extractor(config.extractor, cache=KeyValueCache(cache_dir or default_cache_dir()))
