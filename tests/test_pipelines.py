"""Pipeline files: the shipped ones load; bad ones fail naming the file and key."""

from __future__ import annotations

from pathlib import Path

import pytest

from hipporag_like import InputError, load_pipeline
from hipporag_like.config import PipelineConfig

from conftest import ROOT

SHIPPED = sorted((ROOT / "pipelines").glob("*.toml"))


def test_there_are_pipelines():
    names = {p.stem for p in SHIPPED}
    assert {"default", "openie", "vllm-serve", "openai", "ollama", "vllm-inprocess"} <= names


@pytest.mark.parametrize("path", SHIPPED, ids=[p.stem for p in SHIPPED])
def test_shipped_pipeline_loads(path):
    config = load_pipeline(path)
    assert config.extractor.kind in {"spacy", "openie", "openai", "vllm"}


def test_default_file_spells_out_the_defaults():
    assert load_pipeline(ROOT / "pipelines" / "default.toml") == PipelineConfig()


@pytest.mark.parametrize(
    "text, message",
    [
        ("[extractor]\nkind = 3\n", "[extractor] kind: expected str, got int"),
        ("[graph]\nsynonymy_threshold = 'high'\n", "[graph] synonymy_threshold: expected float"),
        ("[retrieval]\nnope = 1\n", "[retrieval]: unknown key 'nope'"),
        ("[stages]\n", "unknown table [stages]"),
        ("[extractor\n", "invalid TOML"),
        ("extractor = 1\n", "[extractor]: expected a table"),
    ],
)
def test_bad_pipeline_names_file_and_key(tmp_path: Path, text, message):
    path = tmp_path / "p.toml"
    path.write_text(text)
    with pytest.raises(InputError) as caught:
        load_pipeline(path)
    assert message in str(caught.value) and "p.toml" in str(caught.value)
