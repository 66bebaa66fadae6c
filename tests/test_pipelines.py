"""Pipeline files: the shipped ones load; bad ones fail naming the file and key."""

from __future__ import annotations

from pathlib import Path

import pytest

from hipporag_like import InputError, load_pipeline
from hipporag_like.config import EXTRACTOR_KINDS, PipelineConfig

from conftest import ROOT

SHIPPED = sorted((ROOT / "pipelines").glob("*.toml"))


def test_there_are_pipelines():
    names = {p.stem for p in SHIPPED}
    assert {"default", "openie", "vllm-serve", "openai", "ollama", "vllm-inprocess"} <= names


@pytest.mark.parametrize("path", SHIPPED, ids=[p.stem for p in SHIPPED])
def test_shipped_pipeline_loads(path):
    config = load_pipeline(path)
    assert config.extractor.kind in EXTRACTOR_KINDS


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


@pytest.mark.parametrize(
    "text, message",
    [
        ("[retrieval]\nfact_top_k = 99999999999999999999\n", "[retrieval] fact_top_k: 99999999999999999999 is over the limit of 10000"),
        ("[retrieval]\nfact_candidates = 10001\n", "fact_candidates: 10001 is over the limit of 10000"),
        ("[retrieval]\nlexical_weight = 1e300\n", "lexical_weight: 1e+300 is over the limit of 1000"),
        ("[retrieval]\nlexical_weight = 1" + "0" * 400 + "\n", "lexical_weight: a 401-digit number is too large for a float"),
        ("[graph]\ntitle_edge_weight = 1000.5\n", "title_edge_weight: 1000.5 is over the limit of 1000"),
        ("[extractor]\nconcurrency = 1025\n", "concurrency: 1025 is over the limit of 1024"),
        ("[extractor]\ntimeout_s = 86401\n", "timeout_s: 86401.0 is over the limit of 86400"),
        ("[extractor]\ntimeout_s = nan\n", "timeout_s: must be a finite number, got nan"),
        ("[retrieval]\ndamping = inf\n", "damping: must be a finite number, got inf"),
        ("[graph]\nsynonymy_threshold = 1.01\n", "[graph] synonymy_threshold: 1.01 is outside [0, 1]"),
        ("[graph]\nsynonymy_threshold = -0.01\n", "synonymy_threshold: -0.01 is outside [0, 1]"),
    ],
)
def test_numbers_out_of_range_are_refused(tmp_path: Path, text, message):
    path = tmp_path / "p.toml"
    path.write_text(text)
    with pytest.raises(InputError) as caught:
        load_pipeline(path)
    assert message in str(caught.value) and "p.toml" in str(caught.value)


def test_every_bounded_key_accepts_its_limit_and_refuses_just_above():
    from dataclasses import fields

    from hipporag_like.config import _SECTION_TYPES, MAXIMUM

    sections = {f.name: section for section, kind in _SECTION_TYPES.items() for f in fields(kind)}
    assert set(MAXIMUM) <= set(sections)
    for key, limit in MAXIMUM.items():
        default = getattr(_SECTION_TYPES[sections[key]](), key)  # None: an optional integer
        value = float(limit) if isinstance(default, float) else int(limit)
        PipelineConfig.from_dict({sections[key]: {key: value}})
        with pytest.raises(InputError, match="over the limit"):
            PipelineConfig.from_dict({sections[key]: {key: value + 1}})


def test_unit_range_includes_both_ends():
    for value in (0.0, 1.0):
        assert PipelineConfig.from_dict({"graph": {"synonymy_threshold": value}}).graph.synonymy_threshold == value


def test_a_pipeline_built_in_code_is_checked_before_an_index_is_written(tmp_path, demo_passages):
    """A value the manifest reader would refuse (here past [chunking]'s limit) must fail the
    build before anything is written: once it stood in a committed manifest, no command could
    open the index again."""
    from dataclasses import replace

    from hipporag_like import Index
    from hipporag_like.config import ChunkingConfig

    config = replace(PipelineConfig(), chunking=ChunkingConfig(max_tokens=10000))
    with pytest.raises(InputError, match=r"\[chunking\] max_tokens: 10000 is over the limit of 8192"):
        Index.build(demo_passages[:2], tmp_path / "index", config)
    assert not (tmp_path / "index").exists()
    with pytest.raises(InputError, match=r"\[retrieval\] damping: 1.5 is outside \(0, 1\)"):
        PipelineConfig().with_overrides("retrieval", damping=1.5)
