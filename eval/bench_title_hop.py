"""Issue 9: the title hop against the walk alone, its settings, and the alternatives tried.

    .venv/bin/python eval/bench_title_hop.py            # every variant on the three benchmark indexes
    .venv/bin/python eval/bench_title_hop.py hop-0.1 backlinks
    .venv/bin/python eval/bench_title_hop.py --by-type      # hotpotqa_100: bridge against comparison questions

Opens the indexes `make bench` builds (indexes/musique_100-spacy, hotpotqa_100-spacy,
musique_100-gpt35-openie) and prints one markdown row per variant: Recall@1/2/5/10/20 on each.
A variant is [retrieval] overrides, or an alternative scoring step patched onto the opened
retriever for the run (the alternatives that lost; see eval/TUNING.md).
"""

from __future__ import annotations

import os
import re
import sys
from contextlib import contextmanager
from dataclasses import replace
from pathlib import Path
from typing import Any, Callable, Iterator

import numpy as np

from hipporag_like.evaluation.datasets import load_dataset
from hipporag_like.evaluation.metrics import mean_recall
from hipporag_like.index import Index
from hipporag_like.push_ppr import WalkGraph
from hipporag_like.ranking import top_k
from hipporag_like.retrieval import Retriever
from hipporag_like.second_hop import remaining_question, stored_vectors
from hipporag_like.title_hop import TitleLinks, title_hop

ROOT = Path(__file__).resolve().parent.parent
DATA = Path(os.environ.get("HIPPORAG_DATASETS", ROOT.parent / "shared" / "datasets"))
RUNS = [("musique_100-spacy", "musique_100"), ("hotpotqa_100-spacy", "hotpotqa_100"), ("musique_100-gpt35-openie", "musique_100")]
KS = (1, 2, 5, 10, 20)
Patch = Callable[[Retriever], Callable[[], None]]  # applies an alternative, returns its undo


def _hop_again(r: Retriever) -> Callable[[], None]:
    """The title hop applied twice (articles named by the articles the first hop lifted)."""
    once = r.with_title_hop

    def twice(scores: np.ndarray, seeds) -> np.ndarray:  # type: ignore[no-untyped-def]
        return title_hop(r._links(), once(scores, seeds), r.passage_live, r.config.title_hop_sources, r.config.title_hop_weight)[0]

    r.with_title_hop = twice  # type: ignore[method-assign]
    return lambda: r.__dict__.pop("with_title_hop")


def _extra_links(r: Retriever, passages: Any, phrases: Any, as_titles: bool = False) -> Callable[[], None]:
    """The title hop over the version's mentions plus these (passage, phrase) pairs, which are
    titles of those passages (`as_titles`) or mentions in them."""
    t = r.tables
    r._title_links = TitleLinks.from_mentions(r.n_passages, t.n_phrases, np.concatenate([t.mention_passage, passages]),
                                              np.concatenate([t.mention_phrase, phrases]),
                                              np.concatenate([t.mention_title, np.full(len(passages), as_titles)]))
    return lambda: setattr(r, "_title_links", None)


def _synonym_links(r: Retriever) -> Callable[[], None]:
    """A passage also names the articles titled by synonyms (cosine >= 0.9) of its phrases."""
    t = r.tables
    keep = np.asarray(t.syn_score) >= 0.9
    a, b = np.asarray(t.syn_a)[keep], np.asarray(t.syn_b)[keep]
    named = ~np.asarray(t.mention_title, dtype=bool)
    by_phrase: dict[int, list[int]] = {}
    for passage, phrase in zip(np.asarray(t.mention_passage)[named].tolist(), np.asarray(t.mention_phrase)[named].tolist()):
        by_phrase.setdefault(phrase, []).append(passage)
    pairs = [(p, int(v)) for u, v in [*zip(a, b), *zip(b, a)] for p in by_phrase.get(int(u), [])]
    return _extra_links(r, np.array([p for p, _ in pairs], dtype=np.int64), np.array([x for _, x in pairs], dtype=np.int64))


