"""The command line's decisions over an index, on a stand-in that answers the index's two questions."""

from __future__ import annotations

import pytest

from hipporag_like.corpus import Passage
from hipporag_like.errors import InputError
from hipporag_like.policies import failed_passages, failure_message, ids_for_sources, plan_replacements


class Lookup:
    """Answers `has_passage`, `passage_ids_by_title` and the source questions like an index holding `passages`."""

    def __init__(self, passages: list[Passage]) -> None:
        self.passages = passages

    def has_passage(self, passage_id: str) -> bool:
        return any(p.id == passage_id for p in self.passages)

    def passage_ids_by_title(self, title: str) -> list[str]:
        return [p.id for p in self.passages if p.title == title]

    def passage_ids_by_source(self, source: str) -> list[str]:
        return [p.id for p in self.passages if p.source and p.source == source]

    def indexed_sources(self) -> list[str]:
        return sorted({p.source for p in self.passages if p.source})


OLD = Passage.make("Alder Quay", "Alder Quay is a harbour town.")
TWIN_A = Passage.make("Twin", "One of two passages titled Twin.")
TWIN_B = Passage.make("Twin", "The other passage titled Twin.")
UNTITLED = Passage.make("", "A passage without a title.")
INDEX = Lookup([OLD, TWIN_A, TWIN_B, UNTITLED])


def test_a_new_version_replaces_the_one_passage_with_its_title():
    edited = Passage.make("Alder Quay", "Alder Quay is a harbour town in the north.")
    assert plan_replacements(INDEX, [edited]) == [OLD.id]


@pytest.mark.parametrize(
    "passage",
    [
        OLD,  # already indexed: nothing to replace
        Passage.make("Twin", "A third text."),  # two passages have the title: no guess
        Passage.make("Brimwell", "A new title."),  # no passage has it: a plain addition
        Passage.make("", "Another untitled passage."),  # no title to match on
    ],
    ids=["same-content", "ambiguous-title", "new-title", "untitled"],
)
def test_what_replaces_nothing(passage):
    assert plan_replacements(INDEX, [passage]) == []


def test_two_edits_of_one_passage_replace_it_once():
    edits = [Passage.make("Alder Quay", "Edit one."), Passage.make("Alder Quay", "Edit two.")]
    assert plan_replacements(INDEX, edits) == [OLD.id]


def test_ids_for_sources_keeps_the_indexed_passages_of_each_file():
    gone = Passage.make("Gone", "Deleted long ago.")
    assert ids_for_sources(INDEX, {"a.json": [OLD, gone], "b.json": [TWIN_A, OLD]}) == [OLD.id, TWIN_A.id]


def test_a_source_with_nothing_indexed_is_an_error_naming_it():
    with pytest.raises(InputError, match=r"^b\.json: none of its 2 passages are in the index$"):
        ids_for_sources(INDEX, {"a.json": [OLD], "b.json": [Passage.make("X", "x"), Passage.make("Y", "y")]})


def test_failed_passages_and_the_message():
    failed = failed_passages({TWIN_B.id: "ner: timed out", "not-ours": "x"}, [OLD, TWIN_B])
    assert [(f.passage_id, f.title, f.error) for f in failed] == [(TWIN_B.id, "Twin", "ner: timed out")]
    assert failure_message(1, "rerun with --retry-failed") == (
        "1 passage failed extraction (listed above); rerun with --retry-failed, or pass --allow-failed to accept")
    assert failure_message(3, "x").startswith("3 passages failed extraction")
