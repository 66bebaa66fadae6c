"""No-LLM extraction: spaCy named entities plus dependency-parse triples.

Rules, in short:
- entities: the passage title (the passage's own subject) and spaCy's named entities, minus
  bare numbers and amounts, which link unrelated passages;
- triples: for each verb, each grammatical subject paired with each object (direct object,
  attribute, or the object of a preposition hanging off the verb), conjuncts included;
  pronoun subjects resolve to the title, which is what encyclopedic passages talk about;
- title links: (title, "mentions", entity) for entities no verb triple tied to the title, so a
  bridge entity is always one hop from its passage's subject.
Pure functions of a parsed `Doc`; loading spaCy lives in `spacy_extractor.py`.
"""

from __future__ import annotations

from typing import Any

from ..text import normalize_phrase
from .base import Triple

SKIPPED_LABELS = frozenset({"CARDINAL", "ORDINAL", "PERCENT", "QUANTITY", "MONEY"})
PRONOUNS = frozenset({"he", "she", "it", "they", "him", "her", "them", "who", "which", "that"})
SUBJECT_DEPS = frozenset({"nsubj", "nsubjpass"})
OBJECT_DEPS = frozenset({"dobj", "attr", "oprd", "dative"})
PREP_DEPS = frozenset({"prep", "agent"})
STRIP_DEPS = frozenset({"det", "poss", "punct", "predet"})
TITLE_RELATION = "mentions"


def doc_entities(doc: Any, title: str) -> list[str]:
    """The title, then named entities in order of appearance, without repeats."""
    seen: dict[str, None] = {}
    if title:
        seen[title] = None
    for ent in doc.ents:
        if ent.label_ in SKIPPED_LABELS:
            continue
        text = ent.text.strip()
        if text and text.lower() not in {s.lower() for s in seen}:
            seen[text] = None
    return list(seen)


def _span_index(doc: Any) -> dict[int, Any]:
    """Token index -> the entity (preferred) or noun chunk holding it."""
    spans: dict[int, Any] = {}
    for chunk in doc.noun_chunks:
        for token in chunk:
            spans[token.i] = chunk
    for ent in doc.ents:
        for token in ent:
            spans[token.i] = ent
    return spans


def _phrase(token: Any, spans: dict[int, Any], title: str) -> str | None:
    if token.lower_ in PRONOUNS and token.pos_ == "PRON":
        return title or None
    span = spans.get(token.i)
    if span is None:
        return token.text if token.pos_ in ("PROPN", "NOUN", "NUM") else None
    words = [t.text for t in span if t.dep_ not in STRIP_DEPS or t.i == token.i and t.dep_ != "det"]
    text = " ".join(words).strip()
    return text or None


def _with_conjuncts(token: Any) -> list[Any]:
    return [token, *token.conjuncts]


def _subjects(verb: Any) -> list[Any]:
    subjects = [c for c in verb.children if c.dep_ in SUBJECT_DEPS]
    # "X founded A and led B": the second verb borrows the first one's subject.
    while not subjects and verb.dep_ in ("conj", "xcomp", "advcl") and verb.head is not verb:
        verb = verb.head
        subjects = [c for c in verb.children if c.dep_ in SUBJECT_DEPS]
    return [s for subject in subjects for s in _with_conjuncts(subject)]


def _objects(verb: Any) -> list[tuple[str, Any]]:
    relation = verb.text.lower()
    pairs: list[tuple[str, Any]] = []
    for child in verb.children:
        if child.dep_ in OBJECT_DEPS:
            pairs.extend((relation, o) for o in _with_conjuncts(child))
        elif child.dep_ in PREP_DEPS:
            for grandchild in child.children:
                if grandchild.dep_ == "pobj":
                    pairs.extend((f"{relation} {child.text.lower()}", o) for o in _with_conjuncts(grandchild))
    return pairs


def doc_triples(doc: Any, title: str, entities: list[str], title_links: bool = True) -> list[Triple]:
    """Verb triples, then title links to entities no triple has tied to the title yet."""
    spans = _span_index(doc)
    triples: dict[Triple, None] = {}
    for verb in doc:
        if verb.pos_ not in ("VERB", "AUX"):
            continue
        subjects = _subjects(verb)
        if not subjects:
            continue
        for relation, obj in _objects(verb):
            object_phrase = _phrase(obj, spans, title)
            if object_phrase is None:
                continue
            for subject in subjects:
                subject_phrase = _phrase(subject, spans, title)
                if subject_phrase and subject_phrase.lower() != object_phrase.lower():
                    triples[(subject_phrase, relation, object_phrase)] = None
    if title and title_links:
        key = normalize_phrase(title)
        linked = {normalize_phrase(t[2]) for t in triples if normalize_phrase(t[0]) == key}
        linked |= {normalize_phrase(t[0]) for t in triples if normalize_phrase(t[2]) == key}
        for entity in entities:
            if normalize_phrase(entity) not in linked | {key}:
                triples[(title, TITLE_RELATION, entity)] = None
    return list(triples)