def _title_aliases(r: Retriever) -> Callable[[], None]:
    """A title's form without "(qualifier)" or ", Qualifier" ("West Chicago, Illinois" -> "West
    Chicago") also titles the passage, when some passage mentions that form."""
    import re

    from hipporag_like.changes import phrase_point_id
    from hipporag_like.question_titles import PointRows, bare_title
    from hipporag_like.text import normalize_phrase

    rows_of = PointRows(r.tables.phrase_point)  # sorted once, not per title
    passages, keys = [], []
    for passage in range(r.n_passages):
        title = r.version.line("passages", passage)["title"]
        comma = re.match(r"^([^,()]+),\s*[^,()]+$", title)
        for name in (bare_title(title), normalize_phrase(comma.group(1)) if comma else None):
            if name:
                passages.append(passage), keys.append(phrase_point_id(name))
    rows = rows_of(np.array(keys, dtype=np.int64)) if keys else np.zeros(0, dtype=np.int64)
    found = rows >= 0
    passages, phrases = np.array(passages, dtype=np.int64)[found], rows[found]
    return _extra_links(r, passages, phrases.astype(np.int64), as_titles=True)


def _capped(r: Retriever) -> Callable[[], None]:
    """Each source lifts the articles it names by title_hop_weight x its score, but never above
    its own score (the article stays below the passage that named it)."""
    links = r._links()

    def capped(scores: np.ndarray, seeds) -> np.ndarray:  # type: ignore[no-untyped-def]
        out = np.array(scores, dtype=np.float64)
        for source in np.argsort(-np.where(r.passage_live, scores, -np.inf))[: r.config.title_hop_sources]:
            passages, share = links.articles_named_by(int(source))
            for passage, part in zip(passages.tolist(), share.tolist()):
                lifted = min(out[passage] + r.config.title_hop_weight * scores[source] * part, 0.999 * scores[source])
                out[passage] = max(out[passage], lifted)
        return out

    r.with_title_hop = capped  # type: ignore[method-assign]
    return lambda: r.__dict__.pop("with_title_hop")


def _text_links(r: Retriever) -> Callable[[], None]:
    """Links read from the text instead of the phrases: a source names every passage whose
    normalised title occurs in its normalised text as a run of up to 8 words."""
    from hipporag_like.text import normalize_phrase

    titled: dict[str, list[int]] = {}
    for passage in range(r.n_passages):
        titled.setdefault(normalize_phrase(r.version.line("passages", passage)["title"]), []).append(passage)

    def linked(scores: np.ndarray, seeds) -> np.ndarray:  # type: ignore[no-untyped-def]
        out = np.array(scores, dtype=np.float64)
        for source in np.argsort(-np.where(r.passage_live, scores, -np.inf))[: r.config.title_hop_sources]:
            line = r.version.line("passages", int(source))
            words, own = normalize_phrase(line["text"]).split(), normalize_phrase(line["title"])
            found: dict[int, float] = {}
            for i in range(len(words)):
                for n in range(1, min(8, len(words) - i) + 1):
                    key = " ".join(words[i : i + n])
                    if key != own:
                        for passage in titled.get(key, []):
                            found[passage] = 1.0 / len(titled[key])
            for passage, part in found.items():
                out[passage] += r.config.title_hop_weight * scores[source] * part
        return out

    r.with_title_hop = linked  # type: ignore[method-assign]
    return lambda: r.__dict__.pop("with_title_hop")


