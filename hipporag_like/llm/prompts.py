"""The chat prompts: entities first, then triples that use those entities, plus a question prompt.

The two-step shape follows HippoRAG (named entities, then an open information extraction
conditioned on them); the wording and the one-shot example (an invented lighthouse) are ours.
Every prompt asks for one JSON object, and the schemas below let a backend that supports
guided decoding (vLLM) enforce it. Change PROMPT_VERSION whenever a prompt changes: it is part
of every cache key and of the extractor's fingerprint, so old answers are never mixed in.
"""

from __future__ import annotations

import json
from typing import Any, Sequence

PROMPT_VERSION = "1"

Message = dict[str, str]

NER_SCHEMA: dict[str, Any] = {
    "type": "object",
    "properties": {"named_entities": {"type": "array", "items": {"type": "string"}}},
    "required": ["named_entities"],
}

TRIPLES_SCHEMA: dict[str, Any] = {
    "type": "object",
    "properties": {
        "triples": {
            "type": "array",
            "items": {"type": "array", "items": {"type": "string"}, "minItems": 3, "maxItems": 3},
        }
    },
    "required": ["triples"],
}

_NER_SYSTEM = (
    "You read one passage and list the named entities it mentions: people, places, organisations, "
    "works, events, dates and other proper names. Copy each name as it is written in the passage, "
    "list each name once, and leave out generic words. "
    'Reply with a single JSON object of the form {"named_entities": ["...", "..."]} and no other text.'
)

_TRIPLES_SYSTEM = (
    "You turn one passage into a small knowledge graph. You are given the passage and the named "
    "entities already found in it. Write facts stated in the passage as triples "
    "[subject, relation, object]. Most triples should contain one or two of the given entities; "
    "replace pronouns with the names they stand for; keep relations short verb phrases. "
    'Reply with a single JSON object of the form {"triples": [["subject", "relation", "object"], ...]} '
    "and no other text."
)

_QUESTION_SYSTEM = (
    "You read one question and list the named entities it mentions (people, places, organisations, "
    "works, dates and other proper names), copied as written in the question. "
    'Reply with a single JSON object of the form {"named_entities": ["...", "..."]} and no other text.'
)

_EXAMPLE_PASSAGE = (
    "Harrowgate Lighthouse\n"
    "Harrowgate Lighthouse stands on the northern cliffs of the island of Veltmoor. It was designed "
    "by the engineer Oriane Castell in 1871 and first lit by its keeper, Tobias Wren. In 1932 the oil "
    "lamp was replaced by an electric beacon made by the Sundale Works."
)

_EXAMPLE_ENTITIES = [
    "Harrowgate Lighthouse",
    "Veltmoor",
    "Oriane Castell",
    "1871",
    "Tobias Wren",
    "1932",
    "Sundale Works",
]

_EXAMPLE_TRIPLES = [
    ["Harrowgate Lighthouse", "stands on", "northern cliffs of Veltmoor"],
    ["Harrowgate Lighthouse", "located on island", "Veltmoor"],
    ["Harrowgate Lighthouse", "designed by", "Oriane Castell"],
    ["Oriane Castell", "profession", "engineer"],
    ["Harrowgate Lighthouse", "designed in", "1871"],
    ["Tobias Wren", "first lit", "Harrowgate Lighthouse"],
    ["Tobias Wren", "keeper of", "Harrowgate Lighthouse"],
    ["Harrowgate Lighthouse", "oil lamp replaced in", "1932"],
    ["Sundale Works", "made electric beacon for", "Harrowgate Lighthouse"],
]

_EXAMPLE_QUESTION = "Which engineer designed the lighthouse that Tobias Wren first lit on Veltmoor?"
_EXAMPLE_QUESTION_ENTITIES = ["Tobias Wren", "Veltmoor"]


def _entities_json(entities: Sequence[str]) -> str:
    return json.dumps({"named_entities": list(entities)}, ensure_ascii=False)


def _passage_block(content: str) -> str:
    return f"Passage:\n{content}"


def ner_messages(content: str) -> list[Message]:
    """Step one: the passage (title and text) in, `{"named_entities": [...]}` out."""
    return [
        {"role": "system", "content": _NER_SYSTEM},
        {"role": "user", "content": _passage_block(_EXAMPLE_PASSAGE)},
        {"role": "assistant", "content": _entities_json(_EXAMPLE_ENTITIES)},
        {"role": "user", "content": _passage_block(content)},
    ]


def _triples_user(content: str, entities: Sequence[str]) -> str:
    return f"{_passage_block(content)}\n\nNamed entities: {_entities_json(entities)}"


def triples_messages(content: str, entities: Sequence[str]) -> list[Message]:
    """Step two: the passage plus its entities in, `{"triples": [[s, r, o], ...]}` out."""
    return [
        {"role": "system", "content": _TRIPLES_SYSTEM},
        {"role": "user", "content": _triples_user(_EXAMPLE_PASSAGE, _EXAMPLE_ENTITIES)},
        {"role": "assistant", "content": json.dumps({"triples": _EXAMPLE_TRIPLES}, ensure_ascii=False)},
        {"role": "user", "content": _triples_user(content, entities)},
    ]


def question_messages(question: str) -> list[Message]:
    """Query side: the entities a question names, to seed entity-based retrieval."""
    return [
        {"role": "system", "content": _QUESTION_SYSTEM},
        {"role": "user", "content": f"Question: {_EXAMPLE_QUESTION}"},
        {"role": "assistant", "content": _entities_json(_EXAMPLE_QUESTION_ENTITIES)},
        {"role": "user", "content": f"Question: {question}"},
    ]
