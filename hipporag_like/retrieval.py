"""The query engine: link a question to graph nodes, walk, rank passages.

Modes (see README):
- dense: passage embeddings only;
- bm25: lexical BM25 over passages (bm25s);
- ppr-entity: HippoRAG 1: question entities -> closest phrase nodes, specificity-weighted seeds;
- ppr-fact: HippoRAG 2: closest facts seed their phrases, dense scores seed passage nodes;
- hybrid (default): ppr-fact where passage relevance mixes dense and BM25 scores; facts are
  re-ranked by the relevance of the passages they came from, keeping fewer, surer seeds; the
  passage titles the question names are seeds too (question_titles.py), and after the walk its
  best passages lift the articles whose titles they mention (title_hop.py);
- hybrid-2hop: hybrid, then one more walk from the facts of its best passages (second_hop.py).
Optional LLM steps (query_llm/): a fact filter before the walk, question decomposition for the
second hop.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Callable, Protocol, Sequence

import numpy as np

from .config import MODES, RetrievalConfig
from .embedding import Embedder
from .arguments import count, question_text
from .errors import HippoError
from .lexical import BM25Scorer, TermCounts
from .ppr import make_graph, personalized_pagerank
from .push_ppr import WalkGraph, power_ppr, push_ppr, transition_matrix
from .ranking import fact_phrase_weights, keep_top, min_max, top_k
from .question_titles import PointRows, bare_title, named_titles
from .second_hop import second_walk, title_phrases
from .title_hop import Named, TitleLinks, named_by, title_hop
from .results import FactHit, RetrievalResult, RetrievedPassage, SeedPhrase, Why
from .store import Version
from .text import normalize_phrase
from .vectorstore.base import VectorStore

DENSE_SEED_LIMIT = 1000  # passages scored densely per query; the rest count as the lowest
# ppr-entity links at most this many distinct question entities (one encoding each). Real
# questions name a handful; a 2,000-character list of names once took 6 s, mostly loading the
# batch encoder that calls of more than ONNX_MAX_TEXTS (32) texts use.
MAX_QUESTION_ENTITIES = 32


class QueryLLMPaths(Protocol):
    """The LLM's part at query time (query_llm.QueryLLM); None from either means no usable reply."""

    def keep_facts(self, question: str, facts: Sequence[tuple[str, str, str]]) -> list[int] | None: ...

    def sub_questions(self, question: str) -> list[str] | None: ...


@dataclass
class _Seeds:
    reset: np.ndarray
    facts: list[tuple[int, float]] = field(default_factory=list)
    phrase_weights: dict[int, float] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)  # what the LLM paths did, or why they fell back
    named: Named = field(default_factory=list)  # title hop: (source, the articles it named)