def _diverse_facts(share: str) -> Patch:
    """Seed facts chosen greedily down the re-ranked list, skipping one that shares a phrase
    (or a passage) with a fact already chosen; the rest filled in rank order. Aimed at
    comparison questions, where the three seed facts often cover one of the two entities."""

    def patch(r: Retriever) -> Callable[[], None]:
        ranked_hits = r.fact_hits

        def diverse(vector, relevance, top):  # type: ignore[no-untyped-def]
            if relevance is None:
                return ranked_hits(vector, relevance, top)
            ranked = ranked_hits(vector, relevance, max(r.config.fact_candidates, top))
            chosen, seen = [], set()
            for fact, score in ranked:
                keys = set(r.fact_phrases(fact)) if share == "phrase" else set(r.fact_passages(fact).tolist())
                if len(chosen) < top and not keys & seen:
                    chosen.append((fact, score))
                    seen |= keys
            chosen += [hit for hit in ranked if hit not in chosen][: top - len(chosen)]
            return sorted(chosen, key=lambda hit: -hit[1])

        r.fact_hits = diverse  # type: ignore[method-assign]
        return lambda: r.__dict__.pop("fact_hits")

    return patch


def _backlinks(r: Retriever) -> Callable[[], None]:
    """Also 0.1 x a source's score, split evenly, to the passages that mention its title."""
    t = r.tables
    titles = TitleLinks.from_mentions(r.n_passages, t.n_phrases, t.mention_passage, t.mention_phrase, ~np.asarray(t.mention_title, dtype=bool))
    hop = r.with_title_hop

    def with_backlinks(scores: np.ndarray, seeds) -> np.ndarray:  # type: ignore[no-untyped-def]
        out = hop(scores, seeds)
        for source in np.argsort(-np.where(r.passage_live, scores, -np.inf))[: r.config.title_hop_sources]:
            for phrase in titles.mention_phrase[titles.mention_indptr[source] : titles.mention_indptr[source + 1]]:
                mentioning = titles.title_passage[titles.title_indptr[phrase] : titles.title_indptr[phrase + 1]]
                mentioning = mentioning[mentioning != source]
                if mentioning.size:
                    out[mentioning] += 0.1 * scores[source] / mentioning.size
        return out

    r.with_title_hop = with_backlinks  # type: ignore[method-assign]
    return lambda: r.__dict__.pop("with_title_hop")


def _relevance_weighted(r: Retriever) -> Callable[[], None]:
    """What the hop adds, times exp(3 x (the article's min-max relevance - 0.5))."""
    relevance, hop = r.relevance, r.with_title_hop
    seen: list[np.ndarray] = []
    r.relevance = lambda question, dense: seen.append(relevance(question, dense)) or seen[-1]  # type: ignore[method-assign]

    def weighted(scores: np.ndarray, seeds) -> np.ndarray:  # type: ignore[no-untyped-def]
        rel = seen[-1]
        rel = (rel - rel.min()) / max(float(rel.max() - rel.min()), 1e-12)
        return scores + (hop(scores, seeds) - scores) * np.exp(3 * (rel - 0.5))

    r.with_title_hop = weighted  # type: ignore[method-assign]
    return lambda: (r.__dict__.pop("with_title_hop"), r.__dict__.pop("relevance"))


def _backlinks_by_relevance(weight: float) -> Patch:
    """Backlinks split by relevance: weight x a source's score to the live passages that mention
    its title, shared in proportion to each one's min-max relevance^4 (a backward hop that
    prefers the candidates matching the question: "Return of the Vampire" names Mercyful Fate)."""

    def patch(r: Retriever) -> Callable[[], None]:
        t = r.tables
        titles = TitleLinks.from_mentions(r.n_passages, t.n_phrases, t.mention_passage, t.mention_phrase, ~np.asarray(t.mention_title, dtype=bool))
        relevance, hop = r.relevance, r.with_title_hop
        seen: list[np.ndarray] = []
        r.relevance = lambda question, dense: seen.append(relevance(question, dense)) or seen[-1]  # type: ignore[method-assign]

        def with_backlinks(scores: np.ndarray, seeds) -> np.ndarray:  # type: ignore[no-untyped-def]
            out, rel = hop(scores, seeds), seen[-1]
            rel = ((rel - rel.min()) / max(float(rel.max() - rel.min()), 1e-12)) ** 4
            for source in np.argsort(-np.where(r.passage_live, scores, -np.inf))[: r.config.title_hop_sources]:
                for phrase in titles.mention_phrase[titles.mention_indptr[source] : titles.mention_indptr[source + 1]]:
                    cands = titles.title_passage[titles.title_indptr[phrase] : titles.title_indptr[phrase + 1]]
                    cands = cands[(cands != source) & r.passage_live[cands]]
                    if cands.size and rel[cands].sum() > 0:
                        out[cands] += weight * scores[source] * rel[cands] / rel[cands].sum()
            return out

        r.with_title_hop = with_backlinks  # type: ignore[method-assign]
        return lambda: (r.__dict__.pop("with_title_hop"), r.__dict__.pop("relevance"))

    return patch


