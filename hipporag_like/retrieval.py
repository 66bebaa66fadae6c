"""The query engine: link a question to graph nodes, walk, rank passages.

Modes (see README):
- dense: passage embeddings only;
- bm25: lexical BM25 over passages (bm25s);
- ppr-entity: HippoRAG 1: question entities -> closest phrase nodes, specificity-weighted seeds;
- ppr-fact: HippoRAG 2: closest facts seed their phrases, dense scores seed passage nodes;
- hybrid (default): ppr-fact where passage relevance mixes dense and BM25 scores; facts are
  re-ranked by the relevance of the passages they came from, keeping fewer, surer seeds.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Callable

import numpy as np

from .config import MODES, RetrievalConfig
from .embedding import Embedder
from .errors import HippoError
from .ppr import make_graph, personalized_pagerank
from .ranking import fact_phrase_weights, min_max, top_k
from .results import FactHit, RetrievalResult, RetrievedPassage, SeedPhrase, Why
from .store import IndexData
from .text import normalize_phrase, stable_id
from .vectorstore.base import VectorStore

DENSE_SEED_LIMIT = 1000  # passages scored densely per query; the rest count as 0


def passage_point_id(passage_id: str) -> int:
    return int(passage_id, 16) >> 1


def phrase_point_id(phrase: str) -> int:
    return stable_id("phrase", phrase)


def fact_point_id(triple: tuple[str, str, str]) -> int:
    return stable_id("fact", *triple)


@dataclass
class _Seeds:
    reset: np.ndarray
    facts: list[tuple[int, float]] = field(default_factory=list)
    phrase_weights: dict[int, float] = field(default_factory=dict)


class Retriever:
    """Holds the in-memory graph and lookups; stateless per query."""

    def __init__(
        self,
        data: IndexData,
        store: VectorStore,
        embedder: Embedder,
        config: RetrievalConfig,
        question_entities: Callable[[str], list[str]] | None = None,
    ) -> None:
        self.data = data
        self.store = store
        self.embedder = embedder
        self.config = config
        self.question_entities = question_entities
        self.n_passages = len(data.passages)
        self.n_nodes = self.n_passages + len(data.phrases.keys)
        self.graph = make_graph(self.n_nodes, data.edges.src, data.edges.dst, data.edges.weight)
        self.specificity = data.phrases.specificity()
        phrase_index = {k: i for i, k in enumerate(data.phrases.keys)}
        self.fact_phrases = [(phrase_index[s], phrase_index[o]) for s, _, o in data.facts.triples]
        self.passage_by_point = {passage_point_id(p.id): i for i, p in enumerate(data.passages)}
        self.phrase_by_point = {phrase_point_id(k): i for i, k in enumerate(data.phrases.keys)}
        self.fact_by_point = {fact_point_id(t): i for i, t in enumerate(data.facts.triples)}
        self.passage_phrases: list[set[int]] = [set() for _ in data.passages]
        for phrase, passages in enumerate(data.phrases.passages):
            for passage in passages:
                self.passage_phrases[passage].add(phrase)
        self._bm25: Any = None

    # -- scorers -----------------------------------------------------------------------------
    def dense_scores(self, query_vector: np.ndarray) -> np.ndarray:
        scores = np.zeros(self.n_passages, dtype=np.float64)
        limit = min(self.n_passages, DENSE_SEED_LIMIT)
        hits = self.store.search("passages", query_vector, limit)
        floor = min((s for _, s in hits), default=0.0)
        scores[:] = floor  # unscored passages rank below every scored one
        for point, score in hits:
            index = self.passage_by_point.get(point)
            if index is not None:
                scores[index] = score
        return scores

    def bm25_scores(self, question: str) -> np.ndarray:
        import bm25s

        if self._bm25 is None:
            corpus = [p.content for p in self.data.passages]
            retriever = bm25s.BM25()
            retriever.index(bm25s.tokenize(corpus, stopwords="en", show_progress=False), show_progress=False)
            self._bm25 = retriever
        terms = _query_terms(bm25s.tokenize([question], stopwords="en", show_progress=False))
        if not terms:
            return np.zeros(self.n_passages, dtype=np.float64)
        return np.asarray(self._bm25.get_scores(terms), dtype=np.float64)

    def relevance(self, question: str, dense: np.ndarray) -> np.ndarray:
        """How well each passage matches the question on its own: dense plus lexical evidence."""
        relevance = min_max(dense)
        if self.config.lexical_weight > 0:
            relevance = relevance + self.config.lexical_weight * min_max(self.bm25_scores(question))
        return relevance

    def fact_hits(self, query_vector: np.ndarray, relevance: np.ndarray | None) -> list[tuple[int, float]]:
        """The question's closest facts. Given passage `relevance` (hybrid), a fact's score also
        counts how well its own passages match, so a fact from an on-topic passage beats a look-alike."""
        config = self.config
        if relevance is None:
            hits = self.store.search("facts", query_vector, config.fact_top_k)
            return [(self.fact_by_point[p], s) for p, s in hits if p in self.fact_by_point]
        hits = self.store.search("facts", query_vector, max(config.fact_candidates, config.hybrid_fact_top_k))
        rescored = [
            (fact, score + config.fact_passage_weight * max(relevance[p] for p in self.data.facts.passages[fact]))
            for fact, score in ((self.fact_by_point[p], s) for p, s in hits if p in self.fact_by_point)
        ]
        rescored.sort(key=lambda hit: -hit[1])
        return rescored[: config.hybrid_fact_top_k]

    # -- seeds -------------------------------------------------------------------------------
    def fact_seeds(self, query_vector: np.ndarray, dense: np.ndarray, relevance: np.ndarray | None) -> _Seeds:
        """Facts seed their phrases; passage relevance (dense alone for ppr-fact) seeds passages."""
        facts = self.fact_hits(query_vector, relevance)
        phrase_weights = fact_phrase_weights(facts, self.fact_phrases, self.specificity)
        reset = np.zeros(self.n_nodes, dtype=np.float64)
        reset[self.n_passages :] = phrase_weights
        passage_seed = min_max(dense) if relevance is None else relevance
        reset[: self.n_passages] = passage_seed * self.config.passage_node_weight
        chosen = {int(i): float(w) for i, w in enumerate(phrase_weights) if w > 0}
        return _Seeds(reset, facts, chosen)

    def entity_seeds(self, question: str) -> _Seeds:
        if self.question_entities is None:
            raise HippoError("mode 'ppr-entity' needs a question entity extractor (spaCy or an LLM)")
        entities = [e for e in self.question_entities(question) if normalize_phrase(e)]
        reset = np.zeros(self.n_nodes, dtype=np.float64)
        chosen: dict[int, float] = {}
        if entities:
            vectors = self.embedder.embed(entities)
            for vector in vectors:
                for point, score in self.store.search("phrases", vector, self.config.entity_top_k):
                    phrase = self.phrase_by_point.get(point)
                    if phrase is None:
                        continue
                    weight = max(score, 0.0) * self.specificity[phrase]
                    chosen[phrase] = max(chosen.get(phrase, 0.0), weight)
        for phrase, weight in chosen.items():
            reset[self.n_passages + phrase] = weight
        return _Seeds(reset, [], chosen)

    # -- the one entry point -----------------------------------------------------------------
    def retrieve(self, question: str, k: int = 5, mode: str | None = None) -> RetrievalResult:
        mode = mode or self.config.mode
        if mode not in MODES:
            raise HippoError(f"unknown retrieval mode '{mode}' (use one of: {', '.join(MODES)})")
        if not question.strip():
            raise HippoError("the question is empty")
        if k < 1:
            raise HippoError(f"k must be at least 1, got {k}")
        if mode == "bm25":
            return self._result(question, mode, self.bm25_scores(question), None, _Seeds(np.zeros(0)), k)
        query_vector = self.embedder.embed([question])[0]
        dense = self.dense_scores(query_vector)
        if mode == "dense":
            return self._result(question, mode, dense, dense, _Seeds(np.zeros(0)), k)
        if mode == "ppr-entity":
            seeds = self.entity_seeds(question)
        else:
            seeds = self.fact_seeds(query_vector, dense, self.relevance(question, dense) if mode == "hybrid" else None)
        if seeds.reset[self.n_passages :].sum() <= 0:
            # Nothing in the question reached the graph: the dense ranking is the honest answer.
            return self._result(question, mode, dense, dense, seeds, k)
        if mode == "ppr-entity":
            seeds.reset[: self.n_passages] += min_max(dense) * self.config.passage_node_weight
        walk = personalized_pagerank(self.graph, seeds.reset, self.config.damping)[: self.n_passages]
        return self._result(question, mode, walk, dense, seeds, k)

    # -- explanation -------------------------------------------------------------------------
    def _result(self, question: str, mode: str, scores: np.ndarray, dense: np.ndarray | None, seeds: _Seeds, k: int) -> RetrievalResult:
        keys = self.data.phrases.keys
        fact_hits = [FactHit(*self.data.facts.triples[f], score=round(s, 6)) for f, s in seeds.facts]
        seed_list = sorted(seeds.phrase_weights.items(), key=lambda item: -item[1])
        passages = []
        for index in top_k(scores, k):
            index = int(index)
            held = self.passage_phrases[index]
            why = Why(
                seed_phrases=tuple(SeedPhrase(keys[p], round(w, 6)) for p, w in seed_list if p in held),
                facts=tuple(
                    hit for (f, _), hit in zip(seeds.facts, fact_hits) if index in self.data.facts.passages[f] or set(self.fact_phrases[f]) & held
                ),
                dense_score=None if dense is None else round(float(dense[index]), 6),
            )
            p = self.data.passages[index]
            passages.append(RetrievedPassage(p.id, p.title, p.text, round(float(scores[index]), 8), why))
        return RetrievalResult(
            query=question,
            mode=mode,
            passages=tuple(passages),
            seed_phrases=tuple(SeedPhrase(keys[p], round(w, 6)) for p, w in seed_list),
            facts=tuple(fact_hits),
        )


def _query_terms(tokens: Any) -> list[str]:
    inverse = {i: w for w, i in tokens.vocab.items()}
    return [inverse[i] for i in tokens.ids[0] if inverse.get(i)]
