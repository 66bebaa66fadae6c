"""The reader's chat backend, built from a pipeline's [reader] table with the extraction backends."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING

from ..config import LLM_KINDS, ReaderConfig
from ..errors import HippoError

if TYPE_CHECKING:
    from ..llm.backend import ChatBackend


class NoReaderError(HippoError):
    """A question was to be answered but no reader model is configured."""


def require_reader(config: ReaderConfig, command: str = "ask") -> None:
    """A one-line error naming what to set when no reader model is configured."""
    if not config.model:
        raise NoReaderError(
            f"{command} needs a reader LLM: pass --llm-base-url URL and --llm-model NAME "
            "(or --pipeline FILE with a [reader] table that names a model)"
        )


def make_reader_backend(config: ReaderConfig) -> "ChatBackend":
    """An OpenAI-compatible client (vllm serve, Ollama, OpenAI) or vLLM in process; free text,
    one request at a time (the reader asks one question after another)."""
    require_reader(config)
    assert config.model is not None
    if config.kind == "openai":
        from ..llm.openai_backend import OpenAIBackend

        return OpenAIBackend(config.model, base_url=config.base_url, api_key_env=config.api_key_env, concurrency=1,
                             timeout_s=config.timeout_s, max_retries=config.max_retries, temperature=config.temperature,
                             max_output_tokens=config.max_output_tokens, json_mode=False)
    if config.kind == "vllm":
        from ..llm.vllm_backend import VLLMBackend

        return VLLMBackend(config.model, temperature=config.temperature, max_output_tokens=config.max_output_tokens)
    raise HippoError(f"reader.kind: unknown reader '{config.kind}' (use {', '.join(LLM_KINDS)})")


def reader_from_flags(config: ReaderConfig, base_url: str | None = None, model: str | None = None) -> ReaderConfig:
    """Command-line flags over the [reader] table; a base URL means an OpenAI-compatible server."""
    given = {key: value for key, value in (("base_url", base_url), ("model", model)) if value}
    if base_url:
        given["kind"] = "openai"
    return replace(config, **given) if given else config


def resolve_reader(pipeline: Path | None, index_dir: Path | None, base_url: str | None, model: str | None,
                   command: str = "ask") -> ReaderConfig:
    """The [reader] of `pipeline` if given, else of the index's own pipeline (read from its
    manifest, nothing loaded), with the flags on top; an error naming the flags if no model."""
    from ..config import PipelineConfig, load_pipeline
    from ..store import read_manifest

    if pipeline is not None:
        config = load_pipeline(pipeline).reader
    elif index_dir is not None:
        config = PipelineConfig.from_dict({"reader": read_manifest(index_dir)["config"].get("reader", {})}).reader
    else:
        config = ReaderConfig()
    config = reader_from_flags(config, base_url, model)
    require_reader(config, command)
    return config