def _verbatim_title_links(min_words: int) -> Patch:
    """The hop over the extracted mentions plus a link wherever a passage's raw text holds another
    passage's title verbatim (case-sensitive, on word boundaries; a parenthesised title by its
    bare name), for titles of at least `min_words` words. Aimed at the entities the extractor
    missed ("singer-songwriter M. Ward": spaCy found no entity there)."""

    def patch(r: Retriever) -> Callable[[], None]:
        t = r.tables
        passage, phrase = np.asarray(t.mention_passage), np.asarray(t.mention_phrase)
        is_title = np.asarray(t.mention_title, dtype=bool)
        title_row = dict(zip(passage[is_title].tolist(), phrase[is_title].tolist()))
        by_first_word: dict[str, dict[str, set[int]]] = {}
        for p in range(r.n_passages):
            bare = re.sub(r"\s*\([^)]*\)\s*$", "", r.version.line("passages", p)["title"]).strip()
            if p in title_row and len(bare.split()) >= min_words:
                by_first_word.setdefault(bare.split()[0], {}).setdefault(bare, set()).add(title_row[p])
        known = set(zip(passage.tolist(), phrase.tolist()))
        extra: list[tuple[int, int]] = []
        for p in range(r.n_passages):
            text = r.version.line("passages", p)["text"]
            for word in set(text.split()):
                for bare, rows in by_first_word.get(word, {}).items():
                    if re.search(r"(?<!\w)" + re.escape(bare) + r"(?!\w)", text):
                        for row in rows - {title_row.get(p)}:
                            if (p, row) not in known:
                                known.add((p, row))
                                extra.append((p, row))
        pairs = np.array(extra, dtype=np.int64).reshape(-1, 2)
        return _extra_links(r, pairs[:, 0], pairs[:, 1])

    return patch


def _idf_edges(r: Retriever) -> Callable[[], None]:
    """No title hop; passage-phrase edges weighted by the phrase's specificity^0.5 (power walk)."""
    d = r.derived
    indptr, cols = np.asarray(d.graph_indptr), np.asarray(d.graph_indices, dtype=np.int64)
    rows = np.repeat(np.arange(r.n_nodes), np.diff(indptr))
    weight = np.asarray(d.graph_weight, dtype=np.float64).copy()
    spec = np.ones(r.n_nodes)
    spec[r.n_passages :] = r.specificity
    mixed = (rows < r.n_passages) != (cols < r.n_passages)
    weight[mixed] *= spec[np.maximum(rows, cols)[mixed]] ** 0.5
    old = r.walk_graph
    r.walk_graph, r._transition_matrix = WalkGraph.from_arrays(indptr, cols, weight), None
    return lambda: (setattr(r, "walk_graph", old), setattr(r, "_transition_matrix", None))


