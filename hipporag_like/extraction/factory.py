"""Pick the extraction backend a pipeline names; optional backends import lazily."""

from __future__ import annotations

from typing import TYPE_CHECKING

from ..cache import KeyValueCache, default_cache_dir
from ..config import EXTRACTOR_KINDS, LLM_KINDS, ExtractorConfig
from ..errors import HippoError
from .base import Extractor

if TYPE_CHECKING:
    from ..llm.openai_backend import OpenAIBackend
    from ..llm.vllm_backend import VLLMBackend


def make_extractor(
    config: ExtractorConfig,
    *,
    cache: KeyValueCache | None = None,
    retry_failed: bool = False,
    max_tokens_budget: int | None = None,
) -> Extractor:
    """The extractor for `config`. The keyword arguments matter only to the LLM extractors
    (openai, vllm), which store every answer in `cache` (the default cache folder if None)."""
    if config.kind == "spacy":
        from .spacy_extractor import SpacyExtractor

        return SpacyExtractor(model=config.spacy_model, title_links=config.title_links, bridge_rules=config.bridge_rules)
    if config.kind == "openie":
        from .openie_file import OpenIEFileExtractor

        if not config.openie_file:
            raise HippoError("[extractor] openie_file: required for the 'openie' extractor (or pass --openie FILE)")
        return OpenIEFileExtractor(config.openie_file)
    if config.kind in LLM_KINDS:
        from .llm_extractor import LLMExtractor

        return LLMExtractor(
            llm_backend(config),
            cache if cache is not None else KeyValueCache(default_cache_dir()),
            retry_failed=retry_failed,
            max_tokens_budget=max_tokens_budget,
        )
    raise HippoError(f"extractor.kind: unknown extractor '{config.kind}' (use {', '.join(EXTRACTOR_KINDS)})")


def llm_backend(config: ExtractorConfig) -> "OpenAIBackend | VLLMBackend":
    """The chat backend of an LLM extractor's config (also answers query-time LLM calls)."""
    model = config.llm_model()
    return _openai_backend(config, model) if config.kind == "openai" else _vllm_backend(config, model)


def _openai_backend(config: ExtractorConfig, model: str) -> "OpenAIBackend":
    from ..llm.openai_backend import OpenAIBackend

    return OpenAIBackend(
        model,
        base_url=config.base_url,
        api_key_env=config.api_key_env,
        concurrency=config.concurrency,
        timeout_s=config.timeout_s,
        max_retries=config.max_retries,
        requests_per_minute=config.requests_per_minute,
        tokens_per_minute=config.tokens_per_minute,
        temperature=config.temperature,
        max_output_tokens=config.max_output_tokens,
    )


def _vllm_backend(config: ExtractorConfig, model: str) -> "VLLMBackend":
    from ..llm.vllm_backend import VLLMBackend

    return VLLMBackend(model, temperature=config.temperature, max_output_tokens=config.max_output_tokens)
