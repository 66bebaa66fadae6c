"""vLLM in process: one batched `LLM.chat` call per chunk, JSON enforced by guided decoding.

`vllm` is imported only in the constructor, so this module loads (and its prompt and output
helpers are tested) without it. The helpers take the `vllm` module as an argument: they use
`SamplingParams(structured_outputs=StructuredOutputsParams(json=schema))`, the only form since
vLLM 0.12, and fall back to the older `guided_decoding=GuidedDecodingParams(json=schema)`.
"""

from __future__ import annotations

from typing import Any, Iterator, Mapping, Sequence

from ..errors import MissingExtraError
from .backend import ChatAnswer, ChatRequest, LLMError, StopSignal


def structured_output_options(vllm_module: Any, schema: Mapping[str, Any]) -> dict[str, Any]:
    """The SamplingParams keyword that constrains the answer to `schema`, for this vLLM version.
    An empty schema asks for free text (the QA reader): no constraint."""
    if not schema:
        return {}
    params = getattr(vllm_module, "sampling_params", None)
    new_style = getattr(params, "StructuredOutputsParams", None)
    if new_style is not None:
        return {"structured_outputs": new_style(json=dict(schema))}
    old_style = getattr(params, "GuidedDecodingParams", None)
    if old_style is not None:
        return {"guided_decoding": old_style(json=dict(schema))}
    return {}  # no guided decoding: the tolerant parser still copes


def sampling_params(vllm_module: Any, request: ChatRequest, temperature: float, max_tokens: int) -> Any:
    return vllm_module.SamplingParams(
        temperature=temperature,
        max_tokens=max_tokens,
        **structured_output_options(vllm_module, request.schema),
    )


def batch_sampling_params(vllm_module: Any, requests: Sequence[ChatRequest], temperature: float, max_tokens: int) -> Any:
    """One SamplingParams when the whole batch shares a schema (the usual case), else one each."""
    if all(r.schema == requests[0].schema for r in requests):
        return sampling_params(vllm_module, requests[0], temperature, max_tokens)
    return [sampling_params(vllm_module, r, temperature, max_tokens) for r in requests]


def conversations(requests: Sequence[ChatRequest]) -> list[list[dict[str, str]]]:
    """The batch as `LLM.chat` takes it: one list of messages per request."""
    return [[dict(m) for m in r.messages] for r in requests]


def answer_from_output(request: ChatRequest, output: Any) -> ChatAnswer:
    """A vLLM `RequestOutput` -> our answer, with token counts from the engine itself."""
    completions = getattr(output, "outputs", None) or []
    if not completions:
        return ChatAnswer(request.tag, "ok", text=None, input_tokens=len(getattr(output, "prompt_token_ids", None) or []))
    first = completions[0]
    return ChatAnswer(
        request.tag,
        "ok",
        text=first.text,
        input_tokens=len(getattr(output, "prompt_token_ids", None) or []),
        output_tokens=len(getattr(first, "token_ids", None) or []),
    )


class VLLMBackend:
    """Loads the model once; answers a batch in chunks so a budget stop takes effect between them."""

    name = "vllm"

    def __init__(
        self,
        model: str,
        *,
        temperature: float = 0.0,
        max_output_tokens: int = 1024,
        chunk_size: int = 256,
        engine_options: Mapping[str, Any] | None = None,
    ) -> None:
        try:
            import vllm
        except ImportError:
            raise MissingExtraError("vllm", "vllm") from None
        self._vllm = vllm
        self._model = model
        self.temperature = temperature
        self.max_output_tokens = max_output_tokens
        self.chunk_size = max(1, chunk_size)
        self._llm = vllm.LLM(model=model, **dict(engine_options or {}))

    @property
    def model(self) -> str:
        return self._model

    def complete(self, requests: Sequence[ChatRequest], stop: StopSignal) -> Iterator[ChatAnswer]:
        for start in range(0, len(requests), self.chunk_size):
            chunk = requests[start : start + self.chunk_size]
            if stop():
                for request in chunk:
                    yield ChatAnswer(request.tag, "skipped", error="not sent: the run was stopped", attempts=0)
                continue
            params = batch_sampling_params(self._vllm, chunk, self.temperature, self.max_output_tokens)
            try:
                outputs = self._llm.chat(conversations(chunk), sampling_params=params, use_tqdm=False)
            except (ValueError, RuntimeError) as exc:
                raise LLMError(f"vLLM failed on a batch of {len(chunk)}: {' '.join(str(exc).split())[:200]}") from None
            for request, output in zip(chunk, outputs):
                yield answer_from_output(request, output)
