"""No-LLM extraction: spaCy named entities plus dependency-parse triples.

Rules, in short:
- entities: the passage title (the passage's own subject) and spaCy's named entities, minus
  bare numbers and amounts, which link unrelated passages;
- triples: for each verb, each grammatical subject paired with each object (direct object,
  attribute, or the object of a preposition hanging off the verb), conjuncts included;
  pronoun subjects resolve to the title, which is what encyclopedic passages talk about;
- title links: (title, "mentions", entity) for entities no verb triple tied to the title, so a
  bridge entity is always one hop from its passage's subject;
- bridge rules (`bridge_triples`), the relations two-hop questions travel (performer, composer,
  director, spouse, founder, author, father, mother): participles hanging off a noun ("a 1999
  film directed by X" -> (subject of the film, "directed by", X)); a verb coordinated with one
  that has an agent ("written and directed by X"); a role noun after a copula or in an
  apposition with its preposition ("X is the founder of Y", "X, the composer of Y" -> (X,
  "founder of", Y)); adjectives with a preposition ("X is married to Y"); possessive role nouns
  ("her husband X", "Y's father X", "his father was X" -> (possessor, "husband", X)); and a
  common-noun argument stands also for the names in apposition to it ("married the actress X");
  a bare definite subject ("The film was directed by X") is the title, as a pronoun is.
Pure functions of a parsed `Doc`; loading spaCy lives in `spacy_extractor.py`.
"""

from __future__ import annotations

from typing import Any

from ..text import normalize_phrase
from .base import Triple

SKIPPED_LABELS = frozenset({"CARDINAL", "ORDINAL", "PERCENT", "QUANTITY", "MONEY"})
PRONOUNS = frozenset({"he", "she", "it", "they", "him", "her", "them", "who", "which", "that"})
POSSESSIVE_PRONOUNS = frozenset({"his", "her", "its", "their"})
SUBJECT_DEPS = frozenset({"nsubj", "nsubjpass"})
OBJECT_DEPS = frozenset({"dobj", "attr", "oprd", "dative"})
PREP_DEPS = frozenset({"prep", "agent"})
STRIP_DEPS = frozenset({"det", "poss", "punct", "predet", "case"})
PLAIN_STRIP_DEPS = frozenset({"det", "poss", "punct", "predet"})  # rules-1 phrases (bridge rules off)
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


def _phrase(token: Any, spans: dict[int, Any], title: str, bridges: bool = True) -> str | None:
    """A token's phrase: its entity or noun chunk without determiners and possessives. With the
    bridge rules, a possessor's words ("John Smith's father") are left out as well."""
    if token.lower_ in PRONOUNS and token.pos_ == "PRON":
        return title or None
    span = spans.get(token.i)
    if span is None:
        return token.text if token.pos_ in ("PROPN", "NOUN", "NUM") else None
    strip = STRIP_DEPS if bridges else PLAIN_STRIP_DEPS
    possessed = {t.i for child in span.root.children if child.dep_ == "poss" and child.i != token.i for t in child.subtree} if bridges else set()
    words = [t.text for t in span if t.i not in possessed and (t.dep_ not in strip or t.i == token.i and t.dep_ != "det")]
    text = " ".join(words).strip()
    return text or None


def _subject_phrase(token: Any, spans: dict[int, Any], title: str, bridges: bool = True) -> str | None:
    """A subject's phrase; with the bridge rules, a bare definite common noun ("The film was
    directed by X") is the passage's own subject, as a pronoun would be."""
    if not bridges:
        return _phrase(token, spans, title, bridges)
    modifiers = [c for c in token.children if c.dep_ not in ("punct", "acl", "relcl")]
    if title and token.pos_ == "NOUN" and [c.lower_ for c in modifiers] == ["the"]:
        return title
    return _phrase(token, spans, title)


def _with_conjuncts(token: Any, bridges: bool = True) -> list[Any]:
    """The token, its conjuncts, and (with the bridge rules) the names in apposition to a common
    noun among them ("married the actress X", "two sons, A and B")."""
    found = [token, *token.conjuncts]
    for t in list(found) if bridges else ():
        if t.pos_ == "NOUN":
            found.extend(n for a in t.children if a.dep_ == "appos" and a.pos_ == "PROPN" for n in (a, *a.conjuncts))
    return list(dict.fromkeys(found))


def _subjects(verb: Any, bridges: bool = True) -> list[Any]:
    subjects = [c for c in verb.children if c.dep_ in SUBJECT_DEPS]
    # "X founded A and led B": the second verb borrows the first one's subject.
    while not subjects and verb.dep_ in ("conj", "xcomp", "advcl") and verb.head is not verb:
        verb = verb.head
        subjects = [c for c in verb.children if c.dep_ in SUBJECT_DEPS]
    return [s for subject in subjects for s in _with_conjuncts(subject, bridges)]