def _residual_fusion(r: Retriever) -> Callable[[], None]:
    """No title hop; the walk's best 50 re-ranked by min-max walk + 0.1 x min-max cosine of each
    passage to the question minus its seed phrases."""
    fact_seeds, walk = r.fact_seeds, r.walk
    state: dict = {}

    def remember(question, vector, dense, relevance):  # type: ignore[no-untyped-def]
        seeds = fact_seeds(question, vector, dense, relevance)
        state["rest"] = remaining_question(r, vector, set(seeds.phrase_weights))
        return seeds

    def fused(reset: np.ndarray) -> np.ndarray:
        scores = np.array(walk(reset), dtype=np.float64)
        passages = scores[: r.n_passages]
        top = np.argsort(-passages)[:50]
        cos = stored_vectors(r, "passages", top) @ state["rest"].astype(np.float32)
        span = lambda x: (x - x.min()) / max(float(x.max() - x.min()), 1e-12)  # noqa: E731
        passages[top] = 10 + span(passages[top]) + 0.1 * span(cos)
        return scores

    r.fact_seeds, r.walk = remember, fused  # type: ignore[method-assign]
    return lambda: (r.__dict__.pop("fact_seeds"), r.__dict__.pop("walk"))


# name -> (mode, [retrieval] overrides, alternative patch or None). The hop was settled before
# the question's title seeds existed: these rows run with the seeds off, as they were measured.
HOP_VARIANTS: dict[str, tuple[str, dict, Patch | None]] = {
    "walk alone (title hop off)": ("hybrid", {"title_hop_weight": 0.0}, None),
    "hop-0.1": ("hybrid", {"title_hop_weight": 0.1}, None),
    "hop-0.2 (default)": ("hybrid", {}, None),
    "hop-0.3": ("hybrid", {"title_hop_weight": 0.3}, None),
    "hop-0.2, 3 sources": ("hybrid", {"title_hop_sources": 3}, None),
    "hop-0.2, 10 sources": ("hybrid", {"title_hop_sources": 10}, None),
    "hybrid-2hop with the hop": ("hybrid-2hop", {}, None),
    "hop applied twice": ("hybrid", {}, _hop_again),
    "hop weighted by the article's relevance": ("hybrid", {}, _relevance_weighted),
    "hop also through synonyms >= 0.9": ("hybrid", {}, _synonym_links),
    "backlinks": ("hybrid", {}, _backlinks),
    "title aliases": ("hybrid", {}, _title_aliases),
    "capped below the source, weight 0.2 / 0.5": ("hybrid", {"title_hop_weight": (0.2, 0.5)}, _capped),
    "links read from the text": ("hybrid", {}, _text_links),
    "seed facts sharing no phrase": ("hybrid", {}, _diverse_facts("phrase")),
    "seed facts sharing no passage": ("hybrid", {}, _diverse_facts("passage")),
    "no hop; IDF-weighted passage edges": ("hybrid", {"title_hop_weight": 0.0, "ppr": "power"}, _idf_edges),
    "no hop; + 0.1 x residual-question cosine": ("hybrid", {"title_hop_weight": 0.0}, _residual_fusion),
    "hop, damping 0.4 / 0.6": ("hybrid", {"damping": (0.4, 0.6)}, None),
    "hop, passage weight 0.025 / 0.1": ("hybrid", {"passage_node_weight": (0.025, 0.1)}, None),
    "hop, 5 seed facts": ("hybrid", {"hybrid_fact_top_k": 5}, None),
}
def _same_title_demoted(factor: float) -> Patch:
    """After the hop, the n-th passage of one title (n = 0 for its best) scores x factor^n: a
    multi-hop chain crosses articles, so a second paragraph of an article already ranked
    should not take a slot from the next hop's article (MuSiQue's corpus holds several
    paragraphs of popular articles: "Namibia" four times)."""

    def patch(r: Retriever) -> Callable[[], None]:
        t = r.tables
        titled = np.asarray(t.mention_title, dtype=bool)
        title_of = np.full(r.n_passages, -1, dtype=np.int64)
        title_of[np.asarray(t.mention_passage)[titled]] = np.asarray(t.mention_phrase)[titled]
        hop = r.with_title_hop

        def demoted(scores: np.ndarray, seeds) -> np.ndarray:  # type: ignore[no-untyped-def]
            boosted = np.array(hop(scores, seeds), dtype=np.float64)
            seen: dict[int, int] = {}
            for passage in np.argsort(-boosted, kind="stable")[:100].tolist():
                title = int(title_of[passage])
                if title >= 0:
                    boosted[passage] *= factor ** seen.get(title, 0)
                    seen[title] = seen.get(title, 0) + 1
            return boosted

        r.with_title_hop = demoted  # type: ignore[method-assign]
        return lambda: r.__dict__.pop("with_title_hop")

    return patch