class Retriever:
    """Reads the version's memory-mapped arrays; stateless per query. Dead rows (deleted
    passages, phrases no live passage mentions) are never seeds and never results."""

    def __init__(
        self,
        version: Version,
        store: VectorStore,
        embedder: Embedder,
        config: RetrievalConfig,
        question_entities: Callable[[str], list[str]] | None = None,
        query_llm: QueryLLMPaths | None = None,
    ) -> None:
        self.version = version
        self.store = store
        self.embedder = embedder
        self.config = config
        self.question_entities = question_entities
        self.query_llm = query_llm
        tables, derived = version.tables, version.derived
        self.tables, self.derived = tables, derived
        self.n_passages = tables.n_passages
        self.n_nodes = self.n_passages + tables.n_phrases
        self.passage_live = np.asarray(tables.passage_live, dtype=bool)
        self.n_live_passages = int(self.passage_live.sum())
        self.phrase_live = tables.phrase_live()
        self.fact_live = tables.fact_live()
        self.specificity = tables.specificity()
        self.walk_graph = WalkGraph.from_arrays(derived.graph_indptr, derived.graph_indices, derived.graph_weight)
        self._exact_graph: Any = None
        self._transition_matrix: Any = None
        self._bm25: BM25Scorer | None = None
        self._title_links: TitleLinks | None = None
        self._point_rows: PointRows | None = None
        self._bare_titles: dict[str, list[int]] | None = None

    def fact_phrases(self, fact: int) -> tuple[int, int]:
        return int(self.tables.fact_subject[fact]), int(self.tables.fact_object[fact])

    def fact_passages(self, fact: int) -> np.ndarray:
        return np.asarray(self.derived.fact_passages[self.derived.fact_indptr[fact] : self.derived.fact_indptr[fact + 1]])

    def passage_phrases(self, passage: int) -> set[int]:
        d = self.derived
        neighbours = np.asarray(d.graph_indices[d.graph_indptr[passage] : d.graph_indptr[passage + 1]])
        return set((neighbours[neighbours >= self.n_passages] - self.n_passages).tolist())

    def walk(self, reset: np.ndarray) -> np.ndarray:
        """PPR from the reset vector: exact (PRPACK, or power iteration with ppr = "power") on
        small graphs, forward push on large ones."""
        method = self._walk_method()
        if method == "push":
            return push_ppr(self.walk_graph, reset, self.config.damping, self.config.push_epsilon)
        if method == "power":
            return power_ppr(self.walk_graph, reset, self.config.damping, matrix=self._power_matrix())
        return personalized_pagerank(self._igraph(), reset, self.config.damping)

    def _walk_method(self) -> str:
        method = self.config.ppr
        return "push" if method == "auto" and self.n_nodes >= self.config.ppr_exact_below else method

    def _power_matrix(self) -> Any:
        if self._transition_matrix is None:
            self._transition_matrix = transition_matrix(self.walk_graph)
        return self._transition_matrix

    def _igraph(self) -> Any:
        if self._exact_graph is None:
            d = self.derived
            rows = np.repeat(np.arange(self.n_nodes, dtype=np.int64), np.diff(np.asarray(d.graph_indptr)))
            cols = np.asarray(d.graph_indices, dtype=np.int64)
            upper = rows <= cols
            weights = np.asarray(d.graph_weight)[upper]
            weights = np.where(rows[upper] == cols[upper], weights / 2, weights)  # a self-loop is stored once
            self._exact_graph = make_graph(self.n_nodes, rows[upper], cols[upper], weights)
        return self._exact_graph

    def _links(self) -> TitleLinks:
        if self._title_links is None:
            t = self.tables
            self._title_links = TitleLinks.from_mentions(self.n_passages, t.n_phrases, t.mention_passage, t.mention_phrase, t.mention_title)
        return self._title_links

    def _bm25_scorer(self) -> BM25Scorer:
        if self._bm25 is None:
            segments = [TermCounts(*(s.array(f"terms.{n}.npy") for n in ("indptr", "terms", "counts", "lengths"))) for s in self.version.segments]
            self._bm25 = BM25Scorer(segments, self.passage_live)
        return self._bm25

    def _title_lookups(self) -> tuple[PointRows, dict[str, list[int]]]:
        """Phrase ids sorted for the question's spans, and bare name -> disambiguated title phrases."""
        if self._point_rows is None:
            self._point_rows = PointRows(self.tables.phrase_point)
        if self._bare_titles is None:
            # Reads every titled passage's title once per opened version (about 5 us each).
            t, bare = self.tables, {}
            titled = np.asarray(t.mention_title, dtype=bool)
            for passage, row in zip(np.asarray(t.mention_passage)[titled].tolist(), np.asarray(t.mention_phrase)[titled].tolist()):
                name = bare_title(self.version.line("passages", passage)["title"])
                if name and row not in bare.setdefault(name, []):  # a title's passages share its phrase
                    bare[name].append(row)
            self._bare_titles = bare
        return self._point_rows, self._bare_titles

    def warm(self) -> None:
        """Build now what the default mode's first query would build: the walk's own graph,
        BM25's tables, the title links and lookups. A server calls it before it swaps in a
        new version, so no request pays for it."""
        method = self._walk_method()
        if method == "power":
            self._power_matrix()
        elif method in ("auto", "exact"):
            self._igraph()
        self._bm25_scorer()
        self._links()
        self._title_lookups()
        title_phrases(self)

    def with_title_hop(self, scores: np.ndarray, seeds: "_Seeds") -> np.ndarray:
        """The walk's passage scores plus the title hop (title_hop.py); `seeds` records who named whom."""
        config = self.config
        if config.title_hop_weight <= 0 or config.title_hop_sources <= 0:
            return scores
        boosted, seeds.named = title_hop(self._links(), scores, self.passage_live, config.title_hop_sources, config.title_hop_weight)
        return boosted

    # -- scorers -----------------------------------------------------------------------------
    def dense_scores(self, query_vector: np.ndarray) -> np.ndarray:
        limit = min(self.n_live_passages, DENSE_SEED_LIMIT)
        rows, values = self.store.search_arrays("passages", query_vector, limit, live=self.passage_live)
        # unscored passages rank below every scored one
        scores = np.full(self.n_passages, float(values.min()) if len(values) else 0.0, dtype=np.float64)
        scores[rows] = values
        return scores

    def bm25_scores(self, question: str) -> np.ndarray:
        return self._bm25_scorer().scores(question)

    def relevance(self, question: str, dense: np.ndarray) -> np.ndarray:
        """How well each passage matches the question on its own: dense plus lexical evidence."""
        relevance = min_max(dense)
        if self.config.lexical_weight > 0:
            relevance = relevance + self.config.lexical_weight * min_max(self.bm25_scores(question))
        return relevance

    def fact_hits(self, query_vector: np.ndarray, relevance: np.ndarray | None, top: int) -> list[tuple[int, float]]:
        """The question's `top` closest facts. Given passage `relevance` (hybrid), a fact's score also
        counts how well its own passages match, so a fact from an on-topic passage beats a look-alike."""
        config = self.config
        if relevance is None:
            return self.store.search("facts", query_vector, top, live=self.fact_live)
        hits = self.store.search("facts", query_vector, max(config.fact_candidates, top), live=self.fact_live)
        rescored = [(fact, score + config.fact_passage_weight * float(relevance[self.fact_passages(fact)].max())) for fact, score in hits]
        rescored.sort(key=lambda hit: -hit[1])
        return rescored[:top]

    def recognized_facts(self, question: str, candidates: list[tuple[int, float]], fallback: int,
                         notes: list[str]) -> list[tuple[int, float]]:
        """HippoRAG 2's recognition memory: the facts the LLM keeps of `candidates`. When it keeps
        none or gives no usable reply, the best `fallback` candidates, as without the filter."""
        if self.query_llm is None:
            raise HippoError('[retrieval] fact_filter = "llm" needs an LLM, and none was given to this retriever')
        if not candidates:
            return candidates
        triples = [tuple(self.version.line("facts", fact)[:3]) for fact, _ in candidates]
        kept = self.query_llm.keep_facts(question, triples)  # type: ignore[arg-type]
        if not kept:
            why = "gave no usable reply" if kept is None else f"kept none of {len(candidates)} facts"
            notes.append(f"fact filter {why}; the walk used the unfiltered facts")
            return candidates[:fallback]
        notes.append(f"fact filter kept {len(kept)} of {len(candidates)} facts")
        return [candidates[row] for row in kept]

    # -- seeds -------------------------------------------------------------------------------
    def fact_seeds(self, question: str, query_vector: np.ndarray, dense: np.ndarray, relevance: np.ndarray | None) -> _Seeds:
        """Facts seed their phrases; passage relevance (dense alone for ppr-fact) seeds passages."""
        config, notes = self.config, []
        top = config.fact_top_k if relevance is None else config.hybrid_fact_top_k
        if config.fact_filter == "llm":
            facts = self.recognized_facts(question, self.fact_hits(query_vector, relevance, config.fact_filter_candidates), top, notes)
        else:
            facts = self.fact_hits(query_vector, relevance, top)
        phrase_weights = fact_phrase_weights(facts, _FactEnds(self), self.specificity)
        if relevance is not None and config.title_seed_weight > 0:  # hybrid: the titles the question names
            for row, share in self.question_titles(question):
                phrase_weights[row] += config.title_seed_weight * share * self.specificity[row]
        reset = np.zeros(self.n_nodes, dtype=np.float64)
        reset[self.n_passages :] = phrase_weights
        passage_seed = min_max(dense) if relevance is None else relevance
        reset[: self.n_passages] = self.passage_seeds(passage_seed)
        chosen = {int(i): float(phrase_weights[i]) for i in np.flatnonzero(phrase_weights > 0)}
        return _Seeds(reset, facts, chosen, notes)

    def question_titles(self, question: str) -> list[tuple[int, float]]:
        """(title phrase row, share) of the passage titles the question names (question_titles.py)."""
        rows_of, bare = self._title_lookups()
        return named_titles(question, rows_of, title_phrases(self), bare)

    def passage_seeds(self, relevance: np.ndarray) -> np.ndarray:
        """Passage-node seeds: the most relevant live passages' relevance x passage_node_weight."""
        return keep_top(relevance * self.config.passage_node_weight * self.passage_live, self.config.passage_seed_top_k)

    def entity_seeds(self, question: str) -> _Seeds:
        if self.question_entities is None:
            raise HippoError("mode 'ppr-entity' needs a question entity extractor (spaCy or an LLM)")
        found = [e for e in self.question_entities(question) if normalize_phrase(e)]
        entities = list(dict.fromkeys(found))[:MAX_QUESTION_ENTITIES]
        reset = np.zeros(self.n_nodes, dtype=np.float64)
        chosen: dict[int, float] = {}
        if entities:
            vectors = self.embedder.embed(entities)
            for vector in vectors:
                for phrase, score in self.store.search("phrases", vector, self.config.entity_top_k, live=self.phrase_live):
                    weight = max(score, 0.0) * self.specificity[phrase]
                    chosen[phrase] = max(chosen.get(phrase, 0.0), weight)
        for phrase, weight in chosen.items():
            reset[self.n_passages + phrase] = weight
        return _Seeds(reset, [], chosen)

    # -- the one entry point -----------------------------------------------------------------
    def retrieve(self, question: str, k: int = 5, mode: str | None = None) -> RetrievalResult:
        mode = self.config.mode if mode is None else mode
        if mode not in MODES:
            raise HippoError(f"unknown retrieval mode {mode!r} (use one of: {', '.join(MODES)})")
        question_text(question)
        count(k, "k")
        if mode == "bm25":
            return self._result(question, mode, self.bm25_scores(question), None, _Seeds(np.zeros(0)), k)
        query_vector = self.embedder.embed([question])[0]
        dense = self.dense_scores(query_vector)
        if mode == "dense":
            return self._result(question, mode, dense, dense, _Seeds(np.zeros(0)), k)
        if mode == "ppr-entity":
            seeds = self.entity_seeds(question)
        else:
            seeds = self.fact_seeds(question, query_vector, dense, self.relevance(question, dense) if mode.startswith("hybrid") else None)
        if seeds.reset[self.n_passages :].sum() <= 0:
            # Nothing in the question reached the graph: the dense ranking is the honest answer.
            return self._result(question, mode, dense, dense, seeds, k)
        if mode == "ppr-entity":
            seeds.reset[: self.n_passages] += self.passage_seeds(min_max(dense))
        walk = self.walk(seeds.reset)[: self.n_passages]
        if mode.startswith("hybrid"):
            walk = self.with_title_hop(walk, seeds)
        if mode == "hybrid-2hop":  # one more walk from the first one's best passages (second_hop.py)
            walk = second_walk(self, question, query_vector, seeds, walk)
        return self._result(question, mode, walk, dense, seeds, k)

    # -- explanation -------------------------------------------------------------------------
    def _result(self, question: str, mode: str, scores: np.ndarray, dense: np.ndarray | None, seeds: _Seeds, k: int) -> RetrievalResult:
        version = self.version
        fact_hits = [FactHit(*version.line("facts", f), score=round(s, 6)) for f, s in seeds.facts]
        seed_list = sorted(seeds.phrase_weights.items(), key=lambda item: -item[1])
        names = {p: version.line("phrases", p) for p, _ in seed_list}
        ranked = np.where(self.passage_live, scores, -np.inf)
        passages = []
        for index in top_k(ranked, min(k, self.n_live_passages)):
            index = int(index)
            held = self.passage_phrases(index)
            why = Why(
                seed_phrases=tuple(SeedPhrase(names[p], round(w, 6)) for p, w in seed_list if p in held),
                facts=tuple(
                    hit for (f, _), hit in zip(seeds.facts, fact_hits) if index in self.fact_passages(f) or set(self.fact_phrases(f)) & held
                ),
                dense_score=None if dense is None else round(float(dense[index]), 6),
                named_by=tuple(version.line("passages", s)["title"] for s in named_by(seeds.named, index)),
            )
            p = version.line("passages", index)
            span = p.get("span")
            passages.append(RetrievedPassage(p["id"], p["title"], p["text"], round(float(scores[index]), 8), why, source=p.get("source"),
                                             span=tuple(span) if span is not None else None, metadata=p.get("metadata")))
        return RetrievalResult(
            query=question,
            mode=mode,
            passages=tuple(passages),
            seed_phrases=tuple(SeedPhrase(names[p], round(w, 6)) for p, w in seed_list),
            facts=tuple(fact_hits),
            notes=tuple(seeds.notes),
        )


class _FactEnds:
    """Sequence view of (subject row, object row) per fact, for `ranking.fact_phrase_weights`."""

    def __init__(self, retriever: Retriever) -> None:
        self.retriever = retriever

    def __getitem__(self, fact: int) -> tuple[int, int]:
        return self.retriever.fact_phrases(fact)

    def __len__(self) -> int:
        return len(self.retriever.tables.fact_point)


