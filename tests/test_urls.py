"""Credentials inside URLs never reach the manifest, a summary or an error message."""

from __future__ import annotations

import json
import socket

import pytest

from hipporag_like.config import PipelineConfig
from hipporag_like.llm.backend import ChatRequest, LLMError, never
from hipporag_like.llm.openai_backend import OpenAIBackend
from hipporag_like.urls import redact_url

SECRET = "s3cr3t-pw"


@pytest.mark.parametrize(
    "url, shown",
    [
        (f"http://user:{SECRET}@host:8000/v1", "http://host:8000/v1"),
        (f"https://{SECRET}@host/v1", "https://host/v1"),
        (f"http://u:{SECRET}@[::1]:8000/v1", "http://[::1]:8000/v1"),
        (f"http://host/v1?api_key={SECRET}&model=m", "http://host/v1?model=m"),
        (f"http://host/v1?key={SECRET}&Token={SECRET}&access_token={SECRET}&x-api-key={SECRET}", "http://host/v1"),
        (f"http://host/v1#access_token={SECRET}", "http://host/v1"),
        ("http://localhost:6333", "http://localhost:6333"),
        ("https://api.openai.com/v1?monkey=1", "https://api.openai.com/v1?monkey=1"),  # a name ending in "key" is not a key
        ("local:/tmp/qdrant", "local:/tmp/qdrant"),
        (None, None),
        ("", ""),
    ],
)
def test_redact_url(url, shown):
    assert redact_url(url) == shown


def test_pipeline_as_written_to_the_manifest_holds_no_credentials():
    config = (
        PipelineConfig()
        .with_overrides("extractor", kind="openai", model="m", base_url=f"http://user:{SECRET}@llm:8000/v1?api_key={SECRET}")
        .with_overrides("embedder", kind="openai", base_url=f"http://:{SECRET}@emb/v1")
        .with_overrides("vectors", kind="qdrant", url=f"https://admin:{SECRET}@qdrant.example:6333")
    )
    data = config.to_dict()
    assert SECRET not in json.dumps(data)
    assert data["extractor"]["base_url"] == "http://llm:8000/v1"
    assert data["embedder"]["base_url"] == "http://emb/v1"
    assert data["vectors"]["url"] == "https://qdrant.example:6333"
    assert config.extractor.base_url.startswith("http://user:")  # the run itself still has the URL it was given
    assert PipelineConfig.from_dict(data) == config.with_overrides("extractor", base_url="http://llm:8000/v1").with_overrides(
        "embedder", base_url="http://emb/v1").with_overrides("vectors", url="https://qdrant.example:6333")


def test_llm_errors_and_repr_hold_no_credentials():
    with socket.socket() as probe:  # a loopback port nobody listens on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    backend = OpenAIBackend("m", base_url=f"http://user:{SECRET}@127.0.0.1:{port}/v1", max_retries=0, timeout_s=1.0)
    request = ChatRequest("t", ({"role": "user", "content": "hi"},), {})
    with pytest.raises(LLMError, match=f"cannot reach the LLM server at http://127.0.0.1:{port}/v1") as caught:
        list(backend.complete([request], never))
    assert SECRET not in str(caught.value) and SECRET not in repr(backend)