def _paragraph_by_relevance(measure: str) -> Patch:
    """After the hop, the passages of one title trade scores: the group keeps its scores, and
    the passage that matches the question best gets the highest. The walk says which article;
    the question's own words say which of its paragraphs (MuSiQue holds several per article).
    `measure`: "relevance" (dense + 0.5 x BM25, as the seeds) or "residual" (cosine to the
    question minus its seed phrases)."""

    def patch(r: Retriever) -> Callable[[], None]:
        t = r.tables
        titled = np.asarray(t.mention_title, dtype=bool)
        title_of = np.full(r.n_passages, -1, dtype=np.int64)
        title_of[np.asarray(t.mention_passage)[titled]] = np.asarray(t.mention_phrase)[titled]
        fact_seeds, hop = r.fact_seeds, r.with_title_hop
        state: dict = {}

        def remember(question, vector, dense, relevance):  # type: ignore[no-untyped-def]
            seeds = fact_seeds(question, vector, dense, relevance)
            state["relevance"] = relevance
            state["rest"] = remaining_question(r, vector, set(seeds.phrase_weights))
            return seeds

        def regrouped(scores: np.ndarray, seeds) -> np.ndarray:  # type: ignore[no-untyped-def]
            boosted = np.array(hop(scores, seeds), dtype=np.float64)
            top = np.argsort(-boosted, kind="stable")[:100]
            groups: dict[int, list[int]] = {}
            for passage in top.tolist():
                if title_of[passage] >= 0:
                    groups.setdefault(int(title_of[passage]), []).append(passage)
            for members in groups.values():
                if len(members) < 2:
                    continue
                rows = np.array(members)
                if measure == "relevance":
                    fit = np.asarray(state["relevance"])[rows]
                else:
                    fit = stored_vectors(r, "passages", rows) @ state["rest"].astype(np.float32)
                boosted[rows[np.argsort(-fit, kind="stable")]] = np.sort(boosted[rows])[::-1]
            return boosted

        r.fact_seeds, r.with_title_hop = remember, regrouped  # type: ignore[method-assign]
        return lambda: (r.__dict__.pop("fact_seeds"), r.__dict__.pop("with_title_hop"))

    return patch