def _objects(verb: Any, bridges: bool = True) -> list[tuple[str, Any]]:
    relation = verb.text.lower()
    pairs: list[tuple[str, Any]] = []
    for child in verb.children:
        if child.dep_ in OBJECT_DEPS:
            pairs.extend((relation, o) for o in _with_conjuncts(child, bridges))
        elif child.dep_ in PREP_DEPS:
            for grandchild in child.children:
                if grandchild.dep_ == "pobj":
                    pairs.extend((f"{relation} {child.text.lower()}", o) for o in _with_conjuncts(grandchild, bridges))
    return pairs


def _referents(noun: Any) -> list[Any]:
    """What a noun describes: the subject of its copula ("X is a film ..."), the name it is in
    apposition to ("X, a film ..."), or itself."""
    if noun.dep_ in ("attr", "acomp") and noun.head.pos_ in ("AUX", "VERB"):
        subjects = _subjects(noun.head)
        if subjects:
            return subjects
    if noun.dep_ == "appos":
        return _with_conjuncts(noun.head)
    return [noun]


def _possessor(token: Any, spans: dict[int, Any], title: str) -> str | None:
    """The owner named by a noun's possessive ("her" -> the title, "X's" -> X), if any."""
    for child in token.children:
        if child.dep_ == "poss":
            if child.lower_ in POSSESSIVE_PRONOUNS | PRONOUNS:
                return title or None
            return _phrase(child, spans, title)
    return None


def _prep_objects(head: Any, prefix: str) -> list[tuple[str, Any]]:
    """(prefix + preposition, object) for each prepositional object hanging off `head`."""
    pairs = []
    for prep in head.children:
        if prep.dep_ in PREP_DEPS:
            pairs.extend((f"{prefix} {prep.lower_}", o) for g in prep.children if g.dep_ == "pobj" for o in _with_conjuncts(g))
    return pairs


def bridge_triples(doc: Any, spans: dict[int, Any], title: str) -> list[tuple[list[Any] | str, str, Any]]:
    """(subject tokens or phrase, relation, object token) from the bridge rules (module docstring)."""
    found: list[tuple[list[Any] | str, str, Any]] = []
    for token in doc:
        if token.pos_ == "VERB" and token.dep_ == "acl":
            # "a 1999 film directed by X", "the album, produced by X,", "... and starring Y"
            referents = _referents(token.head)
            found.extend((referents, rel, o) for verb in (token, *token.conjuncts) for rel, o in _objects(verb))
        if token.pos_ == "VERB" and not any(c.dep_ in OBJECT_DEPS or c.dep_ in PREP_DEPS for c in token.children):
            # "written and directed by X": the bare verb shares its conjunct's agent
            for conj in token.conjuncts:
                for agent in (c for c in conj.children if c.dep_ == "agent"):
                    subjects = _subjects(token) or (_referents(token.head) if token.dep_ == "acl" else [])
                    found.extend((subjects, f"{token.lower_} by", o) for g in agent.children if g.dep_ == "pobj" for o in _with_conjuncts(g))
        if token.pos_ in ("NOUN", "ADJ") and token.dep_ in ("attr", "acomp", "appos"):
            # "X is the founder of Y", "X, the composer of Y", "X is married to Y", "X is a song by Y"
            found.extend((_referents(token), rel, o) for rel, o in _prep_objects(token, token.lower_))
        if token.pos_ == "NOUN":
            owner = _possessor(token, spans, title)
            if owner is None:
                continue
            names = [n for a in token.children if a.dep_ == "appos" and a.pos_ == "PROPN" for n in (a, *a.conjuncts)]
            if token.dep_ in SUBJECT_DEPS and token.head.pos_ == "AUX":
                # "his father was (the painter) X"
                names += [n for c in token.head.children if c.dep_ == "attr" for n in _with_conjuncts(c) if n.pos_ == "PROPN"]
            if token.dep_ == "attr":
                # "X is Y's father"
                names += [s for s in _subjects(token.head) if s.pos_ == "PROPN"]
            found.extend((owner, token.lower_, n) for n in names)
    return found


def doc_triples(doc: Any, title: str, entities: list[str], title_links: bool = True, bridge_rules: bool = True) -> list[Triple]:
    """Verb triples and (when asked) bridge triples, then title links to entities no triple has
    tied to the title yet."""
    spans = _span_index(doc)
    triples: dict[Triple, None] = {}
    for subjects, relation, obj in bridge_triples(doc, spans, title) if bridge_rules else ():
        object_phrase = _phrase(obj, spans, title)
        for subject_phrase in [subjects] if isinstance(subjects, str) else [_subject_phrase(s, spans, title) for s in subjects]:
            if object_phrase and subject_phrase and subject_phrase.lower() != object_phrase.lower():
                triples[(subject_phrase, relation, object_phrase)] = None
    for verb in doc:
        if verb.pos_ not in ("VERB", "AUX"):
            continue
        subjects = _subjects(verb, bridge_rules)
        if not subjects:
            continue
        for relation, obj in _objects(verb, bridge_rules):
            object_phrase = _phrase(obj, spans, title, bridge_rules)
            if object_phrase is None:
                continue
            for subject in subjects:
                subject_phrase = _subject_phrase(subject, spans, title, bridge_rules)
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
