"""Cutting a document into passages that fit the embedder's window. Pure: no I/O, no model.

The embedder reads at most `max_tokens` tokens of a passage (256 for the bundled MiniLM,
[CLS] and [SEP] included) and it reads `title + "\\n" + text`, so a chunk's budget is what
the title leaves. A document that fits is one chunk, the whole stripped text. A longer one is
cut into units (sentences; a sentence that alone is too long is cut at line breaks, then at
spaces, then, for a run of characters with no space, by length) and units are packed greedily
up to the budget. A chunk ends at a paragraph end when one falls in its second half, else at a
sentence end; before a heading (a one-line paragraph of at most HEADING_TOKENS tokens, such as
"6. Conveying Non-Source Forms.") when one falls in its last two thirds, so that a heading
starts the chunk of its section instead of ending the one before. A chunk cut inside a paragraph is followed by one that starts with its last
whole units, as many as fit in `overlap_tokens` (none when the last unit alone is longer); a
chunk that ends a paragraph needs no overlap, the next one starts a fresh paragraph.

Every chunk is a `(start, end)` span of the text it came from, so `text[start:end]` is the
chunk exactly; chunks hold no leading or trailing whitespace. The token counter is a function
from a list of strings to their token counts *as the model sees them* (special tokens
included); `corpus.py` passes the bundled tokenizer's, the tests also pass a word counter.
Each chunk is checked with that counter on the exact string the embedder will read.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Callable, Sequence

Counter = Callable[[Sequence[str]], list[int]]
Span = tuple[int, int]

# Characters per token we allow before cutting a "word" by length: the WordPiece tokenizer
# turns a run of over 100 characters without a space into one [UNK], so a token count alone
# would let a 200,000-character string through as a "short" passage.
CHARS_PER_TOKEN_CAP = 12
HEADING_TOKENS = 16

_PARAGRAPH_BREAK = re.compile(r"\n[ \t\r\f\v]*\n\s*")
# A sentence ends at . ! ? or … (with closing quotes or brackets) followed by white space.
_SENTENCE_END = re.compile(r"[.!?\u2026][\"'\u201d\u2019)\]]*\s+")
_LINE_BREAK = re.compile(r"\s*\n\s*")
_SPACE = re.compile(r"\s+")


@dataclass(frozen=True)
class Unit:
    """An atomic piece of a chunk: a stripped span, its token count, whether it starts a
    paragraph, and whether it is a whole heading-like paragraph."""

    start: int
    end: int
    tokens: int
    paragraph_start: bool
    heading: bool = False


def content(title: str, text: str) -> str:
    """What the embedder reads for a passage (the same rule as `Passage.content`)."""
    return f"{title}\n{text}" if title else text


def chunk_spans(text: str, title: str, max_tokens: int, overlap_tokens: int, count: Counter) -> list[Span]:
    """Spans of `text` whose chunks, each read as `content(title, chunk)`, hold at most
    `max_tokens` tokens by `count`. An empty (all-space) text has no chunks.

    Raises:
        ValueError: the title alone leaves no room for text (see `fit_title`).
    """
    whole = _strip(text, 0, len(text))
    if whole is None:
        return []
    start, end = whole
    cap = max_tokens * CHARS_PER_TOKEN_CAP
    if end - start <= cap and count([content(title, text[start:end])])[0] <= max_tokens:
        return [whole]
    overhead = count([title])[0] if title else count([""])[0]
    budget = max_tokens - overhead
    if budget < 1:
        raise ValueError(f"the title takes {overhead} of the {max_tokens} tokens; no room for text")
    empty = count([""])[0]
    units = split_units(text, budget, lambda pieces: [n - empty for n in count(pieces)], cap)
    return pack(text, title, units, budget, overlap_tokens, max_tokens, count, cap)


def fit_title(title: str, max_tokens: int, count: Counter) -> str:
    """The title, cut by words (then characters) until it takes at most a quarter of the
    window, so that chunks keep room for text; most titles are returned unchanged."""
    limit = max(max_tokens // 4, count([""])[0] + 1)
    if not title or count([title])[0] <= limit:
        return title
    words = title.split()
    while len(words) > 1 and count([" ".join(words) + " …"])[0] > limit:
        words.pop()
    short = " ".join(words)
    while short and count([short + " …"])[0] > limit:
        short = short[: len(short) // 2]
    return f"{short} …" if short else ""


def split_units(text: str, budget: int, raw_count: Counter, cap: int) -> list[Unit]:
    """Sentences of every paragraph; a sentence over `budget` tokens (or `cap` characters) is
    cut at line breaks, then spaces, then by length. `raw_count` counts tokens without the
    special tokens."""
    pieces: list[tuple[int, int, bool, bool]] = []
    for p_start, p_end in _parts(text, 0, len(text), _PARAGRAPH_BREAK):
        sentences = _parts(text, p_start, p_end, _SENTENCE_END)
        alone = len(sentences) == 1 and "\n" not in text[p_start:p_end]
        for number, (s_start, s_end) in enumerate(sentences):
            pieces.append((s_start, s_end, number == 0, alone))
    counts = raw_count([text[a:b] for a, b, _, _ in pieces]) if pieces else []
    units: list[Unit] = []
    for (start, end, first, alone), tokens in zip(pieces, counts):
        if tokens <= budget and end - start <= cap:
            units.append(Unit(start, end, tokens, first, alone and tokens <= HEADING_TOKENS))
        else:
            found = _cut_long(text, start, end, budget, raw_count, cap, (_LINE_BREAK, _SPACE))
            units += [Unit(a, b, n, first and i == 0) for i, (a, b, n) in enumerate(found)]
    return units


def pack(text: str, title: str, units: Sequence[Unit], budget: int, overlap_tokens: int, max_tokens: int,
         count: Counter, cap: int) -> list[Span]:
    """Greedy packing of units into chunks of at most `budget` tokens and `cap` characters,
    with a whole-unit overlap (see the module notes)."""
    spans: list[Span] = []
    i, n = 0, len(units)
    while i < n:
        j, total = i, 0
        while j < n and total + units[j].tokens <= budget and units[j].end - units[i].start <= cap:
            total += units[j].tokens
            j += 1
        j = max(j, i + 1)  # a unit fits alone by construction; never stall
        if j < n:
            j = _paragraph_end(units, i, j, budget)
        while j > i + 1 and count([content(title, text[units[i].start:units[j - 1].end])])[0] > max_tokens:
            j -= 1  # the counter is not additive after all: give back units until it fits
        spans.append((units[i].start, units[j - 1].end))
        if j >= n:
            break
        s, kept = j, 0
        while not units[j].paragraph_start and s - 1 > i and kept + units[s - 1].tokens <= overlap_tokens:
            s -= 1
            kept += units[s].tokens
        i = s
    return spans


def _paragraph_end(units: Sequence[Unit], i: int, j: int, budget: int) -> int:
    """Where a chunk of units i..j-1 (j < len(units)) should end: before the latest heading that
    leaves a third of the budget in it, else at the latest paragraph end that leaves half; else at j."""
    total = sum(u.tokens for u in units[i:j])
    latest = j if units[j].paragraph_start and not units[j - 1].heading else None
    for k in range(j - 1, i, -1):
        total -= units[k].tokens
        if total * 3 < budget:
            break
        if units[k].heading:
            return k
        if units[k].paragraph_start and latest is None and not units[k - 1].heading and total * 2 >= budget:
            latest = k
    return latest if latest is not None else j


def _cut_long(text: str, start: int, end: int, budget: int, raw_count: Counter, cap: int,
              separators: tuple[re.Pattern[str], ...]) -> list[tuple[int, int, int]]:
    """A span too long for one unit, as pieces cut at the first separator that yields several
    parts (pieces still too long are cut at the next one), or, at the end, by length."""
    if not separators:
        return _cut_by_length(text, start, end, budget, raw_count, cap)
    parts = _parts(text, start, end, separators[0])
    if len(parts) < 2:
        return _cut_long(text, start, end, budget, raw_count, cap, separators[1:])
    counts = raw_count([text[a:b] for a, b in parts])
    out: list[tuple[int, int, int]] = []
    for (a, b), tokens in zip(parts, counts):
        if tokens <= budget and b - a <= cap:
            out.append((a, b, tokens))
        else:
            out += _cut_long(text, a, b, budget, raw_count, cap, separators[1:])
    return out


def _cut_by_length(text: str, start: int, end: int, budget: int, raw_count: Counter, cap: int) -> list[tuple[int, int, int]]:
    """A run with no usable separator, cut into pieces of at most `cap` characters, halved
    while one still counts over the budget (a token is at least one character, almost always)."""
    size = max(1, min(cap, budget))
    while True:
        pieces = [(a, min(a + size, end)) for a in range(start, end, size)]
        counts = raw_count([text[a:b] for a, b in pieces])
        if max(counts) <= budget or size == 1:
            return [(a, b, c) for (a, b), c in zip(pieces, counts)]
        size = max(1, size // 2)


def _parts(text: str, start: int, end: int, separator: re.Pattern[str]) -> list[Span]:
    """The stripped, non-empty spans of text[start:end] between matches of `separator`; a
    sentence separator keeps its punctuation with the sentence before it."""
    spans: list[Span] = []
    at = start
    for match in separator.finditer(text, start, end):
        cut = match.start()
        if separator is _SENTENCE_END:
            cut = match.start() + len(match.group().rstrip())
            if len(text[at:cut].strip()) <= 4:  # "6.", "iv.", "a)": a list number, not a sentence
                continue
        part = _strip(text, at, cut)
        if part is not None:
            spans.append(part)
        at = match.end()
    part = _strip(text, at, end)
    if part is not None:
        spans.append(part)
    return spans


def _strip(text: str, start: int, end: int) -> Span | None:
    while start < end and text[start].isspace():
        start += 1
    while end > start and text[end - 1].isspace():
        end -= 1
    return (start, end) if start < end else None


__all__ = ["chunk_spans", "fit_title", "split_units", "pack", "content", "Unit", "Counter", "CHARS_PER_TOKEN_CAP"]
