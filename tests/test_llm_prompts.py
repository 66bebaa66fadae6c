"""Prompt building, and the vLLM backend's request/answer handling without vLLM installed."""

from __future__ import annotations

import json
import sys
import types
from dataclasses import dataclass, field
from typing import Any

import pytest

from fake_llm_server import step_of
from hipporag_like.cache import KeyValueCache
from hipporag_like.corpus import Passage
from hipporag_like.errors import MissingExtraError
from hipporag_like.extraction.llm_extractor import LLMExtractor
from hipporag_like.llm.backend import ChatRequest
from hipporag_like.llm.parsing import parse_entities, parse_triples
from hipporag_like.llm.prompts import (
    NER_SCHEMA,
    PROMPT_VERSION,
    TRIPLES_SCHEMA,
    ner_messages,
    question_messages,
    triples_messages,
)
from hipporag_like.llm.vllm_backend import (
    VLLMBackend,
    answer_from_output,
    batch_sampling_params,
    conversations,
    structured_output_options,
)
from hipporag_like.progress import QUIET

CONTENT = "Quillon Bridge\nQuillon Bridge was opened by mayor Idris Fell in 1904."


def test_ner_prompt_is_one_shot_and_ends_with_the_passage() -> None:
    messages = ner_messages(CONTENT)
    assert [m["role"] for m in messages] == ["system", "user", "assistant", "user"]
    assert "JSON" in messages[0]["content"] and "named_entities" in messages[0]["content"]
    assert messages[-1]["content"].endswith(CONTENT)
    example = parse_entities(messages[2]["content"])
    assert example and all(entity in messages[1]["content"] for entity in example)


def test_triples_prompt_carries_the_entities() -> None:
    messages = triples_messages(CONTENT, ["Quillon Bridge", "Idris Fell", "1904"])
    assert [m["role"] for m in messages] == ["system", "user", "assistant", "user"]
    assert CONTENT in messages[-1]["content"]
    assert json.dumps({"named_entities": ["Quillon Bridge", "Idris Fell", "1904"]}) in messages[-1]["content"]
    assert parse_triples(messages[2]["content"]).dropped == 0


def test_question_prompt() -> None:
    messages = question_messages("Who opened Quillon Bridge?")
    assert messages[-1]["content"].endswith("Who opened Quillon Bridge?")
    assert parse_entities(messages[2]["content"])


def test_the_fake_server_tells_the_prompts_apart() -> None:
    assert step_of(ner_messages(CONTENT)) == "ner"
    assert step_of(triples_messages(CONTENT, ["A"])) == "triples"
    assert step_of(question_messages("Who?")) == "question"


# -- vLLM, faked ---------------------------------------------------------------------------------


@dataclass
class _Params:
    kwargs: dict[str, Any]


def _fake_vllm(new_style: bool = True, old_style: bool = False) -> types.ModuleType:
    """A stand-in `vllm` module: records what it is asked, answers from canned JSON."""
    module = types.ModuleType("vllm")
    sampling = types.ModuleType("vllm.sampling_params")

    class StructuredOutputsParams:
        def __init__(self, **kwargs: Any) -> None:
            self.kwargs = kwargs

    class GuidedDecodingParams(StructuredOutputsParams):
        pass

    if new_style:
        sampling.StructuredOutputsParams = StructuredOutputsParams  # type: ignore[attr-defined]
    if old_style:
        sampling.GuidedDecodingParams = GuidedDecodingParams  # type: ignore[attr-defined]
    module.sampling_params = sampling  # type: ignore[attr-defined]
    module.SamplingParams = lambda **kwargs: _Params(kwargs)  # type: ignore[attr-defined]

    @dataclass
    class LLM:
        model: str
        calls: list[Any] = field(default_factory=list)

        def chat(self, messages: list[list[dict[str, str]]], sampling_params: Any = None, use_tqdm: bool = True) -> list[Any]:
            self.calls.append((messages, sampling_params))
            outputs = []
            for conversation in messages:
                system = conversation[0]["content"]
                text = '{"triples": [["Idris Fell", "opened", "Quillon Bridge"]]}' if "triples" in system else '{"named_entities": ["Idris Fell", "Quillon Bridge"]}'
                completion = types.SimpleNamespace(text=text, token_ids=[0] * 7)
                outputs.append(types.SimpleNamespace(outputs=[completion], prompt_token_ids=[0] * 50))
            return outputs

    module.LLM = LLM  # type: ignore[attr-defined]
    return module


