"""What an LLM extraction would cost, before making a single call.

Input tokens are counted on the real prompts with tiktoken when its BPE file can be loaded
(it is downloaded on first use, so offline machines may lack it); otherwise four characters
count as one token, and the estimate says which method it used. Output tokens can only be
guessed: a share of the passage length, capped by the output limit.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from typing import Any, Callable, Collection, Mapping, Sequence

from ..corpus import Passage
from .prompts import ner_messages, triples_messages

STEPS = ("ner", "triples")
CHARS_PER_TOKEN = 4
TIKTOKEN_WAIT_S = 10.0  # tiktoken fetches its BPE file without a timeout; never wait longer
_MESSAGE_OVERHEAD = 4  # role and separators, per message
_REQUEST_OVERHEAD = 3
# output guesses: fixed JSON overhead + a share of the passage's tokens
_OUTPUT_SHAPE = {"ner": (8, 0.35), "triples": (12, 1.2)}
_O200K_PREFIXES = ("gpt-4o", "gpt-4.1", "gpt-4.5", "gpt-5", "o1", "o3", "o4", "chatgpt-4o")

_ENCODINGS: dict[str, Any] = {}
_ENCODINGS_LOCK = threading.Lock()


@dataclass(frozen=True)
class TokenCounter:
    name: str  # "tiktoken:<encoding>" or "chars/4"
    count: Callable[[str], int]


def encoding_name(model: str) -> str:
    """o200k_base for the GPT-4o generation and later, cl100k_base for everything else."""
    bare = model.rsplit("/", 1)[-1].lower()
    return "o200k_base" if bare.startswith(_O200K_PREFIXES) else "cl100k_base"


def _load_encoding(name: str, wait_s: float) -> Any:
    """tiktoken's encoding, or None when its BPE file cannot be had within `wait_s`."""
    with _ENCODINGS_LOCK:
        if name in _ENCODINGS:
            return _ENCODINGS[name]
    found: list[Any] = []

    def load() -> None:
        try:
            import tiktoken

            found.append(tiktoken.get_encoding(name))
        except Exception:  # no network, no cached file, no package: fall back, do not fail
            pass

    worker = threading.Thread(target=load, name="tiktoken-load", daemon=True)
    worker.start()
    worker.join(wait_s)
    encoding = found[0] if found else None
    with _ENCODINGS_LOCK:
        _ENCODINGS[name] = encoding
    return encoding


def token_counter(model: str, wait_s: float = TIKTOKEN_WAIT_S) -> TokenCounter:
    name = encoding_name(model)
    encoding = _load_encoding(name, wait_s)
    if encoding is None:
        return chars_counter()
    return TokenCounter(f"tiktoken:{name}", lambda text: len(encoding.encode(text, disallowed_special=())))


def chars_counter() -> TokenCounter:
    return TokenCounter("chars/4", lambda text: (len(text) + CHARS_PER_TOKEN - 1) // CHARS_PER_TOKEN)


@dataclass(frozen=True)
class StepEstimate:
    step: str
    requests: int
    input_tokens: int
    output_tokens: int


@dataclass(frozen=True)
class ExtractionEstimate:
    model: str
    passages: int
    already_done: int  # passages with nothing left to ask (answered or quarantined before)
    steps: tuple[StepEstimate, ...]
    tokenizer: str
    price_in_per_million: float | None = None
    price_out_per_million: float | None = None

    @property
    def requests(self) -> int:
        return sum(s.requests for s in self.steps)

    @property
    def input_tokens(self) -> int:
        return sum(s.input_tokens for s in self.steps)

    @property
    def output_tokens(self) -> int:
        return sum(s.output_tokens for s in self.steps)

    @property
    def cost(self) -> float | None:
        """In the currency of the prices given; None unless both prices were given."""
        if self.price_in_per_million is None or self.price_out_per_million is None:
            return None
        return (self.input_tokens * self.price_in_per_million + self.output_tokens * self.price_out_per_million) / 1e6

    def lines(self) -> list[str]:
        """A short human-readable report, for a dry run."""
        out = [
            f"model {self.model}: {self.passages} passages, {self.already_done} already done, "
            f"{self.requests} LLM calls to make (tokens counted with {self.tokenizer})"
        ]
        for s in self.steps:
            out.append(f"  {s.step:8s} {s.requests:7d} calls  ~{s.input_tokens:,} input  ~{s.output_tokens:,} output tokens")
        out.append(f"  total             ~{self.input_tokens:,} input  ~{self.output_tokens:,} output tokens")
        if self.cost is not None:
            out.append(
                f"  cost ~{self.cost:,.4f} at {self.price_in_per_million:g} in / {self.price_out_per_million:g} out per million tokens"
            )
        return out


def _chat_tokens(counter: TokenCounter, messages: Sequence[Mapping[str, str]]) -> int:
    return _REQUEST_OVERHEAD + sum(counter.count(m["content"]) + _MESSAGE_OVERHEAD for m in messages)


def _output_guess(step: str, passage_tokens: int, max_output_tokens: int) -> int:
    fixed, share = _OUTPUT_SHAPE[step]
    return min(max_output_tokens, fixed + round(share * passage_tokens))


def estimate(
    passages: Sequence[Passage],
    model: str,
    *,
    price_in_per_million: float | None = None,
    price_out_per_million: float | None = None,
    max_output_tokens: int = 1024,
    answered: Mapping[str, Collection[str]] | None = None,
    counter: TokenCounter | None = None,
) -> ExtractionEstimate:
    """Tokens and calls for extracting `passages`; `answered` maps a passage id to steps already done."""
    counter = counter or token_counter(model)
    answered = answered or {}
    totals = {step: [0, 0, 0] for step in STEPS}  # requests, input, output
    done = 0
    empty_triples_prompt = _chat_tokens(counter, triples_messages("", []))
    for passage in passages:
        skip = answered.get(passage.id, ())
        if all(step in skip for step in STEPS):
            done += 1
            continue
        passage_tokens = counter.count(passage.content)
        ner_out = _output_guess("ner", passage_tokens, max_output_tokens)
        if "ner" not in skip:
            totals["ner"][0] += 1
            totals["ner"][1] += _chat_tokens(counter, ner_messages(passage.content))
            totals["ner"][2] += ner_out
        if "triples" not in skip:
            totals["triples"][0] += 1
            totals["triples"][1] += empty_triples_prompt + passage_tokens + ner_out
            totals["triples"][2] += _output_guess("triples", passage_tokens, max_output_tokens)
    steps = tuple(StepEstimate(step, *totals[step]) for step in STEPS)
    return ExtractionEstimate(model, len(passages), done, steps, counter.name, price_in_per_million, price_out_per_million)
