"""Read the reader model's reply: the answer, the passages it cites, or that it could not answer.

Pure functions over a string. Nothing is guessed: a reply without an "Answer:" line is not an
answer (unless it plainly says it cannot answer, which is a refusal), and a cited number that
is not among the passages shown is dropped and counted, never turned into a source.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from .prompts import FINAL_MARK

_DECORATION = "*_`#>\"'“”‘’ \t"
_LABEL = re.compile(r"^[\s*_#>-]*(answer|final answer|reasoning|sources?|evidence|citations?)[\s*_]*:[\s*_]*(.*)$", re.IGNORECASE)
_CITE_GROUP = re.compile(r"\[(\s*\d+\s*(?:[,;]\s*\d+\s*)*)\]")
_SOURCE_LINE = re.compile(r"^[\s*_-]*\[(\d+)\][\s:.\-–—]*(.*)$")
_FENCE = re.compile(r"^\s*```[A-Za-z0-9_-]*\s*$")
_SENTENCE_END = re.compile(r"(?<=[.!?])\s+(?=[A-Z\"“(\[])")
_FINAL = re.compile(re.escape(FINAL_MARK).replace(r"\ ", r"\s+"), re.IGNORECASE)
_REFUSALS = re.compile(
    r"\b(cannot|can ?not|can't|unable to) (be )?(answer|determine|tell|find|say)|"
    r"\bunanswerable\b|\bnot (enough|sufficient) (information|context|evidence)|\binsufficient (information|context|evidence)|"
    r"\b(passages|context|text)s? (do|does) not (say|state|mention|contain|include|give|provide)|"
    r"\bnot (mentioned|stated|given|provided|found) in the (passages|context|text)|^(unknown|no answer|none|n/?a)$",
    re.IGNORECASE,
)


class ReaderParseError(ValueError):
    """The reply holds no answer line; the message says so in a few words."""


@dataclass(frozen=True)
class Cited:
    n: int  # 1-based passage number as shown to the model
    sentence: str | None  # the supporting sentence, when the model gave one


@dataclass(frozen=True)
class ParsedAnswer:
    answer: str | None  # None when refused
    refused: bool
    citations: tuple[Cited, ...]  # in range, each number once, in the order first cited
    dropped: int  # distinct cited numbers that were not among the passages


@dataclass(frozen=True)
class ParsedStep:
    sentence: str  # the reasoning sentence (or the final line) as written
    answer: str | None  # what follows "So the answer is:" (None for a refusal there)
    final: bool = False  # the model wrote "So the answer is: ...": the reasoning is over


def is_refusal(text: str) -> bool:
    """The model says it cannot answer (rather than giving an answer)."""
    return bool(_REFUSALS.search(_clean(text)))


def parse_answer(text: str | None, passage_count: int) -> ParsedAnswer:
    """The reply to `answer_messages`. Raises ReaderParseError when it holds no answer at all."""
    lines = [line for line in (text or "").splitlines() if not _FENCE.match(line)]
    if not any(line.strip() for line in lines):
        raise ReaderParseError("the reply is empty")
    answer_line: str | None = None
    section = ""
    numbers: list[int] = []
    sentences: dict[int, str] = {}
    for line in lines:
        label = _LABEL.match(line)
        if label:
            section = label.group(1).lower()
            rest = label.group(2)
            if section in ("answer", "final answer"):
                answer_line = rest if answer_line is None else answer_line  # the first answer line wins
            numbers += _numbers(rest)
            continue
        source = _SOURCE_LINE.match(line) if section.startswith(("source", "evidence", "citation")) else None
        if source:
            n = int(source.group(1))
            numbers.append(n)
            sentence = _clean(_uncite(source.group(2)))
            if sentence and n not in sentences:
                sentences[n] = sentence
        else:
            numbers += _numbers(line)
    if answer_line is None:
        if is_refusal(" ".join(lines)):
            return ParsedAnswer(None, True, (), 0)
        raise ReaderParseError('no "Answer:" line in the reply')
    answer = _strip_full_stop(_clean(_uncite(answer_line)))
    if not answer:
        raise ReaderParseError('the "Answer:" line is empty')
    if is_refusal(answer):
        return ParsedAnswer(None, True, (), 0)
    kept = [n for n in dict.fromkeys(numbers) if 1 <= n <= passage_count]
    dropped = len({n for n in numbers if not 1 <= n <= passage_count})
    return ParsedAnswer(answer, False, tuple(Cited(n, sentences.get(n)) for n in kept), dropped)


def parse_step(text: str | None) -> ParsedStep:
    """The reply to `step_messages`: its first sentence, or the final answer when it gives one.
    Raises ReaderParseError when there is no sentence at all."""
    body = " ".join(line.strip() for line in (text or "").splitlines() if line.strip() and not _FENCE.match(line))
    body = re.sub(r"^(next sentence|thought|reasoning)\s*:\s*", "", body, flags=re.IGNORECASE)
    if not body:
        raise ReaderParseError("the reply is empty")
    final = _FINAL.search(body)
    if final:
        answer = _strip_full_stop(_clean(_uncite(body[final.end():])))
        if not answer:
            raise ReaderParseError(f'"{FINAL_MARK}" with nothing after it')
        return ParsedStep(body[final.start():].strip(), None if is_refusal(answer) else answer, final=True)
    return ParsedStep(_SENTENCE_END.split(body, maxsplit=1)[0].strip(), None)


def cited_numbers(text: str) -> list[int]:
    """Every passage number cited as [n] or [n, m] in `text`, in order, repeats kept."""
    return _numbers(text)


def _numbers(text: str) -> list[int]:
    return [int(n) for group in _CITE_GROUP.findall(text) for n in re.split(r"[,;]", group) if n.strip()]


def _clean(text: str) -> str:
    """Without surrounding quotes, markdown emphasis and spaces; inner text untouched."""
    return " ".join(text.split()).strip(_DECORATION)


def _strip_full_stop(text: str) -> str:
    """"Ilse Varnholt." -> "Ilse Varnholt"; an abbreviation's point ("D.C.") stays."""
    if text.endswith(".") and len(text) > 1 and (text[-2].islower() or text[-2].isdigit()):
        return text[:-1].rstrip()
    return text


def _uncite(text: str) -> str:
    """`text` without its [n] citations (and the space before each)."""
    return re.sub(r"\s*" + _CITE_GROUP.pattern, "", text)
