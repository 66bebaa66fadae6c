"""The no-LLM extractor on real spaCy output."""

from __future__ import annotations

from hipporag_like.corpus import Passage
from hipporag_like.extraction.spacy_extractor import SpacyExtractor
from hipporag_like.progress import QUIET
from hipporag_like.text import normalize_phrase

PASSAGE = Passage.make(
    "Orrin Hale",
    "Orrin Hale is a marine biologist born in Velmora. He founded the Kelpstone Institute in 1987 and later led the Castellan Society.",
)


def test_output_shape_and_content():
    [extraction] = SpacyExtractor().extract([PASSAGE], QUIET)
    assert extraction.passage_id == PASSAGE.id
    assert extraction.entities[0] == "Orrin Hale"  # the title is the passage's own subject
    assert {"Velmora", "1987"} <= set(extraction.entities)  # a place and a date, not only people
    assert all(len(t) == 3 and all(isinstance(x, str) and x for x in t) for t in extraction.triples)
    normalised = {tuple(normalize_phrase(x) for x in t) for t in extraction.triples}
    # "He founded ..." resolves the pronoun to the title.
    assert ("orrin hale", "founded", "kelpstone institute") in normalised
    # the conjoined verb borrows the subject
    assert ("orrin hale", "led", "castellan society") in normalised


def test_title_links_reach_every_entity():
    [with_links] = SpacyExtractor(title_links=True).extract([PASSAGE], QUIET)
    [without] = SpacyExtractor(title_links=False).extract([PASSAGE], QUIET)
    linked = {normalize_phrase(t[2]) for t in with_links.triples if normalize_phrase(t[0]) == "orrin hale"}
    assert {normalize_phrase(e) for e in with_links.entities[1:]} <= linked
    assert not any(t[1] == "mentions" for t in without.triples)
    assert SpacyExtractor(title_links=True).fingerprint != SpacyExtractor(title_links=False).fingerprint


def test_question_entities():
    found = SpacyExtractor().question_entities("Which society did the founder of the Kelpstone Institute lead?")
    assert any("Kelpstone Institute" in f for f in found)


def test_the_pipes_left_out_change_no_extraction(demo_passages):
    """The extractor loads spaCy without the pipes no rule reads (UNUSED_PIPES): every demo
    passage must give exactly what the whole pipeline gives, with bridge rules on and off."""
    import spacy

    from hipporag_like.extraction.spacy_extractor import DEFAULT_SPACY_MODEL, UNUSED_PIPES

    lean = SpacyExtractor()
    assert not set(UNUSED_PIPES) & set(lean.nlp.pipe_names)
    whole_nlp = spacy.load(DEFAULT_SPACY_MODEL)
    assert set(UNUSED_PIPES) <= set(whole_nlp.pipe_names)  # the check below compares something
    for bridges in (False, True):
        whole = SpacyExtractor(bridge_rules=bridges)
        whole._nlp = whole_nlp
        assert SpacyExtractor(bridge_rules=bridges).extract(demo_passages, QUIET) == whole.extract(demo_passages, QUIET)