def _relation_steered(beta: float, residual: bool) -> Patch:
    """The hop's share for each article a source names, steered by the question's relation: the
    best cosine between the question (or the question minus its seed phrases, `residual`) and a
    fact of the source whose subject or object is that article's title phrase; shares become
    exp(beta x cosine), normalised to the source's even split, so the source passes the same
    total ("the director of film Y": the film's fact "Y directed by X" steers the hop to X)."""

    def patch(r: Retriever) -> Callable[[], None]:
        t = r.tables
        titled = np.asarray(t.mention_title, dtype=bool)
        title_of = np.full(r.n_passages, -1, dtype=np.int64)
        title_of[np.asarray(t.mention_passage)[titled]] = np.asarray(t.mention_phrase)[titled]
        occ_passage, occ_fact = np.asarray(t.occ_passage, dtype=np.int64), np.asarray(t.occ_fact, dtype=np.int64)
        order = np.argsort(occ_passage, kind="stable")
        starts = np.searchsorted(occ_passage[order], np.arange(r.n_passages + 1))
        facts_of = lambda p: occ_fact[order[starts[p] : starts[p + 1]]]  # noqa: E731
        subject, obj = np.asarray(t.fact_subject), np.asarray(t.fact_object)
        fact_seeds, links = r.fact_seeds, r._links()
        state: dict = {}

        def remember(question, vector, dense, relevance):  # type: ignore[no-untyped-def]
            seeds = fact_seeds(question, vector, dense, relevance)
            state["q"] = remaining_question(r, vector, set(seeds.phrase_weights)) if residual else np.asarray(vector, dtype=np.float32)
            return seeds

        def steered(scores: np.ndarray, seeds) -> np.ndarray:  # type: ignore[no-untyped-def]
            config = r.config
            boosted = np.array(scores, dtype=np.float64)
            q = np.asarray(state["q"], dtype=np.float32)
            for source in top_k(np.where(r.passage_live, scores, -np.inf), config.title_hop_sources).tolist():
                passages, share = links.articles_named_by(source)
                if not len(passages):
                    continue
                facts = facts_of(source)
                fit = np.zeros(len(passages))
                if len(facts):
                    cos = stored_vectors(r, "facts", facts) @ q
                    for i, a in enumerate(passages.tolist()):
                        hit = (subject[facts] == title_of[a]) | (obj[facts] == title_of[a])
                        fit[i] = float(cos[hit].max()) if hit.any() else 0.0
                weight = np.exp(beta * (fit - fit.max()))
                weight *= len(weight) / weight.sum()
                np.add.at(boosted, passages, config.title_hop_weight * float(scores[source]) * share * weight)
            return boosted

        r.fact_seeds, r.with_title_hop = remember, steered  # type: ignore[method-assign]
        return lambda: (r.__dict__.pop("fact_seeds"), r.__dict__.pop("with_title_hop"))

    return patch


def _no_bare_titles(r: Retriever) -> Callable[[], None]:
    """Title seeds by exact title only: "Privilege" does not name "Privilege (Ivor Cutler album)"."""
    r._bare_titles = {}
    return lambda: setattr(r, "_bare_titles", None)


# Then the titles the question names (question_titles.py), with the hop on.
SEED_VARIANTS: dict[str, tuple[str, dict, Patch | None]] = {
    "seeds: neither titles nor hop (the walk before issue 9's second round)": ("hybrid", {"title_seed_weight": 0.0, "title_hop_weight": 0.0}, None),
    "seeds: title seeds only (hop off)": ("hybrid", {"title_hop_weight": 0.0}, None),
    "seeds: both, exact titles only (no bare names)": ("hybrid", {}, _no_bare_titles),
    "seeds: hop only (title seeds off)": ("hybrid", {"title_seed_weight": 0.0}, None),
    "seeds: both, title seed 1.0 (default)": ("hybrid", {}, None),
    "seeds: title seed 0.5 / 2.0": ("hybrid", {"title_seed_weight": (0.5, 2.0)}, None),
    "seeds: both, hop 0.3": ("hybrid", {"title_hop_weight": 0.3}, None),
    "seeds: both, hybrid-2hop": ("hybrid-2hop", {}, None),
    "seeds: both, plus backlinks by relevance 0.1": ("hybrid", {}, _backlinks_by_relevance(0.1)),
    "seeds: both, plus backlinks by relevance 0.2": ("hybrid", {}, _backlinks_by_relevance(0.2)),
    "seeds: both, plus verbatim title links, titles of 2+ words": ("hybrid", {}, _verbatim_title_links(2)),
    "seeds: both, plus verbatim title links, titles of any length": ("hybrid", {}, _verbatim_title_links(1)),
    "seeds: both, hop applied twice": ("hybrid", {}, _hop_again),
    "seeds: both, later passages of a title x0.5": ("hybrid", {}, _same_title_demoted(0.5)),
    "seeds: both, later passages of a title x0": ("hybrid", {}, _same_title_demoted(0.0)),
    "seeds: both, a title's passages ordered by relevance": ("hybrid", {}, _paragraph_by_relevance("relevance")),
    "seeds: both, a title's passages ordered by the residual question": ("hybrid", {}, _paragraph_by_relevance("residual")),
    "seeds: both, hop steered by the question, beta 0 (the default's hop, rewritten)": ("hybrid", {}, _relation_steered(0.0, False)),
    "seeds: both, hop steered by the question, beta 5": ("hybrid", {}, _relation_steered(5.0, False)),
    "seeds: both, hop steered by the question, beta 20": ("hybrid", {}, _relation_steered(20.0, False)),
    "seeds: both, hop steered by the residual question, beta 5": ("hybrid", {}, _relation_steered(5.0, True)),
}
VARIANTS = {**{name: (mode, {"title_seed_weight": 0.0, **overrides}, patch) for name, (mode, overrides, patch) in HOP_VARIANTS.items()},
            **SEED_VARIANTS}


