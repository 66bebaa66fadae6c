"""The second hop without an LLM (mode `hybrid-2hop`): a training-free analogue of IRCoT.

A two-hop question ("Where was the director of Blind Harbour born?") usually reaches the first
passage (Blind Harbour) on the first walk; the bridge entity's own article (the director's)
is then only one of many neighbours. So, after the first walk:
1. take the best `second_hop_passages` passages it ranked;
2. score every fact extracted from them by cosine to the question vector (already encoded:
   no new encoding; with `second_hop_residual`, the question minus its projection on the seed
   phrases' vectors, i.e. the relation still to travel), leaving out the facts that seeded the first walk and those naming no new
   phrase (with `second_hop_chain`, also those not touching a seed phrase: a hop goes on from
   where the first one started, e.g. (Blind Harbour, directed by, Orrin Vale));
3. the best `second_hop_facts` facts seed the phrases they name that are not seeds yet,
   each with weight `second_hop_weight` x cosine x the phrase's specificity;
4. walk again from the first reset plus these seeds; the first walk's best `second_hop_keep`
   passages stay on top, in their order, and the second walk ranks the rest.
One extra walk and a few dozen dot products per query.

With `decompose = "llm"` (HippoRAG 2's LLM path, query_llm/), step 2 scores the facts against
the question's later single-fact steps ("Where was #1 born?") instead of the residual vector:
one cached LLM call and one more encoding per question; no usable steps, the residual.
"""

from __future__ import annotations

import weakref
from typing import TYPE_CHECKING, Any

import numpy as np

from .errors import HippoError
from .query_llm.parsing import without_placeholders
from .ranking import top_k

if TYPE_CHECKING:
    from .retrieval import Retriever

# Per retriever (one opened version): passage row -> the fact rows extracted from it (CSR).
_PASSAGE_FACTS: "weakref.WeakKeyDictionary[Any, tuple[np.ndarray, np.ndarray]]" = weakref.WeakKeyDictionary()
_TITLES: "weakref.WeakKeyDictionary[Any, np.ndarray]" = weakref.WeakKeyDictionary()


def passage_facts(retriever: "Retriever") -> tuple[np.ndarray, np.ndarray]:
    """(indptr, facts): the inverse of the version's fact -> passages map, built once."""
    if retriever not in _PASSAGE_FACTS:
        derived = retriever.derived
        counts = np.diff(np.asarray(derived.fact_indptr))
        facts = np.repeat(np.arange(len(counts), dtype=np.int64), counts)
        passages = np.asarray(derived.fact_passages, dtype=np.int64)
        order = np.argsort(passages, kind="stable")
        indptr = np.zeros(retriever.n_passages + 1, dtype=np.int64)
        np.cumsum(np.bincount(passages, minlength=retriever.n_passages), out=indptr[1:])
        _PASSAGE_FACTS[retriever] = (indptr, facts[order])
    return _PASSAGE_FACTS[retriever]


def title_phrases(retriever: "Retriever") -> np.ndarray:
    """bool per phrase row: the phrase is some passage's own title (an article to jump to)."""
    if retriever not in _TITLES:
        tables = retriever.tables
        titled = np.zeros(tables.n_phrases, dtype=bool)
        titled[np.asarray(tables.mention_phrase)[np.asarray(tables.mention_title, dtype=bool)]] = True
        _TITLES[retriever] = titled
    return _TITLES[retriever]


def stored_vectors(retriever: "Retriever", kind: str, rows: Any) -> np.ndarray:
    """The stored (unit) vectors of the given global rows of `kind` (facts, phrases)."""
    version = retriever.version
    found = []
    for row in rows:
        segment, local = version.locate(kind, int(row))
        found.append(np.asarray(segment.vectors(kind)[local], dtype=np.float32))
    return np.vstack(found) if found else np.zeros((0, 0), dtype=np.float32)


def remaining_question(retriever: "Retriever", query_vector: np.ndarray, seeded: set[int]) -> np.ndarray:
    """The question vector minus its projection on the seed phrases' vectors: what the entities
    the first walk started from do not explain ("where was the director ... born")."""
    q = np.asarray(query_vector, dtype=np.float64)
    if not seeded:
        return q
    basis, _ = np.linalg.qr(stored_vectors(retriever, "phrases", sorted(seeded)).astype(np.float64).T)
    rest = q - basis @ (basis.T @ q)
    norm = float(np.linalg.norm(rest))
    return rest / norm if norm > 1e-9 else q