def test_missing_vllm_names_the_extra(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "vllm", None)  # makes `import vllm` fail
    with pytest.raises(MissingExtraError, match=r"pip install '\.\[vllm\]'"):
        VLLMBackend("Qwen/Qwen2.5-7B-Instruct")


def test_structured_outputs_current_and_older_vllm() -> None:
    options = structured_output_options(_fake_vllm(), NER_SCHEMA)
    assert list(options) == ["structured_outputs"] and options["structured_outputs"].kwargs == {"json": NER_SCHEMA}
    options = structured_output_options(_fake_vllm(new_style=False, old_style=True), TRIPLES_SCHEMA)
    assert list(options) == ["guided_decoding"] and options["guided_decoding"].kwargs == {"json": TRIPLES_SCHEMA}
    assert structured_output_options(_fake_vllm(new_style=False), NER_SCHEMA) == {}


def test_sampling_params_shared_when_the_batch_shares_a_schema() -> None:
    fake = _fake_vllm()
    ner = [ChatRequest(str(i), tuple(ner_messages(CONTENT)), NER_SCHEMA) for i in range(3)]
    params = batch_sampling_params(fake, ner, 0.0, 256)
    assert isinstance(params, _Params) and params.kwargs["max_tokens"] == 256 and params.kwargs["temperature"] == 0.0
    mixed = ner[:1] + [ChatRequest("t", tuple(triples_messages(CONTENT, [])), TRIPLES_SCHEMA)]
    assert isinstance(batch_sampling_params(fake, mixed, 0.0, 256), list)


def test_conversations_and_answers() -> None:
    request = ChatRequest("p1", tuple(ner_messages(CONTENT)), NER_SCHEMA)
    assert conversations([request]) == [ner_messages(CONTENT)]
    output = types.SimpleNamespace(outputs=[types.SimpleNamespace(text='{"named_entities": ["Idris Fell"]}', token_ids=[1, 2, 3])], prompt_token_ids=[0] * 40)
    answer = answer_from_output(request, output)
    assert (answer.tag, answer.status, answer.input_tokens, answer.output_tokens) == ("p1", "ok", 40, 3)
    assert parse_entities(answer.text) == ["Idris Fell"]
    empty = answer_from_output(request, types.SimpleNamespace(outputs=[], prompt_token_ids=None))
    assert empty.text is None


def test_extractor_over_a_faked_vllm(monkeypatch: pytest.MonkeyPatch, tmp_path: Any) -> None:
    monkeypatch.setitem(sys.modules, "vllm", _fake_vllm())
    backend = VLLMBackend("Qwen/Qwen2.5-7B-Instruct", chunk_size=2)
    passages = [Passage.make(f"Bridge {i}", f"Quillon Bridge number {i} was opened by Idris Fell.") for i in range(3)]
    extractor = LLMExtractor(backend, KeyValueCache(tmp_path))
    assert extractor.fingerprint == f"llm:vllm:Qwen/Qwen2.5-7B-Instruct:prompt-{PROMPT_VERSION}"
    results = extractor.extract(passages, QUIET)
    assert all(r.triples == (("Idris Fell", "opened", "Quillon Bridge"),) for r in results)
    assert len(backend._llm.calls) == 4  # two chunks (2 + 1) for each step
    assert extractor.stats.tokens == 6 * (50 + 7)
    assert LLMExtractor(backend, KeyValueCache(tmp_path)).extract(passages, QUIET) == results
    assert len(backend._llm.calls) == 4  # all cached: no new batch