@contextmanager
def variant(index: Index, overrides: dict, patch: Patch | None) -> Iterator[None]:
    r = index.retriever
    base = r.config
    r.config = replace(base, **overrides)
    undo = patch(r) if patch else None
    try:
        yield
    finally:
        if undo:
            undo()
        r.config = base


def recall(index: Index, questions, mode: str) -> dict[int, float]:
    rankings = [[p.id for p in index.retrieve(q.text, k=max(KS), mode=mode).passages] for q in questions]
    return mean_recall(rankings, [q.gold_ids for q in questions], KS)


def by_type() -> None:
    """hotpotqa_100 split by question type (bridge: a composition through a bridge entity, the
    pattern the hop is for; comparison: two named entities), with dense and BM25 beside."""
    import json

    index = Index.open(ROOT / "indexes" / "hotpotqa_100-spacy")
    questions = load_dataset(DATA / "hotpotqa_100").questions
    kinds = [record["type"] for record in json.loads((DATA / "hotpotqa_100" / "questions.json").read_text())]
    print("| retriever | " + " | ".join(f"{kind} R@1 / 2 / 5 / 10 / 20" for kind in ("bridge", "comparison")) + " |\n|---|---|---|")
    for label, mode, overrides in (("walk alone", "hybrid", {"title_hop_weight": 0.0, "title_seed_weight": 0.0}),
                                   ("hop only", "hybrid", {"title_seed_weight": 0.0}),
                                   ("hybrid (title seeds and hop: the default)", "hybrid", {}),
                                   ("dense", "dense", {}), ("bm25", "bm25", {})):
        cells = []
        for kind in ("bridge", "comparison"):
            chosen = [q for q, k in zip(questions, kinds) if k == kind]
            with variant(index, overrides, None):
                found = recall(index, chosen, mode)
            cells.append(f"{len(chosen)} q: " + " / ".join(f"{found[k]:.1f}" for k in KS))
        print(f"| {label} | " + " | ".join(cells) + " |", flush=True)


def main(names: list[str]) -> None:
    chosen = {n: v for n, v in VARIANTS.items() if not names or any(n.startswith(x) for x in names)}
    opened = [(Index.open(ROOT / "indexes" / run), load_dataset(DATA / data).questions) for run, data in RUNS]
    print("| variant | " + " | ".join(run for run, _ in RUNS) + " |\n|---|" + "---|" * len(RUNS))
    for name, (mode, overrides, patch) in chosen.items():
        pairs = [o for o in overrides.items() if isinstance(o[1], tuple)]
        settings = [dict(overrides, **{k: v[i] for k, v in pairs}) for i in range(2)] if pairs else [overrides]
        cells = []
        for index, questions in opened:
            found = []
            for setting in settings:
                with variant(index, setting, patch):
                    found.append(recall(index, questions, mode))
            cells.append(" / ".join(" ; ".join(f"{r[k]:.1f}" for r in found) for k in KS))
        print(f"| {name} | " + " | ".join(cells) + " |", flush=True)


if __name__ == "__main__":
    by_type() if sys.argv[1:] == ["--by-type"] else main(sys.argv[1:])
