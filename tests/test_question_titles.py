"""Titles the question names (question_titles.py): pure span matching with a stand-in lookup,
then the seeds it adds on the real two-hop index of test_second_hop.py."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pytest

from hipporag_like.changes import phrase_point_id
from hipporag_like.config import PipelineConfig
from hipporag_like.corpus import Passage
from hipporag_like.index import Index
from hipporag_like.question_titles import PointRows, bare_title, named_titles, spans
from hipporag_like.text import normalize_phrase
from test_second_hop import QUESTION, build

# phrase rows: 0 "blind harbour" (a title), 1 "harbour" (a title), 2 "director" (not a title), 3 "who" (a title: The Who)
PHRASES = ["blind harbour", "harbour", "director", "who"]
IS_TITLE = np.array([True, True, False, True])
ROWS = PointRows(np.array([phrase_point_id(p) for p in PHRASES], dtype=np.int64))


def test_spans_are_normalised_longest_first_and_skip_stop_words() -> None:
    found = spans("Who directed The Blind Harbour?")
    assert found[0] == (0, 5, "who directed the blind harbour")
    assert (3, 5, "blind harbour") in found and not any(key.startswith("the ") for _, _, key in found)  # as phrase keys drop it
    assert not any(key in ("who", "the") for _, _, key in found)
    assert all(key == normalize_phrase(key) for _, _, key in found)


def test_the_longest_title_wins_and_a_word_links_once() -> None:
    assert named_titles("Who directed the Blind Harbour?", ROWS, IS_TITLE) == [(0, 1.0)]  # not also "harbour"
    assert named_titles("Which harbour did the director of Blind Harbour visit?", ROWS, IS_TITLE) == [(0, 1.0), (1, 1.0)]
    assert named_titles("Who is the director?", ROWS, IS_TITLE) == []  # not a title; "who" alone never counts
    assert named_titles("", ROWS, IS_TITLE) == []


def test_a_bare_name_reads_as_each_title_it_stands_for() -> None:
    assert bare_title("Privilege (Ivor Cutler album)") == "privilege"
    assert bare_title("The Green (song) ") == "green" and bare_title("Blind Harbour") is None and bare_title("(1999)") is None
    readings = {"director": [5, 6], "blind harbour": [7]}  # e.g. "Director (film)", "Director (band)"
    assert named_titles("Who is the director?", ROWS, IS_TITLE, readings) == [(5, 0.5), (6, 0.5)]
    # an exact title and a disambiguated one with the same bare name share the span
    assert named_titles("Who directed Blind Harbour?", ROWS, IS_TITLE, readings) == [(0, 0.5), (7, 0.5)]


def test_point_rows_finds_rows_and_misses() -> None:
    wanted = np.array([phrase_point_id("director"), phrase_point_id("nowhere"), phrase_point_id("blind harbour")])
    assert ROWS(wanted).tolist() == [2, -1, 0]
    assert PointRows(np.zeros(0, dtype=np.int64))(wanted).tolist() == [-1, -1, -1]


def test_the_named_title_seeds_the_walk(tmp_path) -> None:
    def weights(index) -> dict[str, float]:
        return {s.phrase: s.weight for s in index.retrieve(QUESTION, k=3).seed_phrases}

    with build(tmp_path / "idx", hybrid_fact_top_k=1) as index:
        seeded = weights(index)
        index.retriever.config = replace(index.retriever.config, title_seed_weight=0.0)
        without = weights(index)
        named = dict(index.retriever.question_titles(QUESTION))
        specificity = index.retriever.specificity[[row for row in named]]
        names = [index.version.line("phrases", row) for row in named]
    # "Blind Harbour" names two titles: the film's, and the novel's "Blind Harbour (novel)" by
    # its bare form; each reading gets half. The one seed fact, (blind harbour, is a, 1999 film),
    # already seeds the film's phrase, which gains 0.5 x its specificity.
    assert sorted(names) == ["blind harbour", "blind harbour novel"] and set(named.values()) == {0.5}
    assert seeded["blind harbour"] - without["blind harbour"] == pytest.approx(0.5 * float(specificity[names.index("blind harbour")]), abs=1e-6)
    assert "blind harbour novel" in seeded and "blind harbour novel" not in without
    assert seeded["1999 film"] == without["1999 film"]


def test_a_disambiguated_title_is_named_by_its_bare_form(tmp_path) -> None:
    docs = [("Privilege (Ivor Cutler album)", "Privilege is an album by Ivor Cutler, released in 1983 on Rough Trade Records."),
            ("Ivor Cutler", "Ivor Cutler was a Scottish poet, songwriter and humorist."),
            ("Rough Trade Records", "Rough Trade Records is a record label based in London.")]
    with Index.build([Passage.make(t, x) for t, x in docs], tmp_path / "idx", PipelineConfig()) as index:
        seeds = {s.phrase: s.weight for s in index.retrieve("Who performed Privilege?", k=2).seed_phrases}
        titled = index.retriever.question_titles("Who performed Privilege?")
    assert "privilege ivor cutler album" in seeds and len(titled) == 1 and titled[0][1] == 1.0
