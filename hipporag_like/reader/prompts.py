"""The reader's chat prompts: answer from numbered passages, and one IRCoT reasoning step.

Both prompts show the model numbered passages and ask for plain text (no JSON), so that small
local models manage them and the answer line can be read as soon as it is written. The answer
prompt asks for a short answer, then one line per cited passage with the sentence that
supports it; the step prompt asks for a single new sentence of reasoning, or the final
"So the answer is: ..." line. The wording and the one-shot example (an invented stained-glass
window and the glass works that made it) are ours.

Change READER_PROMPT_VERSION whenever a prompt here changes: it is part of every cache key, so
answers to an older prompt are never reused.
"""

from __future__ import annotations

from typing import Sequence

from ..results import RetrievedPassage

READER_PROMPT_VERSION = "1"
REFUSAL = "cannot answer from these passages"
FINAL_MARK = "So the answer is:"

Message = dict[str, str]

_ANSWER_SYSTEM = (
    "You answer a question using only the numbered passages you are given, never what you know "
    "from elsewhere. Reply in exactly this form:\n"
    "Reasoning: <one or two sentences linking the facts you need, citing passages as [n]>\n"
    "Answer: <the shortest phrase that answers the question: a name, a date, a number or a few words>\n"
    "Sources:\n"
    "[n] <the sentence of passage n that supports the answer, copied as written>\n"
    "List every passage you relied on under Sources, one line each, with its number in square "
    "brackets. Cite only numbers of passages shown to you. If the passages do not hold the answer, "
    f"write \"Answer: {REFUSAL}\" and list no sources."
)

_STEP_SYSTEM = (
    "You work through a question one step at a time, using only the numbered passages you are "
    "given. Each turn, write exactly one new sentence of reasoning that moves toward the answer: "
    "a fact taken from the passages (cite it as [n]) or the thing that still has to be found. "
    "Do not repeat the reasoning so far. When the passages and the reasoning so far are enough, "
    f"write instead one line: \"{FINAL_MARK} <the shortest phrase that answers the question>\". "
    "Write nothing else."
)

_EXAMPLE_PASSAGES = (
    (
        "Marrowby Glass Works",
        "Marrowby Glass Works is a glassmaking firm in the harbour town of Essendry. It was founded in 1884 "
        "by the chemist Ilse Varnholt, who ran it until her death in 1921.",
    ),
    (
        "Lantern of Saint Brice",
        "The Lantern of Saint Brice is a stained-glass window in the chapel of Oakhollow. It was installed "
        "in 1902. Its panes were made by Marrowby Glass Works.",
    ),
    (
        "Essendry",
        "Essendry is a harbour town on the Calder estuary, known for its fish market and its lifeboat station.",
    ),
)
_EXAMPLE_QUESTION = "Who founded the firm that made the panes of the Lantern of Saint Brice?"
_EXAMPLE_ANSWER = (
    "Reasoning: The panes were made by Marrowby Glass Works [2], which the chemist Ilse Varnholt founded [1].\n"
    "Answer: Ilse Varnholt\n"
    "Sources:\n"
    "[2] Its panes were made by Marrowby Glass Works.\n"
    "[1] It was founded in 1884 by the chemist Ilse Varnholt, who ran it until her death in 1921."
)
_EXAMPLE_STEPS = (
    "The panes of the Lantern of Saint Brice were made by Marrowby Glass Works [2].",
    "Marrowby Glass Works was founded by the chemist Ilse Varnholt [1].",
    f"{FINAL_MARK} Ilse Varnholt",
)


def passage_block(passages: Sequence[tuple[str, str]]) -> str:
    """The passages numbered from 1, each as `[n] title` then its text."""
    return "\n\n".join(f"[{n}] {title}\n{text}" for n, (title, text) in enumerate(passages, start=1))


def _answer_user(question: str, passages: Sequence[tuple[str, str]]) -> str:
    return f"Passages:\n{passage_block(passages)}\n\nQuestion: {question}"


def _step_user(question: str, passages: Sequence[tuple[str, str]], thoughts: Sequence[str]) -> str:
    so_far = "\n".join(f"- {t}" for t in thoughts) if thoughts else "(none yet)"
    return f"Passages:\n{passage_block(passages)}\n\nQuestion: {question}\n\nReasoning so far:\n{so_far}\n\nNext sentence:"


def _pairs(passages: Sequence[RetrievedPassage]) -> list[tuple[str, str]]:
    return [(p.title, p.text) for p in passages]


def answer_messages(question: str, passages: Sequence[RetrievedPassage]) -> list[Message]:
    """One-shot: the example passages and answer, then ours. The reply is read by `parse_answer`."""
    return [
        {"role": "system", "content": _ANSWER_SYSTEM},
        {"role": "user", "content": _answer_user(_EXAMPLE_QUESTION, _EXAMPLE_PASSAGES)},
        {"role": "assistant", "content": _EXAMPLE_ANSWER},
        {"role": "user", "content": _answer_user(question, _pairs(passages))},
    ]


def step_messages(question: str, passages: Sequence[RetrievedPassage], thoughts: Sequence[str]) -> list[Message]:
    """One IRCoT step: the example worked one sentence at a time (first step, then the last),
    then our passages, question and reasoning so far. The reply is read by `parse_step`."""
    return [
        {"role": "system", "content": _STEP_SYSTEM},
        {"role": "user", "content": _step_user(_EXAMPLE_QUESTION, _EXAMPLE_PASSAGES, ())},
        {"role": "assistant", "content": _EXAMPLE_STEPS[0]},
        {"role": "user", "content": _step_user(_EXAMPLE_QUESTION, _EXAMPLE_PASSAGES, _EXAMPLE_STEPS[:2])},
        {"role": "assistant", "content": _EXAMPLE_STEPS[2]},
        {"role": "user", "content": _step_user(question, _pairs(passages), thoughts)},
    ]
