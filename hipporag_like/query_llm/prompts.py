"""The two query-time prompts: keep the facts that help (recognition memory), and split a
question into single-fact questions. The wording and the one-shot examples (an invented
bell foundry and its founder) are ours.

Change QUERY_PROMPT_VERSION whenever a prompt here changes: it is part of every cache key, so
answers to an older prompt are never reused.
"""

from __future__ import annotations

import json
from typing import Sequence

QUERY_PROMPT_VERSION = "1"

Message = dict[str, str]
Triple = tuple[str, str, str]

_FILTER_SYSTEM = (
    "You are given a question and a numbered list of facts, each a [subject, relation, object] "
    "triple from a knowledge base. Keep the facts that help answer the question: facts about the "
    "things the question names and facts that lead from them toward the answer. Leave out facts "
    "about other things that only look similar. Reply with a single JSON object of the form "
    '{"facts": [numbers of the facts you keep]} and no other text; reply {"facts": []} if none help.'
)

_DECOMPOSE_SYSTEM = (
    "You split a multi-hop question into the simple questions that answer it, in the order they "
    "must be answered, each asking for one fact. Refer to the answer of an earlier simple "
    "question as #1, #2 and so on. A question that needs only one fact stays as it is. Reply "
    'with a single JSON object of the form {"questions": ["...", "..."]} and no other text.'
)

_EXAMPLE_QUESTION = "In which town was the founder of the foundry that cast the Orwell Bell born?"
_EXAMPLE_FACTS: tuple[Triple, ...] = (
    ("Orwell Bell", "cast by", "Haskett Foundry"),
    ("Orwell Bell", "hangs in", "St Aldric's Church"),
    ("Haskett Foundry", "founded by", "Miriam Haskett"),
    ("Dorrin Bell", "cast by", "Lowgate Works"),
    ("St Aldric's Church", "built in", "1640"),
)
_EXAMPLE_KEPT = [1, 3]
_EXAMPLE_STEPS = [
    "Which foundry cast the Orwell Bell?",
    "Who founded #1?",
    "In which town was #2 born?",
]


def numbered_facts(facts: Sequence[Triple]) -> str:
    return "\n".join(f"{n}. {json.dumps(list(fact), ensure_ascii=False)}" for n, fact in enumerate(facts, 1))


def _filter_user(question: str, facts: Sequence[Triple]) -> str:
    return f"Question: {question}\nFacts:\n{numbered_facts(facts)}"


def filter_messages(question: str, facts: Sequence[Triple]) -> list[Message]:
    """System prompt, the worked example, then this question and its candidate facts."""
    return [
        {"role": "system", "content": _FILTER_SYSTEM},
        {"role": "user", "content": _filter_user(_EXAMPLE_QUESTION, _EXAMPLE_FACTS)},
        {"role": "assistant", "content": json.dumps({"facts": _EXAMPLE_KEPT})},
        {"role": "user", "content": _filter_user(question, facts)},
    ]


def decompose_messages(question: str) -> list[Message]:
    return [
        {"role": "system", "content": _DECOMPOSE_SYSTEM},
        {"role": "user", "content": f"Question: {_EXAMPLE_QUESTION}"},
        {"role": "assistant", "content": json.dumps({"questions": _EXAMPLE_STEPS})},
        {"role": "user", "content": f"Question: {question}"},
    ]