def later_steps(retriever: "Retriever", question: str, notes: list[str]) -> np.ndarray | None:
    """Vectors of the question's single-fact steps after the first (the LLM's decomposition),
    placeholders dropped; None when the LLM gave no usable steps or only one."""
    if retriever.query_llm is None:
        raise HippoError('[retrieval] decompose = "llm" needs an LLM, and none was given to this retriever')
    steps = retriever.query_llm.sub_questions(question)
    later = [text for text in (without_placeholders(step) for step in (steps or [])[1:]) if text]
    if not later:
        notes.append("decomposition " + ("gave no usable reply" if steps is None else f"gave {len(steps)} step(s)")
                     + "; the second hop used the residual question")
        return None
    notes.append(f"decomposition: {len(steps or [])} steps; the second hop followed: " + " | ".join(later))
    return np.asarray(retriever.embedder.embed(later), dtype=np.float32)


def hop_directions(retriever: "Retriever", question: str, query_vector: np.ndarray, seeded: set[int],
                   notes: list[str]) -> np.ndarray:
    """Rows to score bridge facts against (a fact's score is its best cosine to any row)."""
    config = retriever.config
    if config.decompose == "llm":
        steps = later_steps(retriever, question, notes)
        if steps is not None:
            return steps
    direction = remaining_question(retriever, query_vector, seeded) if config.second_hop_residual else query_vector
    return np.asarray(direction, dtype=np.float32)[None, :]


def bridge_facts(retriever: "Retriever", question: str, query_vector: np.ndarray, first_walk: np.ndarray, used: set[int],
                 seeded: set[int], notes: list[str]) -> list[tuple[int, float]]:
    """The facts of the first walk's best passages closest to the question, best first. With
    `second_hop_chain`, only facts that go on from a seeded phrase to a phrase not seeded yet
    (the hop continues from where the first walk started)."""
    config = retriever.config
    ranked = np.where(retriever.passage_live, first_walk, -np.inf)
    top = top_k(ranked, config.second_hop_passages)
    indptr, facts = passage_facts(retriever)
    candidates = np.unique(np.concatenate([facts[indptr[p] : indptr[p + 1]] for p in top] or [np.zeros(0, dtype=np.int64)]))
    def continues(fact: int) -> bool:
        ends = set(retriever.fact_phrases(fact))
        return bool(ends - seeded) and (not config.second_hop_chain or bool(ends & seeded))

    candidates = np.array([f for f in candidates if retriever.fact_live[f] and int(f) not in used and continues(int(f))], dtype=np.int64)
    if candidates.size == 0:
        return []
    directions = hop_directions(retriever, question, query_vector, seeded, notes)
    scores = (stored_vectors(retriever, "facts", candidates) @ directions.T).max(axis=1)
    best = top_k(scores.astype(np.float64), config.second_hop_facts)
    return [(int(candidates[i]), float(scores[i])) for i in best]


def second_walk(retriever: "Retriever", question: str, query_vector: np.ndarray, seeds: Any, first_walk: np.ndarray) -> np.ndarray:
    """Passage scores of the second walk; `seeds` (the first walk's) gains the new facts and phrases."""
    config = retriever.config
    hits = bridge_facts(retriever, question, query_vector, first_walk, {f for f, _ in seeds.facts}, set(seeds.phrase_weights), seeds.notes)
    reset = np.array(seeds.reset, dtype=np.float64)
    first_seeds = set(seeds.phrase_weights)
    added = False
    for fact, score in hits:
        for phrase in set(retriever.fact_phrases(fact)):
            if phrase in first_seeds or not retriever.phrase_live[phrase]:
                continue
            if config.second_hop_titles and not title_phrases(retriever)[phrase]:
                continue
            weight = config.second_hop_weight * max(score, 0.0) * float(retriever.specificity[phrase])
            if weight <= 0:
                continue
            reset[retriever.n_passages + phrase] += weight
            seeds.phrase_weights[phrase] = seeds.phrase_weights.get(phrase, 0.0) + weight
            added = True
    seeds.facts.extend(hits)
    if not added:
        return first_walk
    second = retriever.with_title_hop(retriever.walk(reset)[: retriever.n_passages], seeds)
    keep = top_k(np.where(retriever.passage_live, first_walk, -np.inf), config.second_hop_keep)
    if keep.size:
        # The first walk's best passages stay first, in their order: the hop adds, never displaces.
        second = np.array(second, dtype=np.float64)
        second[keep] = float(second.max()) + 1.0 + np.arange(keep.size, 0, -1, dtype=np.float64)
    return second
